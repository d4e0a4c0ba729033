// A helper of the gen2 job (issue 16): reads a served file's streamed body (jobs/stream.ts) on its own
// thread, into a few fixed blocks handed over (transferred, not copied) to the decoding worker, which
// hands each back once decoded. So the transfer keeps going while the decoding worker is busy, instead
// of only when it awaits the next chunk. One file at a time; the blocks are reused from file to file.
// Protocol: see jobs/fetched.ts.
import { serializeError } from "@daqkit/io";
import type { FetchReply, FetchRequest } from "./jobs/fetched.js";
import { streamHttpFile } from "./jobs/stream.js";

interface Scope {
  onmessage: ((event: MessageEvent<FetchRequest>) => void) | null;
  postMessage(message: FetchReply, transfer?: Transferable[]): void;
}
const scope = self as unknown as Scope;
/** Blocks handed back and not in use. */
const free: ArrayBuffer[] = [];
/** Blocks that exist (free, being filled, or with the decoding worker). */
let allocated = 0;
let wake: (() => void) | null = null;

scope.onmessage = (event) => {
  const m = event.data;
  if (m.type === "return") {
    free.push(m.buffer);
    wake?.();
    wake = null;
    return;
  }
  void run(m.url, m.size, m.blockBytes, m.blocks);
};

/** A block of `bytes` bytes: a free one of that size, a new one while fewer than `blocks` exist, else the next one handed back. */
async function take(bytes: number, blocks: number): Promise<Uint8Array> {
  for (;;) {
    const buffer = free.pop();
    if (buffer && buffer.byteLength === bytes) return new Uint8Array(buffer);
    if (buffer) allocated--; // sized for another file: dropped
    if (allocated < blocks) {
      allocated++;
      return new Uint8Array(bytes);
    }
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }
}

async function run(url: string, size: number, blockBytes: number, blocks: number): Promise<void> {
  try {
    const bytes = Math.min(blockBytes, size);
    let block: Uint8Array | null = null;
    let fill = 0;
    const send = () => {
      const buffer = block!.buffer as ArrayBuffer;
      scope.postMessage({ type: "block", buffer, length: fill }, [buffer]);
      block = null;
      fill = 0;
    };
    for await (const chunk of streamHttpFile(url, size)) {
      let at = 0;
      while (at < chunk.byteLength) {
        block ??= await take(bytes, blocks);
        const n = Math.min(chunk.byteLength - at, block.byteLength - fill);
        block.set(chunk.subarray(at, at + n), fill);
        fill += n;
        at += n;
        if (fill === block.byteLength) send();
      }
    }
    if (block && fill > 0) send();
    scope.postMessage({ type: "end" });
  } catch (error) {
    scope.postMessage({ type: "error", error: serializeError(error) });
  }
}
