/**
 * gen2 `.bin` directories over an `@daqkit/io` directory source (platform-neutral): the scan
 * (file order, header-time ranges across the 36-bit wrap) that `BinDirectory` uses too, and
 * `BinSourceDirectory`, the time-range reader for folders without a writable cache (a browser
 * folder, a dropped list of `File`s, an HTTP listing).
 */
import type { ByteSource, DirectorySource } from "@daqkit/io";
import { TimestampRange } from "@daqkit/timestamps";
import type { Table } from "apache-arrow";
import { wideTable } from "./arrow-tables.js";
import { decodeGen2SourceArrays, type Gen2DecodedArrays, type Gen2DecodeOptions } from "./decode.js";
import { Gen2BinError, sourceError } from "./errors.js";
import { scanGen2Headers } from "./header-scan.js";
import { concat, filterPhotons, filterWide, insideTest } from "./range-filter.js";
import { emptyPhotonTable, emptyWideTable, sortGen2Source } from "./sorted-photons.js";
import type { Gen2Header } from "./words.js";

/** Files whose ranges, grown by this many µs on both sides, overlap a query are used (binney `OVERLAP_RANGE`, 10 ms). */
export const GEN2_OVERLAP_US = 10_000;

/** One `.bin` file of a directory, in directory order. */
export interface Gen2ScannedFile {
  /** Position in directory order (0-based): the `index` of the cache name. */
  readonly index: number;
  /** The file: an absolute path (`@daqkit/gen2-bin/node`) or the entry path in the directory source. */
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

/** A `*.bin` entry that is not used, and why. */
export interface Gen2SkippedFile {
  readonly path: string;
  readonly size: number;
  /** `empty` (0 bytes), `short` (1–7 bytes: no whole word) or `no-header` (no header word anywhere). */
  readonly reason: "empty" | "short" | "no-header";
}

/** Result of a directory scan. */
export interface Gen2DirectoryScan {
  /** The bin directory: an absolute path (Node) or the directory source's name. */
  binDir: string;
  /** Usable files in directory order. */
  files: Gen2ScannedFile[];
  /** `*.bin` entries that are not used, and why. */
  skipped: Gen2SkippedFile[];
}

/** A scanned file plus the entry path to open it with (internal). */
export interface ScannedEntry extends Gen2ScannedFile {
  readonly entryPath: string;
}

/**
 * The scan behind {@link scanGen2Source} and the Node `scanGen2Directory`: `.bin` files directly
 * in `dir`, heads and tails read through the source; `pathOf` gives the reported path of an entry.
 */
export async function scanDirectorySource(
  dir: DirectorySource,
  binDir: string,
  pathOf: (entryPath: string) => string,
): Promise<{ binDir: string; files: ScannedEntry[]; skipped: Gen2SkippedFile[] }> {
  let entries: Awaited<ReturnType<DirectorySource["list"]>>;
  try {
    entries = await dir.list();
  } catch (error) {
    if ((error as { code?: unknown })?.code === "IO_NOT_FOUND") {
      throw new Gen2BinError("GEN2_DIR_NOT_FOUND", `gen2: bin directory ${binDir} does not exist or is not a directory`, {
        path: binDir,
        cause: error,
      });
    }
    throw sourceError(error, binDir, "listing");
  }
  const candidates: Array<{ entryPath: string; name: string; size: number }> = [];
  const skipped: Gen2SkippedFile[] = [];
  for (const e of entries) {
    // Directly in the directory, extension exactly `.bin` (a file named just ".bin" has no extension).
    if (e.kind !== "file" || e.path.includes("/") || !e.path.endsWith(".bin") || e.path === ".bin") continue;
    if (e.size === 0) skipped.push({ path: pathOf(e.path), size: 0, reason: "empty" });
    else if (e.size < 8) skipped.push({ path: pathOf(e.path), size: e.size, reason: "short" });
    else candidates.push({ entryPath: e.path, name: e.path, size: e.size });
  }
  const scanned: Array<{ entryPath: string; name: string; size: number; first: Gen2Header; firstAt: number; last: Gen2Header }> = [];
  for (const c of candidates) {
    let source: ByteSource;
    try {
      source = await dir.open(c.entryPath);
    } catch (error) {
      throw sourceError(error, pathOf(c.entryPath), "opening");
    }
    try {
      const span = await scanGen2Headers(source, { path: pathOf(c.entryPath) });
      if (!span) skipped.push({ path: pathOf(c.entryPath), size: c.size, reason: "no-header" });
      else scanned.push({ ...c, first: span.first, firstAt: span.firstByteOffset, last: span.last });
    } finally {
      await source.close?.();
    }
  }
  if (scanned.length === 0) {
    const extra = skipped.length ? ` (${skipped.length} unusable: ${skipped.map((s) => `${s.path} ${s.reason}`).join(", ")})` : "";
    throw new Gen2BinError("GEN2_NO_FILES", `gen2: no usable .bin files in ${binDir}${extra}`, { path: binDir });
  }
  // By host unix second when every stem is an integer (wrap-safe), else by first-header time (spec §12 D8).
  const numeric = scanned.every((s) => /^\d+$/.test(s.name.slice(0, -4)));
  if (numeric) scanned.sort((a, b) => Number(a.name.slice(0, -4)) - Number(b.name.slice(0, -4)));
  else scanned.sort((a, b) => a.first.timestamp - b.first.timestamp);
  const files = scanned.map((s, index): ScannedEntry => {
    const next = scanned[index + 1];
    const stop = next ? next.first.timestamp * 500 : s.last.timestamp * 500 + 499;
    return {
      index,
      path: pathOf(s.entryPath),
      entryPath: s.entryPath,
      name: s.name,
      size: s.size,
      firstHeader: s.first,
      firstHeaderByteOffset: s.firstAt,
      lastHeader: s.last,
      range: new TimestampRange(s.first.timestamp * 500, stop),
    };
  });
  return { binDir, files, skipped };
}

/**
 * Scan a directory source of gen2 `.bin` files without decoding them (reads the head and tail of
 * each file). Files: file entries directly in the directory whose extension is exactly `.bin`.
 * Order: by numeric file stem (host unix second) when every stem is an integer — wrap-safe —
 * otherwise by first-header time. Empty, sub-word and header-less files are listed in `skipped`.
 * Paths are the entry paths of the source.
 * @throws Gen2BinError `GEN2_DIR_NOT_FOUND`, `GEN2_NO_FILES`, `GEN2_IO`
 */
export async function scanGen2Source(dir: DirectorySource): Promise<Gen2DirectoryScan> {
  const { binDir, files, skipped } = await scanDirectorySource(dir, dir.name, (p) => p);
  return { binDir, files: files.map(({ entryPath: _, ...f }) => f), skipped };
}

/** Photons read from a directory. */
export interface Gen2ReadResult {
  /** `xy: Uint16, timestamp: Int64 (µs), phase: Int32, baseline: Int32`; per file sorted by (xy, timestamp), files in order. */
  photons: Table;
  /** Photons with x or y ≥ 256: `x, y: Uint16, timestamp: Int64, phase, baseline: Int32, board: Uint8`. */
  wide: Table;
  /** The files the rows came from (Node `BinDirectory`: Parquet cache files; `BinSourceDirectory`: `.bin` entry paths). */
  files: string[];
  /** The files with photons of x or y ≥ 256 (Node: the wide-photon Parquet files). */
  wideFiles: string[];
}

/** Options of {@link BinSourceDirectory.open}. */
export interface BinSourceDirectoryOptions {
  /** Photons sorted in memory per pass (default 4 Mi ≈ 64 MiB). */
  maxRowsPerPass?: number;
}

/**
 * A directory of gen2 `.bin` files read through an `@daqkit/io` directory source — a browser folder
 * (`fileSystemHandleDirectory`, `fileListDirectory`), an HTTP listing (`openHttpDirectory`) or a
 * Node directory — without a Parquet cache. Time-range queries select files by their header
 * ranges exactly as `BinDirectory` does (across the wrap) and return the same photons in the same
 * order: each file's rows sorted by (xy, timestamp), files in directory order. Each query decodes
 * the files it needs. Create with {@link BinSourceDirectory.open}.
 */
export class BinSourceDirectory {
  private constructor(
    /** The directory source. */
    readonly source: DirectorySource,
    /** Usable bin files in directory order (`path` = entry path). */
    readonly files: readonly Gen2ScannedFile[],
    /** `*.bin` entries that are not used, and why (never silently dropped). */
    readonly skipped: readonly Gen2SkippedFile[],
    private readonly options: BinSourceDirectoryOptions,
  ) {}

  /**
   * Scan `source` (see {@link scanGen2Source}).
   * @throws Gen2BinError `GEN2_DIR_NOT_FOUND`, `GEN2_NO_FILES`, `GEN2_IO`
   */
  static async open(source: DirectorySource, options: BinSourceDirectoryOptions = {}): Promise<BinSourceDirectory> {
    const scan = await scanGen2Source(source);
    return new BinSourceDirectory(source, scan.files, scan.skipped, options);
  }

  /** Files whose range grown by {@link GEN2_OVERLAP_US} overlaps `range` (directory order). */
  filesForTimerange(range: TimestampRange): Gen2ScannedFile[] {
    return this.files.filter((f) => f.range.grow(GEN2_OVERLAP_US).overlaps(range));
  }

  private async withFile<T>(file: Gen2ScannedFile, use: (source: ByteSource) => Promise<T>): Promise<T> {
    let source: ByteSource;
    try {
      source = await this.source.open(file.path);
    } catch (error) {
      throw sourceError(error, file.path, "opening");
    }
    try {
      return await use(source);
    } finally {
      await source.close?.();
    }
  }

  /** The header that times the words before `file`'s first header: the previous file's last header. */
  private headerBefore(file: Gen2ScannedFile): Gen2Header | null {
    return file.index > 0 ? this.files[file.index - 1]!.lastHeader : null;
  }

  /**
   * Decode one file in file order (no sorting, no filtering), its leading words timed with the
   * previous file's last header. Partial trailing words are allowed (counted in `stats.trailingBytes`).
   * @throws Gen2BinError `GEN2_FILE_NOT_FOUND`, `GEN2_IO`
   */
  decodeFile(file: Gen2ScannedFile, options: Pick<Gen2DecodeOptions, "board"> = {}): Promise<Gen2DecodedArrays> {
    return this.withFile(file, (source) =>
      decodeGen2SourceArrays(source, { ...options, header: this.headerBefore(file), allowPartialWord: true, path: file.path }),
    );
  }

  private async readFiles(files: readonly Gen2ScannedFile[], range: TimestampRange | null): Promise<Gen2ReadResult> {
    const inside = range ? insideTest(range) : null;
    const parts: Table[] = [];
    const wideParts: Table[] = [];
    const wideFiles: string[] = [];
    for (const f of files) {
      for await (const t of this.sortedTables(f, (wide) => {
        wideFiles.push(f.path);
        wideParts.push(inside ? filterWide(wideTable(wide), inside) : wideTable(wide));
      })) {
        parts.push(inside ? filterPhotons(t, inside) : t);
      }
    }
    const photons = parts.length ? concat(parts) : emptyPhotonTable();
    const wide = wideParts.length ? concat(wideParts) : emptyWideTable();
    return { photons, wide, files: files.map((f) => f.path), wideFiles };
  }

  private async *sortedTables(file: Gen2ScannedFile, onWide?: (wide: Parameters<typeof wideTable>[0]) => void): AsyncGenerator<Table> {
    let source: ByteSource;
    try {
      source = await this.source.open(file.path);
    } catch (error) {
      throw sourceError(error, file.path, "opening");
    }
    try {
      const sorted = await sortGen2Source(source, {
        header: this.headerBefore(file),
        path: file.path,
        ...(this.options.maxRowsPerPass ? { maxRowsPerPass: this.options.maxRowsPerPass } : {}),
      });
      if (sorted.wide.x.length > 0) onWide?.(sorted.wide);
      yield* sorted.tables();
    } finally {
      await source.close?.();
    }
  }

  /** Every photon (binney `read_all`). */
  readAll(): Promise<Gen2ReadResult> {
    return this.readFiles(this.files, null);
  }

  /**
   * The photons whose timestamp is inside `range` (inclusive, mod M, may cross the wrap), from the
   * files of {@link filesForTimerange}; rows outside the range are removed.
   * @throws Gen2BinError `GEN2_FILE_NOT_FOUND`, `GEN2_IO`
   */
  readTimerange(range: TimestampRange): Promise<Gen2ReadResult> {
    return this.readFiles(this.filesForTimerange(range), range);
  }

  /** {@link readTimerange} for several ranges. */
  async readTimeranges(ranges: readonly TimestampRange[]): Promise<Gen2ReadResult[]> {
    const out: Gen2ReadResult[] = [];
    for (const r of ranges) out.push(await this.readTimerange(r));
    return out;
  }

  /**
   * Streaming form of {@link readTimerange} (photons with x, y < 256 only): Arrow tables of up to
   * 256 Ki rows, filtered to `range` (`null` = everything), files in directory order.
   */
  async *streamTimerange(range: TimestampRange | null): AsyncGenerator<Table> {
    const files = range ? this.filesForTimerange(range) : this.files;
    const inside = range ? insideTest(range) : null;
    for (const f of files) {
      for await (const t of this.sortedTables(f)) yield inside ? filterPhotons(t, inside) : t;
    }
  }
}
