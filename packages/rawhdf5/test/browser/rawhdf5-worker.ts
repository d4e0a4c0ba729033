// Runs in a Web Worker: reads the posted File with the main entry (WORKERFS mount and the direct
// reader over the File's synchronous byte source: no copy of the file) and posts the result.
import { loadH5Runtime } from "@daqkit/io";
import { fromRawfile, PACKET_FIELDS, readRawfilePackets } from "../../src/index.js";

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

self.onmessage = async (event: MessageEvent<{ file: File }>) => {
  try {
    // A runtime that refuses copies: the read must go through openBlob (WORKERFS).
    const runtime = {
      ...(await loadH5Runtime()),
      openBytes: (): never => {
        throw new Error("the file was copied into memory");
      },
    };
    const data = await fromRawfile(event.data.file, { runtime });
    const packets = await readRawfilePackets(event.data.file, { blockMessages: 3, runtime });
    self.postMessage({
      msgs: data.msgs!.map(hex),
      ioGroups: Array.from(data.msgHeaders.io_groups),
      packets: PACKET_FIELDS.map((f) => Array.from(packets[f] as ArrayLike<number | bigint>, (v) => String(v))),
    });
  } catch (error) {
    self.postMessage({ error: String((error as { code?: string }).code ?? error) + ": " + String((error as Error).message) });
  }
};
