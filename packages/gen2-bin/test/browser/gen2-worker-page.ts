// Runs in Chromium (bundled by test/support/browser.ts): decodes each picked `File` of the
// <input id=files> with its slices read in a Web Worker (the default in a page), with the page's own
// Blob reads, and with a `Worker` that cannot start (the fallback), counting the workers started.
import { decodeGen2SourceArrays, gen2Checksum, workerBlobSource } from "../../src/index.js";

async function decodeAll(files: File[], readInWorker: boolean) {
  const out: { photons: number; checksum: string }[] = [];
  for (const file of files) {
    // small chunks: many reads in flight in turn (read buffers handed back and read into again), across
    // word and frame boundaries; a page that is not cross-origin isolated never splits (no
    // SharedArrayBuffer), whatever the size threshold
    const r = await decodeGen2SourceArrays(file, { readInWorker, chunkBytes: 4096, splitMinBytes: 16 });
    if (typeof SharedArrayBuffer === "function" && r.photons.xy.buffer instanceof SharedArrayBuffer) throw new Error("split");
    out.push({ photons: r.stats.photons + r.stats.widePhotons, checksum: gen2Checksum(r.photons, r.wide) });
  }
  return out;
}

export async function run(arg: { input: string }) {
  const files = Array.from((document.getElementById(arg.input) as HTMLInputElement).files!)
    .filter((f) => f.name.endsWith(".bin"))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const RealWorker = globalThis.Worker;
  let started = 0;
  globalThis.Worker = class extends RealWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      started++;
    }
  };
  try {
    const inWorker = await decodeAll(files, true);
    const workersStarted = started;
    const inPage = await decodeAll(files, false);
    const pageWorkersStarted = started - workersStarted;
    globalThis.Worker = class {
      constructor() {
        throw new DOMException("blocked by the test", "SecurityError");
      }
    } as unknown as typeof Worker;
    const fallback = await decodeAll(files, true);
    // the source's own checks and errors: a range past the end, and a read after close
    globalThis.Worker = RealWorker;
    const source = workerBlobSource(files[0]!);
    const firstBytes = Array.from(await source.read(0, 16));
    const expectedFirst = Array.from(new Uint8Array(await files[0]!.slice(0, 16).arrayBuffer()));
    let outOfRange = "";
    try {
      await source.read(source.size - 4, 8);
    } catch (error) {
      outOfRange = (error as { code?: string }).code ?? String(error);
    }
    await source.close?.();
    return {
      inWorker,
      inPage,
      fallback,
      workersStarted,
      pageWorkersStarted,
      sameFirst: String(firstBytes) === String(expectedFirst),
      outOfRange,
    };
  } finally {
    globalThis.Worker = RealWorker;
  }
}
