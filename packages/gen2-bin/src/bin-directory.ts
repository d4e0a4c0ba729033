/**
 * `BinDirectory` (Node only): a local directory of gen2 `.bin` files with a Parquet cache and
 * time-range queries (spec §8, with the corrections of §12 D7–D10 and D14). The scan and the
 * range selection are the platform-neutral ones of `bin-source-directory.ts`.
 */
import { existsSync } from "node:fs";
import { access, constants, mkdir, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type DirectorySource, WorkerPool } from "@daqkit/io";
import { nodeWorkerFactory, openDirectorySource } from "@daqkit/io/node";
import type { TimestampRange } from "@daqkit/timestamps";
import type { Table } from "apache-arrow";
import {
  GEN2_OVERLAP_US,
  type Gen2DirectoryScan,
  type Gen2ReadResult,
  type Gen2ScannedFile,
  type Gen2SkippedFile,
  scanDirectorySource,
} from "./bin-source-directory.js";
import { type ConvertJob, type ConvertResult, convertBinFile } from "./convert-file.js";
import { fsError, Gen2BinError, reviveWorkerError } from "./errors.js";
import { readParquetTables } from "./parquet-io.js";
import { concat, filterPhotons, filterWide, insideTest } from "./range-filter.js";
import { emptyPhotonTable, emptyWideTable, SortScratch } from "./sorted-photons.js";

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

/** A `.bin` file of a {@link BinDirectory} with its cache paths. */
export interface Gen2BinFile extends Gen2ScannedFile {
  /** The cache file `{start}-{stop}-{index}.parquet`. */
  readonly parquetPath: string;
  /** Cache file for photons with x or y ≥ 256: `wide/{start}-{stop}-{index}.parquet` (only if any). */
  readonly widePath: string;
}

/**
 * Scan a directory of gen2 `.bin` files without converting anything (reads the head and tail of
 * each file): the platform-neutral scan of `scanGen2Source` over the local directory, with absolute
 * paths. Files: regular entries (symlinks followed) directly in `binDir` whose extension is
 * exactly `.bin`. Order: by numeric file stem (host unix second) when every stem is an integer —
 * wrap-safe — otherwise by first-header time. Empty, sub-word and header-less files are listed in
 * `skipped`.
 * @throws Gen2BinError `GEN2_DIR_NOT_FOUND`, `GEN2_NO_FILES`, `GEN2_IO`
 */
export async function scanGen2Directory(binDir: string): Promise<Gen2DirectoryScan> {
  const dir = resolve(binDir);
  let source: DirectorySource;
  try {
    source = await openDirectorySource(dir);
  } catch (error) {
    throw new Gen2BinError("GEN2_DIR_NOT_FOUND", `gen2: bin directory ${dir} does not exist or is not a directory`, {
      path: dir,
      cause: error,
    });
  }
  const scan = await scanDirectorySource(source, dir, (entryPath) => join(dir, entryPath));
  return { binDir: dir, files: scan.files.map(({ entryPath: _, ...f }) => f), skipped: scan.skipped };
}

function defaultWorkerScript(): URL | null {
  const url = new URL("./convert-worker.js", import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : null;
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

  /**
   * Convert the given files of this directory (when needed), e.g. one shard of {@link files}, and return
   * their Parquet paths in the given order. Each file's cache name depends only on the file, so
   * disjoint subsets converted by separate processes fill the same cache without touching each other.
   * @throws Gen2BinError `GEN2_BAD_ARGUMENT` (a file not of this directory), `GEN2_IO`, `GEN2_PARQUET`, `GEN2_WORKER_FAILED`
   */
  async convertSome(files: readonly Gen2BinFile[], options: ConvertOptions = {}): Promise<string[]> {
    for (const f of files) {
      if (this.files[f.index] !== f) {
        throw new Gen2BinError("GEN2_BAD_ARGUMENT", `gen2: ${f.path} is not a file of this directory (${this.binDir})`, { path: f.path });
      }
    }
    return this.convertFiles(files, options);
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
      const scratch = new SortScratch();
      // One pool for all of daqkit (@daqkit/io): worker threads, or one file after another in this
      // thread when there is no worker script, or 0/1 workers are asked for.
      const pool = new WorkerPool<ConvertJob, ConvertResult>({
        size: Math.max(0, Math.min(wanted, total)),
        spawn: script ? nodeWorkerFactory(script) : undefined,
        // In this thread, the files of this call share one set of sort buffers (dropped with the call).
        inline: (job) => convertBinFile(job, scratch),
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
    const photons = parts.length ? concat(parts) : emptyPhotonTable();
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
