// Runs in the page: reads LArPix raw files given as `File`s (fetched from the test server) with
// the platform-neutral main entry, converts them to packets, and writes a raw file and a packet
// file to bytes and reads the raw one back. Returns plain JSON for the Node side to compare.
import {
  fromRawfile,
  lenRawfile,
  PACKET_FIELDS,
  packetFileBytes,
  RawHdf5Error,
  readRawfileInfo,
  readRawfilePackets,
  toRawfileBytes,
} from "../../src/index.js";

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function run(arg: { files: string[] }, origin: string) {
  const files: Record<string, unknown> = {};
  for (const path of arg.files) {
    const response = await fetch(`${origin}${path}`);
    const file = new File([await response.arrayBuffer()], path.split("/").pop()!);
    const info = await readRawfileInfo(file);
    const length = await lenRawfile(file);
    const data = await fromRawfile(file);
    const direct = await fromRawfile(file, { directRead: false, start: -3 });
    const packets = await readRawfilePackets(file, { blockMessages: 3 });
    files[file.name] = {
      info,
      length,
      msgs: data.msgs!.map(hex),
      ioGroups: Array.from(data.msgHeaders.io_groups),
      tail: direct.msgs!.map(hex),
      packets: PACKET_FIELDS.map((f) => Array.from(packets[f] as ArrayLike<number | bigint>, (v) => String(v))),
    };
  }
  const msgs = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array([0x44, 0x00, 0xf1])];
  const bytes = await toRawfileBytes({ msgs, msgHeaders: { io_groups: [1, 2, 255] }, ioVersion: "0.0" });
  const back = await fromRawfile(new Blob([bytes]));
  let pathError = "";
  try {
    await fromRawfile("run.h5" as unknown as Uint8Array);
  } catch (error) {
    pathError = RawHdf5Error.isInstance(error) ? error.code : String(error);
  }
  const first = files[arg.files[0]!.split("/").pop()!] as { packets: string[][] };
  // The same File read in a Web Worker (WORKERFS, no copy).
  const workerFile = new File([await (await fetch(`${origin}${arg.files[0]}`)).arrayBuffer()], arg.files[0]!.split("/").pop()!);
  const worker = new Worker(`${origin}/bundle/rawhdf5-worker.js`, { type: "module" });
  const fromWorker = await new Promise<unknown>((resolve) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.postMessage({ file: workerFile });
  });
  worker.terminate();
  const packetBytes = await packetFileBytes(await readRawfilePackets(new Blob([bytes]), { lenient: true }));
  return {
    files,
    written: { size: bytes.length, msgs: back.msgs!.map(hex), ioGroups: Array.from(back.msgHeaders.io_groups), ioVersion: back.ioVersion },
    packetFileSize: packetBytes.length,
    packetFileSignature: hex(packetBytes.subarray(0, 8)),
    pathError,
    fromWorker,
    firstPacketRows: first.packets[0]?.length ?? 0,
  };
}
