/**
 * `BinDirectory`: a directory of gen2 `.bin` files with a Parquet cache and time-range queries
 * (spec §8, with the corrections of §12 D7–D10 and D14).
 */
import { existsSync } from "node:fs";
import { access, constants, mkdir, open, readdir, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { WorkerPool } from "@daqkit/io";
import { nodeWorkerFactory } from "@daqkit/io/node";
import { GEN2_WRAP_US, TimestampRange } from "@daqkit/timestamps";
import type { Table } from "apache-arrow";
import { photonTable, wideTable } from "./arrow-tables.js";
import { type ConvertJob, type ConvertResult, convertBinFile, emptyWideTable } from "./convert-file.js";
import { fsError, Gen2BinError, reviveWorkerError } from "./errors.js";
import { readParquetTables } from "./parquet-io.js";
import type { Gen2Header } from "./words.js";

/** Files whose ranges, grown by this many µs on both sides, overlap a query are used (binney `OVERLAP_RANGE`, 10 ms). */
export const GEN2_OVERLAP_US = 10_000;

/** Options of {@link BinDirectory.open}. */
export interface BinDirectoryOptions {
  /** Called after each file conversion with (files done, files to do, bin path). */
  progress?: (done: number, total: number, binPath: string) => void;
  /**
   * Worker threads for conversions. Default `min(2, availableParallelism())`; 0 or 1 converts in the
   * calling thread (the worker pool's sequential fallback). Workers need the built package (`dist/convert-worker.js`); when running from
   * TypeScript sources without it, conversion falls back to the calling thread.
   */
  workers?: number;
  /** Photons sorted in memory per conversion pass (default 4 Mi ≈ 64 MiB per worker). */
  maxRowsPerPass?: number;
  /** Advanced: the worker script to use instead of `dist/convert-worker.js`. */
  workerScript?: URL | string;
}

/** Options of the convert and read methods. */
export interface ConvertOptions {
  /** Convert even if an up-to-date Parquet file exists. Default false. */
  overwrite?: boolean;
}

/** One `.bin` file of a directory, in directory order. */
export interface Gen2ScannedFile {
  /** Position in directory order (0-based): the `index` of the cache name. */
  readonly index: number;
  readonly path: string;
  readonly name: string;
  readonly size: number;
  /** First header word of the file. */
  readonly firstHeader: Gen2Header;
  /** Byte offset of the first header (> 0 when the file starts with continuation words, spec §4.3). */
  readonly firstHeaderByteOffset: number;
  /** Last header word of the file. */
  readonly lastHeader: Gen2Header;
  /**
   * Header-time range in µs, both ends inclusive, normalised mod M: `[first header × 500,
   * next file's first header × 500]`, or `[…, last header × 500 + 499]` for the last file.
   */
  readonly range: TimestampRange;
}

/** A `.bin` file of a {@link BinDirectory} with its cache paths. */
export interface Gen2BinFile extends Gen2ScannedFile {
  /** The cache file `{start}-{stop}-{index}.parquet`. */
  readonly parquetPath: string;
  /** Cache file for photons with x or y ≥ 256: `wide/{start}-{stop}-{index}.parquet` (only if any). */
  readonly widePath: string;
}

/** A `*.bin` entry that is not used, and why. */
export interface Gen2SkippedFile {
  readonly path: string;
  readonly size: number;
  /** `empty` (0 bytes), `short` (1–7 bytes: no whole word) or `no-header` (no header word anywhere). */
  readonly reason: "empty" | "short" | "no-header";
}

/** Photons read back from the cache. */
export interface Gen2ReadResult {
  /** `xy: Uint16, timestamp: Int64 (µs), phase: Int32, baseline: Int32`; per file sorted by (xy, timestamp), files in order. */
  photons: Table;
  /** Photons with x or y ≥ 256: `x, y: Uint16, timestamp: Int64, phase, baseline: Int32, board: Uint8`. */
  wide: Table;
  /** The Parquet files the rows came from (hand them to DuckDB/Polars). Rows outside the range are in them. */
  files: string[];
  /** The wide-photon Parquet files (subset of files that have wide photons). */
  wideFiles: string[];
}

const SCAN_BLOCK = 64 * 1024;

async function scanHeaders(path: string, size: number): Promise<{ first: Gen2Header; firstAt: number; last: Gen2Header } | null> {
  const handle = await open(path, "r").catch((e: unknown) => {
    throw fsError(e, path, "opening");
  });
  try {
    const whole = size - (size % 8);
    const buf = Buffer.allocUnsafe(SCAN_BLOCK);
    const headerAt = (at: number): Gen2Header => {
      const hi = buf.readUInt32BE(at);
      const lo = buf.readUInt32BE(at + 4);
      return { board: (hi >>> 16) & 0xff, frame: (hi >>> 4) & 0xfff, timestamp: (hi & 0xf) * 4294967296 + lo };
    };
    let first: Gen2Header | null = null;
    let firstAt = -1;
    for (let pos = 0; pos < whole && !first; pos += SCAN_BLOCK) {
      const n = Math.min(SCAN_BLOCK, whole - pos);
      await handle.read(buf, 0, n, pos);
      for (let i = 0; i < n; i += 8) {
        if (buf[i] === 0xff) {
          first = headerAt(i);
          firstAt = pos + i;
          break;
        }
      }
    }
    if (!first) return null;
    // The tail: read backwards (any size works, spec §12 D9).
    for (let end = whole; end > firstAt; end -= SCAN_BLOCK) {
      const start = Math.max(0, end - SCAN_BLOCK);
      await handle.read(buf, 0, end - start, start);
      for (let i = end - start - 8; i >= 0; i -= 8) {
        if (buf[i] === 0xff) return { first, firstAt, last: headerAt(i) };
      }
    }
    return { first, firstAt, last: first };
  } catch (error) {
    throw fsError(error, path, "reading");
  } finally {
    await handle.close();
  }
}

/** Result of {@link scanGen2Directory}. */
export interface Gen2DirectoryScan {
  /** Absolute bin directory. */
  binDir: string;
  /** Usable files in directory order. */
  files: Gen2ScannedFile[];
  /** `*.bin` entries that are not used, and why. */
  skipped: Gen2SkippedFile[];
}

/**
 * Scan a directory of gen2 `.bin` files without converting anything (reads the head and tail of
 * each file). Files: regular entries (symlinks followed) directly in `binDir` whose extension is
 * exactly `.bin`. Order: by numeric file stem (host unix second) when every stem is an integer —
 * wrap-safe — otherwise by first-header time. Empty, sub-word and header-less files are listed in
 * `skipped`.
 * @throws Gen2BinError `GEN2_DIR_NOT_FOUND`, `GEN2_NO_FILES`, `GEN2_IO`
 */
export async function scanGen2Directory(binDir: string): Promise<Gen2DirectoryScan> {
  const dir = resolve(binDir);
  let entries: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
    entries = await readdir(dir);
  } catch (error) {
    throw new Gen2BinError("GEN2_DIR_NOT_FOUND", `gen2: bin directory ${dir} does not exist or is not a directory`, {
      path: dir,
      cause: error,
    });
  }
  const candidates: Array<{ path: string; name: string; size: number }> = [];
  const skipped: Gen2SkippedFile[] = [];
  for (const name of entries.sort()) {
    if (extname(name) !== ".bin" || name === ".bin") continue;
    const path = join(dir, name);
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) continue;
    if (info.size === 0) skipped.push({ path, size: 0, reason: "empty" });
    else if (info.size < 8) skipped.push({ path, size: info.size, reason: "short" });
    else candidates.push({ path, name, size: info.size });
  }
  const scanned: Array<{ path: string; name: string; size: number; first: Gen2Header; firstAt: number; last: Gen2Header }> = [];
  for (const c of candidates) {
    const h = await scanHeaders(c.path, c.size);
    if (!h) skipped.push({ path: c.path, size: c.size, reason: "no-header" });
    else scanned.push({ ...c, ...h });
  }
  if (scanned.length === 0) {
    const extra = skipped.length ? ` (${skipped.length} unusable: ${skipped.map((s) => `${s.path} ${s.reason}`).join(", ")})` : "";
    throw new Gen2BinError("GEN2_NO_FILES", `gen2: no usable .bin files in ${dir}${extra}`, { path: dir });
  }
  const numeric = scanned.every((s) => /^\d+$/.test(s.name.slice(0, -4)));
  if (numeric) scanned.sort((a, b) => Number(a.name.slice(0, -4)) - Number(b.name.slice(0, -4)));
  else scanned.sort((a, b) => a.first.timestamp - b.first.timestamp);
  const files = scanned.map((s, index): Gen2ScannedFile => {
    const next = scanned[index + 1];
    const stop = next ? next.first.timestamp * 500 : s.last.timestamp * 500 + 499;
    return {
      index,
      path: s.path,
      name: s.name,
      size: s.size,
      firstHeader: s.first,
      firstHeaderByteOffset: s.firstAt,
      lastHeader: s.last,
      range: new TimestampRange(s.first.timestamp * 500, stop),
    };
  });
  return { binDir: dir, files, skipped };
}

function defaultWorkerScript(): URL | null {
  const url = new URL("./convert-worker.js", import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : null;
}

/** Inline membership test of `range` (mod M), for typed-array loops. */
function insideTest(range: TimestampRange): (t: number) => boolean {
  const { startUs, stopUs } = range;
  if (startUs <= stopUs) {
    return (t) => {
      const u = t >= GEN2_WRAP_US ? t % GEN2_WRAP_US : t;
      return u >= startUs && u <= stopUs;
    };
  }
  return (t) => {
    const u = t >= GEN2_WRAP_US ? t % GEN2_WRAP_US : t;
    return u <= stopUs || u >= startUs;
  };
}

/**
 * A directory of gen2 `.bin` files and its Parquet cache (one Parquet file per bin file, rows
 * sorted by (xy, timestamp)). Create with {@link BinDirectory.open}.
 */
export class BinDirectory {
  /** Conversion results of this instance, by file index (filled by the convert/read methods). */
  readonly results = new Map<number, ConvertResult | "cached">();
  private readonly inflight = new Map<number, Promise<string>>();

  private constructor(
    /** Absolute bin directory. */
    readonly binDir: string,
    /** Absolute Parquet cache directory. */
    readonly parquetDir: string,
    /** Usable bin files in directory order. */
    readonly files: readonly Gen2BinFile[],
    /** `*.bin` entries that are not used, and why (never silently dropped). */
    readonly skipped: readonly Gen2SkippedFile[],
    private readonly options: BinDirectoryOptions,
  ) {}

  /**
   * Scan `binDir` (see {@link scanGen2Directory}) and prepare `parquetDir` (created if missing,
   * with a `wide/` subdirectory).
   * @throws Gen2BinError `GEN2_DIR_NOT_FOUND`, `GEN2_NO_FILES`, `GEN2_CACHE_UNREADABLE`, `GEN2_IO`
   */
  static async open(binDir: string, parquetDir: string, options: BinDirectoryOptions = {}): Promise<BinDirectory> {
    const scan = await scanGen2Directory(binDir);
    const cache = resolve(parquetDir);
    try {
      const info = await stat(cache).catch(() => null);
      if (info && !info.isDirectory()) throw Object.assign(new Error("exists and is not a directory"), { code: "ENOTDIR" });
      await mkdir(join(cache, "wide"), { recursive: true });
      await access(cache, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch (error) {
      throw new Gen2BinError(
        "GEN2_CACHE_UNREADABLE",
        `gen2: Parquet cache directory ${cache} cannot be used: ${(error as Error).message}`,
        { path: cache, cause: error },
      );
    }
    const files: Gen2BinFile[] = scan.files.map((f) => {
      const cacheName = `${f.range.startUs}-${f.range.stopUs}-${f.index}.parquet`;
      return { ...f, parquetPath: join(cache, cacheName), widePath: join(cache, "wide", cacheName) };
    });
    return new BinDirectory(scan.binDir, cache, files, scan.skipped, options);
  }

  /** Files whose range grown by {@link GEN2_OVERLAP_US} overlaps `range` (directory order). */
  filesForTimerange(range: TimestampRange): Gen2BinFile[] {
    return this.files.filter((f) => f.range.grow(GEN2_OVERLAP_US).overlaps(range));
  }

  /**
   * Convert every file (when needed) and return the Parquet paths in directory order.
   * A file is reused when its Parquet file exists, `overwrite` is false and the Parquet mtime is
   * not older than the bin file's (whole seconds). Checked on every call.
   * @throws Gen2BinError `GEN2_IO`, `GEN2_PARQUET`, `GEN2_WORKER_FAILED`
   */
  convertAll(options: ConvertOptions = {}): Promise<string[]> {
    return this.convertFiles(this.files, options);
  }

  /** Convert the files that may hold photons of `range` (see {@link filesForTimerange}); whole files. */
  convertTimerange(range: TimestampRange, options: ConvertOptions = {}): Promise<string[]> {
    return this.convertFiles(this.filesForTimerange(range), options);
  }

  /** {@link convertTimerange} for several ranges: one path list per range. */
  async convertTimeranges(ranges: readonly TimestampRange[], options: ConvertOptions = {}): Promise<string[][]> {
    const lists = ranges.map((r) => this.filesForTimerange(r));
    const union = [...new Set(lists.flat())].sort((a, b) => a.index - b.index);
    await this.convertFiles(union, options);
    return lists.map((list) => list.map((f) => f.parquetPath));
  }

  private async needsConversion(file: Gen2BinFile, overwrite: boolean): Promise<boolean> {
    if (overwrite) return true;
    const [bin, pq] = await Promise.all([
      stat(file.path).catch((error: unknown) => {
        throw fsError(error, file.path, "checking");
      }),
      stat(file.parquetPath).catch(() => null),
    ]);
    if (!pq) return true;
    return Math.floor(pq.mtimeMs / 1000) < Math.floor(bin.mtimeMs / 1000);
  }

  private jobFor(file: Gen2BinFile): ConvertJob {
    const previous = file.index > 0 ? this.files[file.index - 1] : undefined;
    return {
      binPath: file.path,
      parquetPath: file.parquetPath,
      widePath: file.widePath,
      header: previous ? previous.lastHeader : null,
      ...(this.options.maxRowsPerPass ? { maxRowsPerPass: this.options.maxRowsPerPass } : {}),
    };
  }

  private async convertFiles(files: readonly Gen2BinFile[], options: ConvertOptions): Promise<string[]> {
    const overwrite = options.overwrite === true;
    const todo: Gen2BinFile[] = [];
    const waits: Promise<unknown>[] = [];
    for (const f of files) {
      const running = this.inflight.get(f.index);
      if (running) waits.push(running);
      else if (await this.needsConversion(f, overwrite)) todo.push(f);
      else this.results.set(f.index, "cached");
    }
    const total = todo.length;
    let done = 0;
    const report = (f: Gen2BinFile) => this.options.progress?.(++done, total, f.path);
    if (total > 0) {
      const wanted = this.options.workers ?? Math.min(2, availableParallelism());
      const script = this.options.workerScript ?? defaultWorkerScript();
      // One pool for all of daqkit (@daqkit/io): worker threads, or one file after another in this
      // thread when there is no worker script, or 0/1 workers are asked for.
      const pool = new WorkerPool<ConvertJob, ConvertResult>({
        size: Math.max(0, Math.min(wanted, total)),
        spawn: script ? nodeWorkerFactory(script) : undefined,
        inline: convertBinFile,
        reviveError: reviveWorkerError,
      });
      try {
        const run = (f: Gen2BinFile): Promise<string> => {
          const p = pool.run(this.jobFor(f)).then((r) => {
            this.results.set(f.index, r);
            report(f);
            return f.parquetPath;
          });
          const tracked = p.finally(() => this.inflight.delete(f.index));
          this.inflight.set(f.index, tracked);
          return tracked;
        };
        if (pool.mode === "workers") {
          waits.push(...todo.map(run));
        } else {
          // In this thread: one file after another, stopping at the first failure.
          for (const f of todo) await run(f);
        }
        await Promise.all(waits);
      } finally {
        // Let every started job settle before the pool goes away.
        await Promise.allSettled(waits);
        await pool.close();
      }
    } else {
      await Promise.all(waits);
    }
    return files.map((f) => f.parquetPath);
  }

  private async readFiles(files: readonly Gen2BinFile[], range: TimestampRange | null): Promise<Gen2ReadResult> {
    const inside = range ? insideTest(range) : null;
    const parts: Table[] = [];
    const wideParts: Table[] = [];
    const wideFiles: string[] = [];
    for (const f of files) {
      for await (const t of readParquetTables(f.parquetPath)) parts.push(inside ? filterPhotons(t, inside) : t);
      if (existsSync(f.widePath)) {
        wideFiles.push(f.widePath);
        for await (const t of readParquetTables(f.widePath)) wideParts.push(inside ? filterWide(t, inside) : t);
      }
    }
    const photons = parts.length ? concat(parts) : photonTable({ xy: new Uint16Array(0), timestamp: new BigInt64Array(0), phase: new Int32Array(0), baseline: new Int32Array(0) });
    const wide = wideParts.length ? concat(wideParts) : emptyWideTable();
    return { photons, wide, files: files.map((f) => f.parquetPath), wideFiles };
  }

  /** Convert as needed and read every photon (binney `read_all`). */
  async readAll(options: ConvertOptions = {}): Promise<Gen2ReadResult> {
    await this.convertAll(options);
    return this.readFiles(this.files, null);
  }

  /**
   * Convert as needed and read the photons whose timestamp is inside `range` (inclusive, mod M);
   * rows outside it are removed (unlike binney, which returns whole files).
   */
  async readTimerange(range: TimestampRange, options: ConvertOptions = {}): Promise<Gen2ReadResult> {
    const files = this.filesForTimerange(range);
    await this.convertFiles(files, options);
    return this.readFiles(files, range);
  }

  /** {@link readTimerange} for several ranges. */
  async readTimeranges(ranges: readonly TimestampRange[], options: ConvertOptions = {}): Promise<Gen2ReadResult[]> {
    await this.convertTimeranges(ranges, options);
    const out: Gen2ReadResult[] = [];
    for (const r of ranges) out.push(await this.readFiles(this.filesForTimerange(r), r));
    return out;
  }

  /**
   * Streaming form of {@link readTimerange} (photons with x, y < 256 only): Arrow tables of up
   * to 1 Mi rows, filtered to `range` (`null` = everything), files in directory order.
   */
  async *streamTimerange(range: TimestampRange | null, options: ConvertOptions = {}): AsyncGenerator<Table> {
    const files = range ? this.filesForTimerange(range) : this.files;
    await this.convertFiles(files, options);
    const inside = range ? insideTest(range) : null;
    for (const f of files) {
      for await (const t of readParquetTables(f.parquetPath)) yield inside ? filterPhotons(t, inside) : t;
    }
  }
}

function concat(tables: Table[]): Table {
  const [first, ...rest] = tables;
  return rest.length ? first!.concat(...rest) : first!;
}

function column<T>(table: Table, name: string): T {
  const vector = table.getChild(name);
  if (!vector) throw new Gen2BinError("GEN2_PARQUET", `gen2: cache file lacks column ${name}`);
  return vector.toArray() as T;
}

function keepIndices(ts: BigInt64Array, inside: (t: number) => boolean): Int32Array | null {
  const pairs = new Int32Array(ts.buffer, ts.byteOffset, ts.length * 2);
  const keep = new Int32Array(ts.length);
  let n = 0;
  for (let i = 0; i < ts.length; i++) {
    if (inside(pairs[2 * i + 1]! * 4294967296 + (pairs[2 * i]! >>> 0))) keep[n++] = i;
  }
  return n === ts.length ? null : keep.subarray(0, n);
}

function pick<T extends Uint16Array | Int32Array | BigInt64Array | Uint8Array>(a: T, keep: Int32Array): T {
  const out = new (a.constructor as new (n: number) => T)(keep.length);
  for (let i = 0; i < keep.length; i++) (out as Uint8Array)[i] = (a as Uint8Array)[keep[i]!]!;
  return out;
}

function filterPhotons(table: Table, inside: (t: number) => boolean): Table {
  const ts = column<BigInt64Array>(table, "timestamp");
  const keep = keepIndices(ts, inside);
  if (!keep) return table;
  return photonTable({
    xy: pick(column<Uint16Array>(table, "xy"), keep),
    timestamp: pick(ts, keep),
    phase: pick(column<Int32Array>(table, "phase"), keep),
    baseline: pick(column<Int32Array>(table, "baseline"), keep),
  });
}

function filterWide(table: Table, inside: (t: number) => boolean): Table {
  const ts = column<BigInt64Array>(table, "timestamp");
  const keep = keepIndices(ts, inside);
  if (!keep) return table;
  return wideTable({
    x: pick(column<Uint16Array>(table, "x"), keep),
    y: pick(column<Uint16Array>(table, "y"), keep),
    timestamp: pick(ts, keep),
    phase: pick(column<Int32Array>(table, "phase"), keep),
    baseline: pick(column<Int32Array>(table, "baseline"), keep),
    board: pick(column<Uint8Array>(table, "board"), keep),
  });
}
