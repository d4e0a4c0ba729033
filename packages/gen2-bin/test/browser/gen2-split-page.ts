// Runs in a cross-origin-isolated Chromium page (bundled by test/support/browser.ts, served with
// COOP/COEP): decodes each picked `File` split across Web Workers into SharedArrayBuffer columns and in
// one thread, with options and inputs that exercise every case of the split, and returns both.
import { decodeGen2SourceArrays, type Gen2DecodedArrays, type Gen2ReadOptions, gen2Checksum } from "../../src/index.js";

interface Outcome {
  photons?: number;
  checksum?: string;
  board?: string;
  stats?: unknown;
  lastHeader?: unknown;
  wide?: number;
  shared?: boolean;
  error?: { code?: string; byteOffset?: number; message: string };
}

function describe(r: Gen2DecodedArrays): Outcome {
  let board = 0;
  for (const b of r.photons.board ?? []) board = (board * 31 + b) % 1_000_000_007;
  return {
    photons: r.stats.photons + r.stats.widePhotons,
    checksum: gen2Checksum(r.photons, r.wide),
    board: r.photons.board ? String(board) : "none",
    stats: r.stats,
    lastHeader: r.lastHeader,
    wide: r.wide.x.length,
    shared: r.photons.xy.buffer instanceof SharedArrayBuffer,
  };
}

async function outcome(input: Blob, options: Gen2ReadOptions): Promise<Outcome> {
  try {
    return describe(await decodeGen2SourceArrays(input, options));
  } catch (error) {
    const e = error as { code?: string; byteOffset?: number; message?: string };
    return { error: { code: e.code, byteOffset: e.byteOffset, message: String(e.message) } };
  }
}

/** One input decoded split (the default here, forced for small inputs) and in one thread. */
async function both(input: Blob, options: Gen2ReadOptions = {}) {
  // tiny slices: many pieces per part, across word and frame boundaries
  const split = await outcome(input, { splitMinBytes: 16, chunkBytes: 4096, ...options });
  const one = await outcome(input, { splitWorkers: 1, chunkBytes: 4096, ...options });
  return { split, one };
}

export async function run(arg: { input: string }) {
  const files = Array.from((document.getElementById(arg.input) as HTMLInputElement).files!)
    .filter((f) => f.name.endsWith(".bin"))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const RealWorker = globalThis.Worker;
  let started = 0; // module workers: the split's (the one-thread decode's reader is a classic worker)
  globalThis.Worker = class extends RealWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      if (options?.type === "module") started++;
    }
  };
  try {
    const perFile = [];
    let previous: Gen2DecodedArrays["lastHeader"] = null;
    for (const file of files) {
      const plain = await both(file);
      // the words before the first header timed with the previous file's last header; a board column
      const timed = await both(file, { header: previous, board: true });
      previous = (await decodeGen2SourceArrays(file, { splitWorkers: 1 })).lastHeader;
      perFile.push({ name: file.name, plain, timed });
    }
    const splitWorkersStarted = started; // two, kept idle between the decodes
    const first = files[0]!;
    const bytes = new Uint8Array(await first.arrayBuffer());
    // a trailing partial word: GEN2_PARTIAL_WORD at the same offset; accepted with allowPartialWord
    const partial = new Blob([bytes, new Uint8Array([1, 2, 3])]);
    const partialError = await both(partial);
    const partialAllowed = await both(partial, { allowPartialWord: true });
    // photon words only (no header word: no cut, one thread): GEN2_NO_HEADER either way
    const photonWords = bytes.slice(8, 8 + 8 * 64).filter((_, i) => bytes[8 + (i - (i % 8))] !== 0xff);
    const noHeader = await both(new Blob([photonWords.slice(0, photonWords.length - (photonWords.length % 8))]));
    // the workers' script cannot be loaded (404): the one-thread result
    const missingScript = await outcome(first, {
      splitMinBytes: 16,
      splitWorkerScript: new URL("/bundle/no-such-worker.js", location.href),
    });
    // Worker cannot be constructed (e.g. a CSP): the one-thread result
    globalThis.Worker = class {
      constructor() {
        throw new DOMException("blocked by the test", "SecurityError");
      }
    } as unknown as typeof Worker;
    // (another script than the kept workers', so that a worker is started)
    const blocked = await outcome(first, {
      splitMinBytes: 16,
      splitWorkerScript: new URL("/bundle/web-split-worker.js?blocked", location.href),
    });
    globalThis.Worker = RealWorker;
    const reference = await outcome(first, { splitWorkers: 1 });
    // an aborted signal: its reason, and no result
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    const aborted = await outcome(first, { splitMinBytes: 16, signal: controller.signal });
    return {
      isolated: globalThis.crossOriginIsolated === true,
      splitWorkersStarted,
      perFile,
      partialError,
      partialAllowed,
      noHeader,
      missingScript,
      blocked,
      reference,
      aborted,
    };
  } finally {
    globalThis.Worker = RealWorker;
  }
}
