/**
 * Streaming binning of gen2 photons (platform-neutral): the count image (x, y → photons), the
 * light curve (photons per time bin), phase and baseline histograms and per-board counts of a
 * night or of a time range, across the 36-bit wrap. {@link Gen2Binner} takes photon batches as the
 * decoders stream them (`iterateGen2Batches`, `decodeGen2Arrays`, …) and keeps only the bins, so a
 * 1 GB night is binned without holding its photons; {@link binGen2Directory} bins a whole
 * directory source (or a time range of it) file by file.
 *
 * Shared by the viewer (`apps/viewer`) and `daqkit plot`.
 */
import { type DirectorySource, type Histogram1D, HistogramAccumulator, type ByteSource } from "@daqkit/io";
import { GEN2_WRAP_US, TimestampRange } from "@daqkit/timestamps";
import type { RecordBatch } from "apache-arrow";
import type { Gen2PhotonArrays, Gen2WidePhotonArrays } from "./arrow-tables.js";
import { BinSourceDirectory, type Gen2ScannedFile } from "./bin-source-directory.js";
import { type Gen2Batch, iterateGen2Batches } from "./decode.js";
import { Gen2BinError, sourceError } from "./errors.js";

const TWO_32 = 4294967296;
/** Raw phase is a signed 18-bit integer (radians × 32768). */
const PHASE_OFFSET = 1 << 17;
/** Raw baseline is a signed 17-bit integer (radians × 16384). */
const BASELINE_OFFSET = 1 << 16;
/** Most light-curve bins (16 Mi: 128 MiB of counts). */
const MAX_CURVE_BINS = 1 << 24;
/** Raw phase units per radian. */
export const GEN2_PHASE_PER_RADIAN = 32768;
/** Raw baseline units per radian. */
export const GEN2_BASELINE_PER_RADIAN = 16384;

/** Options of {@link Gen2Binner}. */
export interface Gen2BinOptions {
  /**
   * Only photons inside this range (both ends inclusive, mod M, may cross the wrap) are binned;
   * the others are counted in `outside`. Without a range every photon is binned.
   */
  range?: TimestampRange | null;
  /**
   * Start of the light curve's first bin in µs (reduced mod M). Default: the range's start; without
   * a range, the first photon's time (the whole-night function passes the night's first header time).
   */
  originUs?: number;
  /**
   * Light-curve bin width in µs (integer ≥ 1). Default 1 s, or the smallest whole number of seconds that
   * keeps the curve of the range (or, in `binGen2Directory`, of the night) within 16 Mi bins.
   */
  lightCurveBinUs?: number;
  /** Bins of the phase and baseline histograms. Default 256. */
  histogramBins?: number;
  /** Range of the phase histogram in raw units; default: the observed min..max. */
  phaseRange?: readonly [number, number];
  /** Range of the baseline histogram in raw units; default: the observed min..max. */
  baselineRange?: readonly [number, number];
  /**
   * Fill the phase and baseline histograms (default true). Their full-resolution counters (1.5 MiB)
   * are most of the cost of binning (measured 25 → 12 ns per photon without them): turn them off
   * when only the image, light curve and boards are wanted; the histograms then come back empty.
   */
  histograms?: boolean;
}

/** A count image: `counts[y * width + x]` photons of pixel (x, y). */
export interface Gen2CountImage {
  /** 256, or more when photons with x ≥ 256 were seen (`max x + 1`). */
  readonly width: number;
  /** 256, or more when photons with y ≥ 256 were seen. */
  readonly height: number;
  /** Row-major by y: `counts[y * width + x]`. */
  readonly counts: Float64Array;
  /** Largest pixel count. */
  readonly max: number;
}

/** Photons per time bin. Bin `i` covers `[originUs + i·binUs, originUs + (i+1)·binUs)` (mod M). */
export interface Gen2LightCurve {
  /** Time of the first bin's start, µs since the year epoch, in [0, M). */
  readonly originUs: number;
  readonly binUs: number;
  readonly counts: Float64Array;
  /** Photons before `originUs` (only without a range, e.g. latency jitter before the night's first header): in the image and histograms, not in the curve. */
  readonly before: number;
}

/** The result of {@link Gen2Binner.result} and {@link binGen2Directory}. */
export interface Gen2Binned {
  /** The range binned, or null (everything). */
  readonly range: TimestampRange | null;
  /** Photons binned (inside the range): packed and wide. */
  readonly photons: number;
  /** Photons with x or y ≥ 256 among `photons`. */
  readonly widePhotons: number;
  /** Photons outside the range (skipped). */
  readonly outside: number;
  /** First and last binned photon time in µs (raw, not reduced), or null when nothing was binned. */
  readonly firstUs: number | null;
  readonly lastUs: number | null;
  readonly image: Gen2CountImage;
  readonly lightCurve: Gen2LightCurve;
  /** Histogram of the raw phase (radians × {@link GEN2_PHASE_PER_RADIAN}). */
  readonly phase: Histogram1D;
  /** Histogram of the raw baseline (radians × {@link GEN2_BASELINE_PER_RADIAN}). */
  readonly baseline: Histogram1D;
  /** Photons per board number (index = board, 0–255); all zero when the batches had no board column. */
  readonly boards: Float64Array;
}

/**
 * Accumulates the bins of gen2 photon batches. Memory: the 256×256 image and 384 Ki full-resolution
 * phase/baseline counters (32-bit: up to 4 294 967 295 photons per pixel or raw value), the
 * light-curve bins — never the photons.
 *
 * ```ts
 * const binner = new Gen2Binner({ range, lightCurveBinUs: 10_000 });
 * for await (const batch of iterateGen2Batches(source, { board: true })) binner.addBatch(batch);
 * const { image, lightCurve } = binner.result();
 * ```
 */
export class Gen2Binner {
  private readonly range: TimestampRange | null;
  private readonly binUs: number;
  private originUs: number | null;
  private readonly xyCounts = new Uint32Array(65536);
  private readonly wideCounts = new Map<number, number>();
  private maxX = 255;
  private maxY = 255;
  private readonly phaseCounts = new Uint32Array(2 * PHASE_OFFSET);
  private readonly baselineCounts = new Uint32Array(2 * BASELINE_OFFSET);
  private readonly boardCounts = new Float64Array(256);
  private curve: Float64Array = new Float64Array(1024);
  private curveBins = 0;
  private before = 0;
  private photons = 0;
  private widePhotons = 0;
  private outside = 0;
  private firstUs: number | null = null;
  private lastUs: number | null = null;
  private readonly options: Gen2BinOptions;

  /** @throws Gen2BinError `GEN2_BAD_ARGUMENT` for a light-curve bin that is not a positive integer */
  constructor(options: Gen2BinOptions = {}) {
    this.options = options;
    this.range = options.range ?? null;
    this.binUs = options.lightCurveBinUs ?? defaultLightCurveBinUs(this.range?.durationUs ?? 0);
    if (!Number.isSafeInteger(this.binUs) || this.binUs < 1) {
      throw new Gen2BinError("GEN2_BAD_ARGUMENT", `gen2: the light-curve bin must be a positive integer number of µs, got ${this.binUs}`);
    }
    const origin = options.originUs ?? this.range?.startUs;
    this.originUs = origin === undefined ? null : ((origin % GEN2_WRAP_US) + GEN2_WRAP_US) % GEN2_WRAP_US;
    if (this.range) {
      const bins = Math.floor(this.range.durationUs / this.binUs) + 1;
      if (bins > MAX_CURVE_BINS) {
        throw new Gen2BinError("GEN2_BAD_ARGUMENT", `gen2: ${bins} light-curve bins is too many: use a larger bin than ${this.binUs} µs`);
      }
    }
  }

  /** The time offset from the origin in µs, in [0, M) (origin set from `tUs` when missing). */
  private relative(tUs: number): number {
    if (this.originUs === null) this.originUs = tUs % GEN2_WRAP_US;
    let rel = tUs - this.originUs;
    if (rel < 0) rel += GEN2_WRAP_US;
    if (rel >= GEN2_WRAP_US) rel -= GEN2_WRAP_US;
    return rel;
  }

  /** Bin one photon; returns false when it is outside the range. */
  private time(tUs: number): boolean {
    const range = this.range;
    if (range) {
      let rel = tUs - range.startUs;
      if (rel < 0) rel += GEN2_WRAP_US;
      if (rel >= GEN2_WRAP_US) rel -= GEN2_WRAP_US;
      if (rel > range.durationUs) {
        this.outside++;
        return false;
      }
    }
    const rel = this.relative(tUs);
    if (!range && rel > GEN2_WRAP_US / 2) {
      this.before++;
    } else {
      const bin = Math.floor(rel / this.binUs);
      if (bin >= this.curve.length) this.growCurve(bin);
      this.curve[bin]!++;
      if (bin >= this.curveBins) this.curveBins = bin + 1;
    }
    if (this.firstUs === null) this.firstUs = tUs;
    this.lastUs = tUs;
    this.photons++;
    return true;
  }

  /** Add packed photons (x, y < 256): typed-array columns as the decoders return them. */
  addPhotons(photons: Pick<Gen2PhotonArrays, "xy" | "timestamp" | "phase" | "baseline" | "board">): void {
    const { xy, timestamp, phase, baseline, board } = photons;
    const n = xy.length;
    if (n === 0) return;
    const pairs = new Int32Array(timestamp.buffer, timestamp.byteOffset, n * 2);
    const { xyCounts, phaseCounts, baselineCounts, boardCounts, range, binUs } = this;
    const histograms = this.options.histograms !== false;
    // The hot loop of binning: the per-photon logic of `time()` inlined, state in locals. Constants
    // are literals (2^32, PHASE_OFFSET 2^17, BASELINE_OFFSET 2^16): the bundler turns module `const`s
    // into `var`s, which optimised code reloads from the module context on every use (see decodeBlock).
    const M = GEN2_WRAP_US;
    const half = M / 2;
    const startUs = range ? range.startUs : 0;
    const durationUs = range ? range.durationUs : M;
    if (this.originUs === null) this.originUs = (pairs[1]! * TWO_32 + (pairs[0]! >>> 0)) % M;
    const origin = this.originUs;
    let curve: Float64Array = this.curve;
    let curveBins = this.curveBins;
    let outside = 0;
    let before = 0;
    let binned = 0;
    let first = -1;
    let last = -1;
    let bin = 0;
    let binLow = 1;
    let binHigh = 0;
    for (let i = 0; i < n; i++) {
      const t = pairs[2 * i + 1]! * 4294967296 + (pairs[2 * i]! >>> 0);
      if (range) {
        let rel = t - startUs;
        if (rel < 0) rel += M;
        else if (rel >= M) rel -= M;
        if (rel > durationUs) {
          outside++;
          continue;
        }
      }
      let fromOrigin = t - origin;
      if (fromOrigin < 0) fromOrigin += M;
      else if (fromOrigin >= M) fromOrigin -= M;
      if (!range && fromOrigin > half) before++;
      else if (fromOrigin >= binLow && fromOrigin < binHigh) curve[bin]!++;
      else {
        // Photons come roughly in time order: the division runs only when a photon leaves the current bin.
        bin = Math.floor(fromOrigin / binUs);
        binLow = bin * binUs;
        binHigh = binLow + binUs;
        if (bin >= curve.length) {
          this.curve = curve;
          curve = this.growCurve(bin);
        }
        curve[bin]!++;
        if (bin >= curveBins) curveBins = bin + 1;
      }
      if (first < 0) first = t;
      last = t;
      binned++;
      xyCounts[xy[i]!]!++;
      if (histograms) {
        phaseCounts[phase[i]! + 131072]!++;
        baselineCounts[baseline[i]! + 65536]!++;
      }
      if (board) boardCounts[board[i]!]!++;
    }
    this.curve = curve;
    this.curveBins = curveBins;
    this.outside += outside;
    this.before += before;
    this.photons += binned;
    if (first >= 0) {
      if (this.firstUs === null) this.firstUs = first;
      this.lastUs = last;
    }
  }

  /** A light-curve array with room for `bin` (doubling). */
  private growCurve(bin: number): Float64Array {
    if (bin >= MAX_CURVE_BINS) {
      throw new Gen2BinError(
        "GEN2_BAD_ARGUMENT",
        `gen2: more than ${MAX_CURVE_BINS} light-curve bins: use a larger bin than ${this.binUs} µs`,
      );
    }
    let size = this.curve.length * 2;
    while (size <= bin) size *= 2;
    const grown = new Float64Array(size);
    grown.set(this.curve);
    this.curve = grown;
    return grown;
  }

  /** Add photons with x or y ≥ 256 (the decoders' `wide` columns). */
  addWidePhotons(wide: Gen2WidePhotonArrays): void {
    const pairs = new Int32Array(wide.timestamp.buffer, wide.timestamp.byteOffset, wide.timestamp.length * 2);
    for (let i = 0; i < wide.x.length; i++) {
      if (!this.time(pairs[2 * i + 1]! * TWO_32 + (pairs[2 * i]! >>> 0))) continue;
      const x = wide.x[i]!;
      const y = wide.y[i]!;
      if (x < 256 && y < 256) this.xyCounts[(x << 8) | y]!++;
      else {
        const key = x * 1024 + y;
        this.wideCounts.set(key, (this.wideCounts.get(key) ?? 0) + 1);
        if (x > this.maxX) this.maxX = x;
        if (y > this.maxY) this.maxY = y;
      }
      if (this.options.histograms !== false) {
        this.phaseCounts[wide.phase[i]! + PHASE_OFFSET]!++;
        this.baselineCounts[wide.baseline[i]! + BASELINE_OFFSET]!++;
      }
      this.boardCounts[wide.board[i]!]!++;
      this.widePhotons++;
    }
  }

  /** Add one streamed batch of `iterateGen2Batches` (decode with `board: true` for per-board counts). */
  addBatch(batch: Pick<Gen2Batch, "photons" | "wide">): void {
    this.addPhotons(photonArraysOf(batch.photons));
    if (batch.wide) this.addWidePhotons(wideArraysOf(batch.wide));
  }

  /** The bins so far (copies: the binner can keep filling). */
  result(): Gen2Binned {
    const width = this.maxX + 1;
    const height = this.maxY + 1;
    const counts = new Float64Array(width * height);
    let max = 0;
    for (let x = 0; x < 256; x++) {
      for (let y = 0; y < 256; y++) {
        const c = this.xyCounts[(x << 8) | y]!;
        counts[y * width + x] = c;
        if (c > max) max = c;
      }
    }
    for (const [key, c] of this.wideCounts) {
      const x = Math.floor(key / 1024);
      const y = key % 1024;
      counts[y * width + x]! += c;
      if (counts[y * width + x]! > max) max = counts[y * width + x]!;
    }
    const curveBins = this.range ? Math.floor(this.range.durationUs / this.binUs) + 1 : this.curveBins;
    const curve = new Float64Array(curveBins);
    curve.set(this.curve.subarray(0, Math.min(curveBins, this.curve.length)));
    return {
      range: this.range,
      photons: this.photons,
      widePhotons: this.widePhotons,
      outside: this.outside,
      firstUs: this.firstUs,
      lastUs: this.lastUs,
      image: { width, height, counts, max },
      lightCurve: { originUs: this.originUs ?? 0, binUs: this.binUs, counts: curve, before: this.before },
      phase: integerHistogram(this.phaseCounts, -PHASE_OFFSET, this.options.histogramBins ?? 256, this.options.phaseRange),
      baseline: integerHistogram(this.baselineCounts, -BASELINE_OFFSET, this.options.histogramBins ?? 256, this.options.baselineRange),
      boards: this.boardCounts.slice(),
    };
  }
}

/**
 * The default light-curve bin for a span of `spanUs`: 1 s, or the smallest whole number of seconds
 * that keeps the curve within {@link MAX_CURVE_BINS} bins (a range of a whole wrap period, 397 days, gets 3 s).
 */
export function defaultLightCurveBinUs(spanUs: number): number {
  return Math.max(1, Math.ceil((spanUs + 1) / MAX_CURVE_BINS / 1_000_000)) * 1_000_000;
}

/** Rebin full-resolution integer counts (`counts[i]` = values equal to `first + i`). */
function integerHistogram(counts: Uint32Array, first: number, bins: number, range?: readonly [number, number]): Histogram1D {
  let low = range?.[0];
  let high = range?.[1];
  if (low === undefined || high === undefined) {
    let lo = -1;
    let hi = -1;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i]! > 0) {
        if (lo < 0) lo = i;
        hi = i;
      }
    }
    // Integers: [min, max + 1) so every bin is equally wide in whole units.
    low = lo < 0 ? 0 : first + lo;
    high = lo < 0 ? 1 : first + hi + 1;
  }
  const h = new HistogramAccumulator({ bins, low, high });
  h.addIntegerCounts(first, counts);
  return h.result();
}

function photonArraysOf(batch: RecordBatch): Gen2PhotonArrays {
  const col = <T>(name: string): T => batch.getChild(name)?.toArray() as T;
  const board = batch.getChild("board")?.toArray() as Uint8Array | undefined;
  return {
    xy: col<Uint16Array>("xy"),
    timestamp: col<BigInt64Array>("timestamp"),
    phase: col<Int32Array>("phase"),
    baseline: col<Int32Array>("baseline"),
    ...(board ? { board } : {}),
  };
}

function wideArraysOf(batch: RecordBatch): Gen2WidePhotonArrays {
  const col = <T>(name: string): T => batch.getChild(name)?.toArray() as T;
  return {
    x: col<Uint16Array>("x"),
    y: col<Uint16Array>("y"),
    timestamp: col<BigInt64Array>("timestamp"),
    phase: col<Int32Array>("phase"),
    baseline: col<Int32Array>("baseline"),
    board: col<Uint8Array>("board"),
  };
}

/** Options of {@link binGen2Directory}. */
export interface Gen2BinDirectoryOptions extends Omit<Gen2BinOptions, "originUs"> {
  /** Called after each batch with (bytes decoded, bytes to decode) over the files used. */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** Stop early: throws the signal's reason at the next batch. */
  signal?: AbortSignal;
  /** Bytes decoded per batch (default 8 MiB). */
  batchBytes?: number;
}

/** The result of {@link binGen2Directory}: the bins plus the files that were read. */
export interface Gen2DirectoryBinned extends Gen2Binned {
  /** The files decoded (entry paths, directory order). */
  readonly files: readonly Gen2ScannedFile[];
  /** Header-time range of the whole directory (first file's start to last file's stop). */
  readonly nightRange: TimestampRange;
}

/**
 * Bin a directory of gen2 `.bin` files (a night), or the photons of `range` in it, file by file in
 * directory order with each file's leading words timed by the previous file's last header — the
 * same photons `BinSourceDirectory.readAll`/`readTimerange` return, without holding them. Files are
 * chosen for a range as `readTimerange` does (header ranges grown by 10 ms). Without a range the
 * light curve starts at the night's first header time.
 * @throws Gen2BinError `GEN2_DIR_NOT_FOUND`, `GEN2_NO_FILES`, `GEN2_IO`, `GEN2_PARTIAL_WORD`, …
 */
export async function binGen2Directory(
  directory: DirectorySource | BinSourceDirectory,
  options: Gen2BinDirectoryOptions = {},
): Promise<Gen2DirectoryBinned> {
  const dir = directory instanceof BinSourceDirectory ? directory : await BinSourceDirectory.open(directory);
  const range = options.range ?? null;
  const files = range ? dir.filesForTimerange(range) : [...dir.files];
  const first = dir.files[0]!;
  const last = dir.files[dir.files.length - 1]!;
  const nightRange = new TimestampRange(first.range.startUs, last.range.stopUs);
  const binner = new Gen2Binner({
    ...options,
    ...(range ? {} : { originUs: first.range.startUs }),
    lightCurveBinUs: options.lightCurveBinUs ?? defaultLightCurveBinUs((range ?? nightRange).durationUs),
  });
  const total = files.reduce((n, f) => n + f.size, 0);
  let done = 0;
  for (const f of files) {
    let source: ByteSource;
    try {
      source = await dir.source.open(f.path);
    } catch (error) {
      throw sourceError(error, f.path, "opening");
    }
    try {
      const header = f.index > 0 ? dir.files[f.index - 1]!.lastHeader : null;
      let fileDone = 0;
      for await (const batch of iterateGen2Batches(source, {
        header,
        board: true,
        allowPartialWord: true,
        path: f.path,
        ...(options.batchBytes ? { batchBytes: options.batchBytes } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      })) {
        binner.addBatch(batch);
        done += batch.stats.bytes - fileDone;
        fileDone = batch.stats.bytes;
        options.onProgress?.(done, total);
      }
    } finally {
      await source.close?.();
    }
  }
  return { ...binner.result(), files, nightRange };
}
