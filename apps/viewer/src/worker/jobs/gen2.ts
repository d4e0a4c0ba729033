// gen2 night jobs (run in the worker): scan a folder of `.bin` files, count photons per file.
import {
  BinSourceDirectory,
  Gen2BinError,
  Gen2Binner,
  type Gen2ScannedFile,
  inferGen2EpochYear,
  iterateGen2Batches,
} from "@daqkit/gen2-bin";
import type { Histogram1D } from "@daqkit/io";
import { GEN2_WRAP_US, gen2UsToDate, TimestampRange } from "@daqkit/timestamps";
import { niceBinUs } from "../../formats/gen2-defaults.js";
import { type DirRef, openDirRef } from "../../input.js";
import type { JobContext, JobHandler } from "../protocol.js";
import { OpenCache, refKey, urlOf } from "./files.js";
import { FileFetcher } from "./fetched.js";
import { Gen2BlockDecoder } from "./gen2-blocks.js";
import { subSource } from "./tables.js";

export interface Gen2FileInfo {
  readonly path: string;
  readonly name: string;
  readonly size: number;
  readonly board: number;
  readonly startUs: number;
  readonly stopUs: number;
  readonly year: number | null;
  readonly startUtc: string | null;
  readonly stopUtc: string | null;
}

export interface Gen2ScanResult {
  readonly files: Gen2FileInfo[];
  /** The night's header-time range (first file's start to last file's stop), µs, inclusive. */
  readonly startUs: number;
  readonly stopUs: number;
  readonly durationUs: number;
  readonly skipped: { path: string; reason: string }[];
  /** Header-epoch year (inferred from `<unix second>.bin` names), or null when unknown. */
  readonly year: number | null;
}

const nights = new OpenCache<BinSourceDirectory>(4);

/** The night of a ref, opened (its files listed and their headers scanned) once per worker. */
export function openNight(ref: DirRef, path: string): Promise<BinSourceDirectory> {
  return nights.get(ref, path, async () => BinSourceDirectory.open(subSource(await openDirRef(ref), path)));
}

function yearOf(files: readonly Gen2ScannedFile[]): number | null {
  for (const f of files) {
    const y = inferGen2EpochYear(f.name, f.firstHeader);
    if (y !== undefined) return y;
  }
  return null;
}

/**
 * UTC of a night time `us` (mod M) as text: unwrapped relative to the night's start, so times after
 * the 36-bit counter wrap are one wrap period (≈ 397.7 days) later, not back at the epoch.
 */
export function utc(us: number, year: number | null, nightStartUs: number): string | null {
  if (year === null) return null;
  const unwrapped = nightStartUs + ((((us - nightStartUs) % GEN2_WRAP_US) + GEN2_WRAP_US) % GEN2_WRAP_US);
  return gen2UsToDate(unwrapped, year).toISOString().replace(/Z$/, "").replace("T", " ");
}

/**
 * The file a served night's whole-night bin reads first, from the listing the ref carries, when that is
 * certain before the headers are scanned: the night's only `.bin` file, or, when every name is a number
 * (`<unix second>.bin`), the lowest (the order `BinSourceDirectory` keeps then). Undefined otherwise; a
 * guess the scan contradicts only costs the request (see `FileFetcher.prime`).
 */
export function firstFileOf(ref: DirRef, night: string): { path: string; size: number } | undefined {
  if (ref.kind !== "http" || ref.listingText === undefined) return undefined;
  let entries: unknown;
  try {
    entries = (JSON.parse(ref.listingText) as { entries?: unknown }).entries;
  } catch {
    return undefined;
  }
  if (!Array.isArray(entries)) return undefined;
  const prefix = night ? `${night}/` : "";
  const bins: { path: string; size: number }[] = [];
  for (const e of entries as { path?: unknown; kind?: unknown; size?: unknown }[]) {
    if (e?.kind !== "file" || typeof e.path !== "string" || typeof e.size !== "number" || !e.path.startsWith(prefix)) continue;
    const path = e.path.slice(prefix.length);
    // (files too short for a word are skipped by the scan)
    if (!path.includes("/") && path.endsWith(".bin") && e.size >= 8) bins.push({ path, size: e.size });
  }
  if (bins.length === 1) return bins[0];
  const numeric = bins.every((b) => /^\d+\.bin$/.test(b.path));
  if (!numeric || bins.length === 0) return undefined;
  return bins.reduce((a, b) => (Number(b.path.slice(0, -4)) < Number(a.path.slice(0, -4)) ? b : a));
}

/**
 * A served night's fetch helper, started while the night is scanned (its script loads meanwhile) and
 * taken by the next whole-night bin job in this worker (the panel's: it scans, then bins).
 */
let spareFetcher: FileFetcher | null = null;

/** Arguments of `gen2.scan`. */
export interface Gen2ScanArgs {
  readonly ref: DirRef;
  readonly path: string;
  /**
   * Once scanned, start binning the whole night in this worker with the panel's defaults (light-curve
   * bin {@link niceBinUs} of the night's duration, 256 histogram bins): the `gen2.bin` job that asks for
   * exactly that takes the run under way (issue 16: the decode starts without the round trip through
   * the page); a job asking for anything else stops it first.
   */
  readonly thenBin?: boolean;
}

const scan: JobHandler = async (args: Gen2ScanArgs): Promise<Gen2ScanResult> => {
  await stopAhead();
  if (args.ref.kind === "http") {
    spareFetcher ??= new FileFetcher();
    spareFetcher.start();
    // the bin that follows will read the night's first file whole: its request goes out now, while the
    // headers are scanned, when the listing says which file that is
    const first = args.thenBin ? firstFileOf(args.ref, args.path) : undefined;
    if (first) spareFetcher.prime(urlOf(args.ref, args.path ? `${args.path}/${first.path}` : first.path), first.size);
  }
  const night = await openNight(args.ref, args.path);
  const year = yearOf(night.files);
  const first = night.files[0]!;
  const last = night.files[night.files.length - 1]!;
  const nightRange = new TimestampRange(first.range.startUs, last.range.stopUs);
  if (args.thenBin) startAhead({ ref: args.ref, path: args.path, range: null, binUs: niceBinUs(nightRange.durationUs) });
  return {
    year,
    startUs: nightRange.startUs,
    stopUs: nightRange.stopUs,
    durationUs: nightRange.durationUs,
    files: night.files.map((f) => ({
      path: f.path,
      name: f.name,
      size: f.size,
      board: f.firstHeader.board,
      startUs: f.range.startUs,
      stopUs: f.range.stopUs,
      year,
      startUtc: utc(f.range.startUs, year, nightRange.startUs),
      stopUtc: utc(f.range.stopUs, year, nightRange.startUs),
    })),
    skipped: night.skipped.map((s) => ({ path: s.path, reason: s.reason })),
  };
};

export interface Gen2BinArgs {
  readonly ref: DirRef;
  readonly path: string;
  /** [startUs, stopUs] inclusive, mod M (start > stop crosses the wrap), or null for the whole night. */
  readonly range: readonly [number, number] | null;
  readonly binUs: number;
  readonly histogramBins?: number;
}

export interface Gen2BinReply {
  readonly photons: number;
  readonly widePhotons: number;
  readonly outside: number;
  readonly firstUs: number | null;
  readonly lastUs: number | null;
  readonly image: { width: number; height: number; counts: Float64Array; max: number };
  readonly lightCurve: { originUs: number; binUs: number; counts: Float64Array; before: number };
  readonly phase: Histogram1D;
  readonly baseline: Histogram1D;
  /** Boards that had photons: [board, photons]. */
  readonly boards: [number, number][];
  /** Photons per file of the night (whole-night runs only; null with a range). */
  readonly filePhotons: number[] | null;
  /** Files decoded. */
  readonly files: string[];
  /** Non-fatal findings (a trailing partial word), coded. */
  readonly warnings: { code: string; message: string }[];
}

/**
 * Bin a night or a time range of it with @daqkit/gen2-bin's streaming `Gen2Binner` (count image,
 * light curve, phase/baseline histograms, per-board counts), file by file as `binGen2Directory`
 * does, and also count the photons of each file.
 */
const bin: JobHandler = async (args: Gen2BinArgs, ctx: JobContext): Promise<Gen2BinReply> => {
  const run = ahead;
  if (run && run.key === binKey(args)) {
    // the run the scan started: from now on its progress is this job's, and so is its result
    ahead = null;
    run.report = ctx.progress;
    if (run.last) ctx.progress(...run.last);
    const reply = await run.result;
    ctx.transfer(...run.transfer);
    return reply;
  }
  await stopAhead();
  return binNight(args, { progress: ctx.progress, transfer: ctx.transfer, stopped: () => false });
};

/** Where {@link binNight} reports: progress, buffers to transfer with the reply, and whether to stop. */
interface BinSink {
  progress(done: number, total: number, label?: string): void;
  transfer(...buffers: ArrayBufferLike[]): void;
  stopped(): boolean;
}

/** A whole-night bin started by a scan ({@link Gen2ScanArgs.thenBin}) before any job asked for it. */
interface Ahead {
  readonly key: string;
  result: Promise<Gen2BinReply>;
  /** The adopting job's progress, once a job took the run. */
  report: JobContext["progress"] | null;
  /** The last progress before that. */
  last: [number, number, string?] | null;
  readonly transfer: ArrayBufferLike[];
  stop: boolean;
}

let ahead: Ahead | null = null;

/** What makes two bin runs the same: the night (as `refKey` names it), the range, the bin widths. */
function binKey(args: Gen2BinArgs): string {
  return JSON.stringify([refKey(args.ref, args.path), args.range, args.binUs, args.histogramBins ?? 256]);
}

function startAhead(args: Gen2BinArgs): void {
  const run: Ahead = { key: binKey(args), result: Promise.resolve(null as never), report: null, last: null, transfer: [], stop: false };
  run.result = binNight(args, {
    progress: (done, total, label) => {
      if (run.report) run.report(done, total, label);
      else run.last = [done, total, label];
    },
    transfer: (...buffers) => run.transfer.push(...buffers),
    stopped: () => run.stop,
  });
  // a run nobody takes is stopped or fails unseen
  run.result.catch(() => undefined);
  ahead = run;
}

/** Stop the run a scan started, if no job took it, and wait until it has let go of its files. */
async function stopAhead(): Promise<void> {
  const run = ahead;
  if (!run) return;
  ahead = null;
  run.stop = true;
  await run.result.catch(() => undefined);
}

/** Thrown inside a stopped {@link Ahead} run (never seen by a job). */
const STOPPED = new Error("gen2: the whole-night bin started ahead was stopped");

async function binNight(args: Gen2BinArgs, ctx: BinSink): Promise<Gen2BinReply> {
  const night = await openNight(args.ref, args.path);
  const range = args.range ? new TimestampRange(args.range[0], args.range[1]) : null;
  const files = range ? night.filesForTimerange(range) : [...night.files];
  const binner = new Gen2Binner({
    range,
    lightCurveBinUs: args.binUs,
    histogramBins: args.histogramBins ?? 256,
    ...(range ? {} : { originUs: night.files[0]!.range.startUs }),
  });
  const total = files.reduce((n, f) => n + f.size, 0);
  let done = 0;
  const filePhotons: number[] = [];
  const warnings: { code: string; message: string }[] = [];
  if (ctx.stopped()) throw STOPPED;
  const fetcher = args.ref.kind === "http" && spareFetcher ? spareFetcher : new FileFetcher();
  if (fetcher === spareFetcher) spareFetcher = null;
  const blocks = new Gen2BlockDecoder();
  try {
    for (const f of files) {
      const ref = args.ref;
      const header = f.index > 0 ? night.files[f.index - 1]!.lastHeader : null;
      let n = 0;
      let trailing = 0;
      if (ref.kind === "http") {
        // A served file is streamed in one request, read by a helper worker while this one decodes
        // (fetched.ts), each block decoded where it is (gen2-blocks.ts).
        let fileDone = 0;
        const url = urlOf(ref, args.path ? `${args.path}/${f.path}` : f.path);
        const decoded = await blocks.decodeFile(streamedGen2(fetcher, url, f.size, f.path), binner, {
          header,
          path: f.path,
          onBytes: (bytes) => {
            done += bytes - fileDone;
            fileDone = bytes;
            ctx.progress(done, total, f.name);
            if (ctx.stopped()) throw STOPPED;
          },
        });
        n = decoded.photons + decoded.widePhotons;
        trailing = decoded.trailingBytes;
      } else {
        // picked files are read in place
        const source = await night.source.open(f.path);
        try {
          let fileDone = 0;
          for await (const batch of iterateGen2Batches(source, { header, board: true, allowPartialWord: true, path: f.path })) {
            binner.addBatch(batch);
            done += batch.stats.bytes - fileDone;
            fileDone = batch.stats.bytes;
            n = batch.stats.photons + batch.stats.widePhotons;
            trailing = batch.stats.trailingBytes;
            ctx.progress(done, total, f.name);
            if (ctx.stopped()) throw STOPPED;
          }
        } finally {
          await source.close?.();
        }
      }
      filePhotons.push(n);
      if (trailing > 0) {
        warnings.push({
          code: "GEN2_PARTIAL_WORD",
          message: `gen2: ${f.path}: ${trailing} trailing byte(s) after the last whole 8-byte word at offset ${f.size - trailing} (a truncated file?): ignored`,
        });
      }
    }
  } finally {
    fetcher.close();
  }
  const r = binner.result();
  ctx.transfer(r.image.counts.buffer, r.lightCurve.counts.buffer);
  const boards: [number, number][] = [];
  r.boards.forEach((c, b) => {
    if (c > 0) boards.push([b, c]);
  });
  return {
    photons: r.photons,
    widePhotons: r.widePhotons,
    outside: r.outside,
    firstUs: r.firstUs,
    lastUs: r.lastUs,
    image: r.image,
    lightCurve: r.lightCurve,
    phase: r.phase,
    baseline: r.baseline,
    boards,
    filePhotons: range ? null : filePhotons,
    files: files.map((f) => f.path),
    warnings,
  };
}

/**
 * A served file's bytes as one streamed request read by a helper worker (see fetched.ts and stream.ts),
 * with read failures coded as the decoder codes them for a byte source (`GEN2_FILE_NOT_FOUND`,
 * `GEN2_IO`, with the file and offset).
 */
async function* streamedGen2(fetcher: FileFetcher, url: string, size: number, path: string): AsyncGenerator<Uint8Array> {
  try {
    yield* fetcher.file(url, size);
  } catch (error) {
    const e = error as { code?: string; message?: string; offset?: number };
    const context = { path, cause: error, ...(e.offset !== undefined ? { byteOffset: e.offset } : {}) };
    if (e.code === "IO_NOT_FOUND")
      throw new Gen2BinError("GEN2_FILE_NOT_FOUND", `gen2: reading ${path}: no such file (${e.message})`, context);
    throw new Gen2BinError("GEN2_IO", `gen2: reading ${path} failed: ${e.message ?? String(error)}`, context);
  }
}

/**
 * Ahead of a served night's scan (the bootstrap's worker, see ../../early.ts): start the fetch helper,
 * whose script then loads while the listing is fetched.
 */
const preload: JobHandler = () => {
  if (spareFetcher === null) {
    spareFetcher = new FileFetcher();
    spareFetcher.start();
  }
};

export const gen2Jobs: Record<string, JobHandler> = { "gen2.scan": scan, "gen2.bin": bin, "gen2.preload": preload };
