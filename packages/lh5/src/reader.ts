import {
  type BlobLike,
  type ByteSource,
  bytesSource,
  blobSource,
  type H5OpenFile,
  type H5Runtime,
  IoError,
  openH5Blob,
  type OpenH5UrlOptions,
  openH5Url,
} from "@daqkit/io";
import type { Dataset, Group, File as H5File, Metadata } from "h5wasm";
import { type Datatype, type ElementType, parseDatatype } from "./datatype.js";
import { type H5RawModule, dtypeName, elementCtor, readDatasetRanges, readRowsInto, toFloat64 } from "./dataset-read.js";
import { decodeEncodedArray } from "./codecs.js";
import { Lh5Error, hdf5Reason } from "./errors.js";
import { type DirectSource, DirectReader, type Inflate, type InflateAsync } from "./direct-read.js";
import { Lh5Links, type SyncByteSource, checkLh5Structure } from "./fast-links.js";
import { BUILTIN_FILTERS, FILTER_NAMES } from "./filters.js";
import { type Ranges, type RowSelection, normalizeRows, rangesLength } from "./selection.js";
import type {
  ArrayOfEqualSizedArrays,
  AttrValue,
  Attrs,
  EncodedArray,
  Histogram,
  HistogramAxis,
  Lgdo,
  LgdoArray,
  NumericArray,
  Scalar,
  Struct,
  Table,
  VectorOfVectors,
} from "./types.js";
import { lgdoRows } from "./types.js";

/**
 * What {@link openLh5} reads: bytes (`Uint8Array`/`ArrayBuffer`), a `Blob`/`File`, or an
 * `@daqkit/io` {@link ByteSource}. `@daqkit/lh5/node`'s `openLh5` also takes a host path.
 */
export type Lh5Source = Uint8Array | ArrayBuffer | BlobLike | ByteSource;

/** Options of {@link openLh5}. */
export interface OpenLh5Options {
  /**
   * Use the h5wasm-plugins filters (zstd, lzf, blosc, lz4, bz2, bitshuffle …). Default true. With false
   * only HDF5's built-in filters (deflate, shuffle, …) count as available.
   */
  readonly plugins?: boolean;
  /**
   * The h5wasm runtime to open the file with. Default: `loadH5Runtime()` of `@daqkit/io` (main
   * entry; browsers), `loadH5RuntimeNode()` (`@daqkit/lh5/node`). Pass
   * `await loadH5Runtime({ pluginBaseUrl })` when a bundler serves the compression plugins elsewhere.
   *
   * `"on-demand"` (`@daqkit/lh5/node`, host paths): do not load h5wasm at open when the file's metadata
   * passed the fast check and direct reads are allowed; reads served straight from the file (numeric
   * datasets, see {@link direct}) then never start it. A synchronous read that needs h5wasm before it
   * is loaded throws `LH5_RUNTIME_NOT_LOADED`; ask {@link Lh5File.readsDirectly} first and
   * `await file.ensureRuntime()` when it says no (`readObjectAsync` does so itself). Any other
   * source (bytes, `Blob`, a file whose metadata needs HDF5) loads the runtime at open, as by default.
   */
  readonly runtime?: H5Runtime | "on-demand";
  /** Name for messages and {@link Lh5File.path} (default: the path, the `File`'s or source's name, `"bytes"`). */
  readonly name?: string;
  /**
   * Host paths (`@daqkit/lh5/node`): while an in-place append (see `Lh5Writer`) is modifying the
   * file, wait at most this long for it to commit before failing with `LH5_BUSY` (default 10 000 ms).
   */
  readonly busyTimeoutMs?: number;
  /**
   * Read integer and float datasets straight from the file into the output arrays (default true):
   * contiguous, compact and chunked storage (deflate where the platform inflates — Node —, shuffle),
   * one copy per byte. Other layouts and filters always go through h5wasm; false sends every read there.
   */
  readonly direct?: boolean;
}

/** Options of {@link Lh5File.readObject} and {@link Lh5File.readTable}. */
export interface ReadOptions {
  /** Rows to read; see {@link RowSelection}. Applies to Arrays, VoVs, encoded arrays and Table columns. */
  readonly rows?: RowSelection;
  /**
   * Field mask for Tables/Structs: column names, `/`-separated for nested columns
   * (`"waveform/values"`). Only these are read, in `datatype` order. Default: all.
   */
  readonly columns?: readonly string[];
  /**
   * Decode encoded waveforms (`radware_sigcompress`, `uleb128_zigzag_diff`) into Int32 samples:
   * ArrayOfEncodedEqualSizedArrays → ArrayOfEqualSizedArrays, VectorOfEncodedVectors → VectorOfVectors.
   * Default false: they are returned still encoded, flagged `encoded: true`.
   */
  readonly decodeWaveforms?: boolean;
}

/** Options of {@link Lh5File.iterateTable}. */
/** Options of {@link Lh5File.readObjectAsync}. */
export interface ReadAsyncOptions extends ReadOptions {
  /** Bytes of rows read between two turns of the event loop (default 4 MiB). */
  readonly windowBytes?: number;
  /** Abort between windows. */
  readonly signal?: AbortSignal;
}

/** Default {@link ReadAsyncOptions.windowBytes}. */
export const READ_WINDOW_BYTES = 4 * 1024 * 1024;

/** One turn of the event loop (a macrotask: timers, GC tasks and messages run before the read goes on). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export interface IterateOptions {
  /** Rows per batch (default 65 536). */
  readonly batchSize?: number;
  /** Column mask, as in {@link ReadOptions.columns}. */
  readonly columns?: readonly string[];
  /** Decode encoded waveforms, as in {@link ReadOptions.decodeWaveforms}. */
  readonly decodeWaveforms?: boolean;
  /** Only iterate rows `[start, stop)` (default all). */
  readonly start?: number;
  readonly stop?: number;
  /** Abort between batches. */
  readonly signal?: AbortSignal;
}

/** One HDF5 filter of a dataset's pipeline. */
export interface FilterInfo {
  /** Registered HDF5 filter id (1 gzip, 2 shuffle, 32000 lzf, 32015 zstd, …). */
  readonly id: number;
  /** Short name (`gzip`, `shuffle`, `zstd`, …). */
  readonly name: string;
  /** Filter parameters as stored (gzip: [level]; zstd: [level]; shuffle: [element size]). */
  readonly cdValues: readonly number[];
}

/** One object found by {@link Lh5File.listObjects}. */
export interface Lh5ObjectInfo {
  /** Full path inside the file, no leading slash (`ch1084803/raw/baseline`). */
  readonly path: string;
  /** Last path component. */
  readonly name: string;
  /** Depth below the listed root (children = 1). */
  readonly depth: number;
  /** HDF5 object kind. */
  readonly kind: "group" | "dataset";
  /** LGDO type from the `datatype` attribute, or null for plain HDF5 objects without one. */
  readonly type: Lgdo["type"] | null;
  /** Raw `datatype` attribute, when present. */
  readonly datatype?: string;
  /** Row count for row-bearing LGDOs (Array, AoESA, VoV, encoded, Table). */
  readonly nRows?: number;
  /** Field / column names in `datatype` order (Struct, Table, Histogram). */
  readonly columns?: readonly string[];
  /** Datasets: current shape. */
  readonly shape?: readonly number[];
  /** Datasets: max shape, null = unlimited. */
  readonly maxshape?: readonly (number | null)[];
  /** Datasets: element type name (`uint16`, `float64`, `S7`, `string`, `enum(int8)`). */
  readonly dtype?: string;
  /** Datasets: chunk shape, absent for contiguous/compact storage. */
  readonly chunks?: readonly number[];
  /** Datasets: HDF5 filter pipeline. */
  readonly filters?: readonly FilterInfo[];
  /** `units` attribute (for a VoV, the group's or else its `flattened_data`'s). */
  readonly units?: string;
  /** Every attribute except `datatype`. */
  readonly attrs: Attrs;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function hasHdf5Signature(source: SyncByteSource): boolean {
  // The superblock may sit at 0, 512, 1024, 2048, … (user block).
  for (let offset = 0; offset + 8 <= source.size; offset = offset === 0 ? 512 : offset * 2) {
    const buf = source.readSync(offset, 8);
    if (HDF5_SIGNATURE.every((b, i) => buf[i] === b)) return true;
    if (offset > 1 << 24) break;
  }
  return false;
}

/** Paths already in normal form (no leading/trailing or doubled slashes) skip the regexes. */
const NORMAL_PATH = /^(?:[^/]+(?:\/[^/]+)*)?$/;

function normalizePath(objPath: string): string {
  if (NORMAL_PATH.test(objPath)) return objPath;
  return objPath.replace(/^\/+/, "").replace(/\/+$/, "").replace(/\/+/g, "/");
}

function joinPath(a: string, b: string): string {
  return a === "" ? b : `${a}/${b}`;
}

function attrValue(raw: unknown): AttrValue {
  if (ArrayBuffer.isView(raw)) return Array.from(raw as unknown as ArrayLike<number | bigint>);
  if (Array.isArray(raw)) return raw.map((v) => (typeof v === "bigint" || typeof v === "number" ? v : String(v)));
  if (typeof raw === "string" || typeof raw === "number" || typeof raw === "bigint" || typeof raw === "boolean") return raw;
  return String(raw);
}

/** Build a struct/table `datatype` string for the given fields. */
function compositeDatatype(kind: "struct" | "table", fields: readonly string[]): string {
  return `${kind}{${fields.join(",")}}`;
}

/** Column mask tree: name → sub-mask (null = the whole column). */
type Mask = Map<string, Mask | null>;

function buildMask(columns: readonly string[] | undefined): Mask | null {
  if (!columns) return null;
  const root: Mask = new Map();
  for (const col of columns) {
    const parts = col.split("/").filter((p) => p !== "");
    let node = root;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as string;
      if (i === parts.length - 1) node.set(p, null);
      else {
        const existing = node.get(p);
        if (existing === null) break; // whole column already requested
        const next: Mask = existing ?? new Map();
        node.set(p, next);
        node = next;
      }
    }
  }
  return root;
}

/**
 * An open LH5 file (read-only). Obtain with {@link openLh5}; always {@link Lh5File.close} it
 * (or use `await using`). All methods are synchronous once the file is open.
 */
export class Lh5File {
  /** Host path of the file (opened by path), else the name of the source (`File` name, `"bytes"`…). */
  readonly path: string;
  #opened: H5OpenFile;
  #filters: ReadonlySet<number>;
  #module: H5RawModule | undefined;
  /** Opened with `runtime: "on-demand"` and the runtime not loaded yet: how to load it (see `ensureRuntime`). */
  #pending: (() => Promise<RuntimeParts>) | undefined;
  #loading: Promise<void> | undefined;
  #closed = false;
  readonly #entities = new Map<string, Group | Dataset>();
  readonly #attrCache = new Map<string, AttrEntry>();
  readonly #filtersChecked = new Set<string>();
  readonly #metaCache = new Map<string, Metadata>();

  readonly #onClose: (() => void) | undefined;
  readonly #raw: RawAccess | undefined;
  #classes: EntityClasses | undefined;
  #direct: DirectReader | null | undefined;
  #links: Lh5Links | undefined;

  /** @internal use {@link openLh5}. */
  constructor(
    path: string,
    opened: H5OpenFile,
    filters: ReadonlySet<number>,
    module?: H5RawModule,
    onClose?: () => void,
    raw?: RawAccess,
    classes?: EntityClasses,
    pending?: () => Promise<RuntimeParts>,
  ) {
    this.path = path;
    this.#opened = opened;
    this.#filters = filters;
    this.#module = module;
    this.#onClose = onClose;
    this.#raw = raw;
    this.#classes = classes;
    this.#pending = pending;
  }

  /** False while a file opened with `runtime: "on-demand"` has not loaded h5wasm; true otherwise. */
  get runtimeLoaded(): boolean {
    return this.#pending === undefined;
  }

  /**
   * Load h5wasm for this file (opened with `runtime: "on-demand"`) so that every read works; resolves
   * at once when it is loaded (always, for files opened otherwise). Deterministic: reads never load it
   * behind the caller's back, only this call and {@link Lh5File.readObjectAsync} do.
   */
  ensureRuntime(): Promise<void> {
    if (this.#pending === undefined) return Promise.resolve();
    this.#loading ??= this.#pending().then(
      (parts) => {
        if (this.#closed) {
          parts.opened.close();
          return;
        }
        this.#opened = parts.opened;
        this.#filters = parts.filters;
        this.#module = parts.module;
        this.#classes = parts.classes;
        this.#pending = undefined;
        this.#entities.clear(); // stand-ins made without h5wasm: the next use makes h5wasm's objects
      },
      (error: unknown) => {
        this.#loading = undefined;
        throw error;
      },
    );
    return this.#loading;
  }

  /** `LH5_RUNTIME_NOT_LOADED` for a read of `p` that needs h5wasm before it is loaded. */
  #notLoaded(p: string): Lh5Error {
    // A numeric dataset the direct reader handles but could not read (a bad chunk): say what it found.
    const why = this.#direct ? this.#direct.failureOf(p) : undefined;
    const cause = why ? `the direct read failed (${why}), and reading it through HDF5 needs h5wasm` : "this read needs h5wasm";
    return new Lh5Error(
      "LH5_RUNTIME_NOT_LOADED",
      `lh5: ${this.#where(p)}: ${cause}, which this file (opened with runtime "on-demand") has not loaded; call \`await file.ensureRuntime()\` first or use readObjectAsync`,
      this.#ctx(p),
    );
  }

  /**
   * Whether {@link Lh5File.readObject} of `objPath` (with `options.columns`) is served entirely from
   * the file without h5wasm, judged from the already parsed object headers: numeric arrays (and VoVs,
   * tables and structs of them) whose attributes are plain strings and whose storage the direct reader
   * takes, every chunk written. False for anything else (strings, scalars, encoded waveforms, other
   * filters, a missing object). Cheap; reads no data.
   */
  readsDirectly(objPath: string, options: Pick<ReadOptions, "columns"> = {}): boolean {
    if (this.#closed) return false;
    try {
      return this.#readsDirectly(normalizePath(objPath), buildMask(options.columns));
    } catch {
      return false; // the read reports it (and says why)
    }
  }

  #readsDirectly(p: string, mask: Mask | null): boolean {
    const direct = this.#directReader();
    const links = this.#links;
    if (!direct || !links) return false;
    const attrs = this.#fastAttributes(p);
    const text = attrs?.get("datatype");
    if (text === undefined) return false;
    const dt = parseDatatype(text);
    switch (dt.type) {
      case "Array":
      case "FixedSizeArray":
      case "ArrayOfEqualSizedArrays": {
        if (links.kindOf(p) !== "dataset") return false;
        const d = direct.describe(p);
        if (!d || (d.meta.type !== 0 && d.meta.type !== 1) || (d.meta.shape ?? []).length === 0) return false;
        if (elementCtor(d.meta, this.#where(p)) === null) return false;
        return d.layout.compact !== undefined || d.layout.addresses.every((a) => a >= 0);
      }
      case "VectorOfVectors":
        return this.#readsDirectly(joinPath(p, "cumulative_length"), null) && this.#readsDirectly(joinPath(p, "flattened_data"), null);
      case "Struct":
      case "Table":
      case "WaveformTable":
        if (links.kindOf(p) !== "group") return false;
        // A row selection counts the table's rows from its first column, read or not.
        if (dt.type !== "Struct" && dt.fields[0] !== undefined && !this.#readsDirectly(joinPath(p, dt.fields[0]), null)) return false;
        return this.#maskedFields(p, dt.fields, mask).every((f) => this.#readsDirectly(joinPath(p, f), mask?.get(f) ?? null));
      default:
        return false; // scalars, encoded arrays, histograms: h5wasm reads part of them
    }
  }

  /** The HDF5 file in h5wasm (a host path: opened on first use, see `lazyOpened`). */
  get #file(): H5File {
    return this.#opened.file;
  }

  /** The direct reader (raw bytes straight into typed arrays), made on first use; null when unavailable. */
  #directReader(): DirectReader | undefined {
    if (this.#direct === undefined) {
      this.#direct = null;
      if (this.#raw) {
        try {
          this.#links = Lh5Links.open(this.#raw.source, { name: this.path });
          this.#direct = new DirectReader(this.#links, this.#raw.source, this.#raw.inflate);
        } catch {
          // metadata the fast lister does not read: every read goes through h5wasm
        }
      }
    }
    return this.#direct ?? undefined;
  }

  /** @internal Number of reads served by the direct reader (tests). */
  get directReads(): number {
    return this.#direct?.hits ?? 0;
  }

  /** Close the HDF5 file. Safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#entities.clear();
    this.#attrCache.clear();
    this.#filtersChecked.clear();
    this.#metaCache.clear();
    try {
      this.#links?.close();
      this.#raw?.close?.();
      this.#opened.close();
    } finally {
      this.#onClose?.();
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  #ctx(objectPath: string) {
    return { path: this.path, objectPath };
  }

  #where(objectPath: string): string {
    return `${this.path}:/${objectPath}`;
  }

  /** An `LH5_READ_IO` error for a failure inside HDF5 at `p`, with the one-line HDF5 reason. */
  #readError(p: string, what: string, error: unknown): Lh5Error {
    if (Lh5Error.isInstance(error)) return error;
    return new Lh5Error("LH5_READ_IO", `lh5: ${this.#where(p)}: ${what}: ${hdf5Reason(error)}`, this.#ctx(p), { cause: error });
  }

  /**
   * Run a public operation; any failure that is not already an {@link Lh5Error} (an HDF5 error on a
   * damaged object header, a wasm abort, h5wasm tripping over what HDF5 returned) becomes
   * `LH5_READ_IO` naming the file and the object. Only use-after-close stays a TypeError.
   */
  #guard<T>(objPath: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (Lh5Error.isInstance(error) || (error instanceof TypeError && error.message.startsWith("lh5: the file is closed"))) throw error;
      throw this.#readError(normalizePath(objPath), "HDF5 failed", error);
    }
  }

  #entity(objPath: string): Group | Dataset {
    if (this.#closed) throw new TypeError("lh5: the file is closed");
    const p = normalizePath(objPath);
    if (p === "") return this.#file;
    const cached = this.#entities.get(p);
    if (cached) return cached;
    let entity: unknown;
    try {
      // Kind from the object header (the fast lister), without asking HDF5 for the object type.
      const kind = (this.#classes || this.#pending) && this.#directReader() ? this.#links?.kindOf(p) : undefined;
      if (kind && this.#pending) entity = standIn(kind, p, () => this.#notLoaded(p));
      else if (this.#pending) throw this.#notLoaded(p);
      else if (kind && this.#classes) {
        // The HDF5 file id only when h5wasm is asked about the object: direct reads never open the file in h5wasm.
        entity = new this.#classes[kind === "group" ? "Group" : "Dataset"](0n, `/${p}`);
        Object.defineProperty(entity, "file_id", { get: () => this.#file.file_id, enumerable: true, configurable: true });
      } else entity = this.#file.get(p);
    } catch (error) {
      // The file, not the object, is the problem (or h5wasm is not loaded to look the object up).
      if (lazyOpenFailures.has(error as object) || isNotLoaded(error)) throw error;
      entity = null;
    }
    const type = (entity as { type?: string } | null)?.type;
    if (type !== "Group" && type !== "Dataset") {
      throw new Lh5Error("LH5_OBJECT_NOT_FOUND", `lh5: ${this.#where(p)}: no such object in the file`, this.#ctx(p));
    }
    this.#entities.set(p, entity as Group | Dataset);
    return entity as Group | Dataset;
  }

  /**
   * Attribute names and values of an object, read once per open file (the file is read-only; the
   * cache is dropped on close). Keyed by the HDF5 path of the entity.
   */
  #attrEntry(entity: Group | Dataset): AttrEntry {
    const cached = this.#attrCache.get(entity.path);
    if (cached) return cached;
    // The names straight from the module (h5wasm's `attrs` getter builds an object of lazy getters).
    // A failed attribute read is an error, never "no attributes": a table listed as "(no datatype)"
    // with its units gone would be a silent wrong answer.
    const p = normalizePath(entity.path);
    const fast = this.#fastAttributes(p);
    if (fast) {
      const attrs: Record<string, AttrValue> = {};
      for (const [name, value] of fast) if (name !== "datatype") attrs[name] = value;
      const entry: AttrEntry = { datatype: fast.get("datatype"), attrs, parsed: undefined };
      this.#attrCache.set(entity.path, entry);
      return entry;
    }
    let names: string[];
    try {
      names = this.#module?.get_attribute_names ? this.#module.get_attribute_names(entity.file_id, entity.path) : Object.keys(entity.attrs);
    } catch (error) {
      throw this.#readError(p, "reading the attribute names failed", error);
    }
    let datatype: string | undefined;
    const attrs: Record<string, AttrValue> = {};
    for (const name of names) {
      let raw: unknown;
      try {
        raw = entity.get_attribute(name, false);
      } catch (error) {
        throw this.#readError(p, `reading attribute '${name}' failed`, error);
      }
      if (name === "datatype") datatype = typeof raw === "string" ? raw : undefined;
      else attrs[name] = attrValue(raw);
    }
    const entry: AttrEntry = { datatype, attrs, parsed: undefined };
    this.#attrCache.set(entity.path, entry);
    return entry;
  }

  /** Attributes read from the object header without h5wasm when they are all plain strings (see `Lh5Links.stringAttributes`). */
  #fastAttributes(p: string): Map<string, string> | undefined {
    if (!this.#directReader()) return undefined;
    try {
      return this.#links?.stringAttributes(p);
    } catch {
      return undefined; // h5wasm reads them (and reports damage)
    }
  }

  /** h5wasm's metadata of a dataset, asked once per open file (each call builds it anew in wasm). */
  #meta(ds: Dataset, p: string): Metadata {
    let m = this.#metaCache.get(p);
    if (!m) {
      // Numeric datasets the direct reader takes: from the object header, no wasm call.
      m = this.#directReader()?.describe(p)?.meta ?? ds.metadata;
      this.#metaCache.set(p, m);
    }
    return m;
  }

  #datatypeString(entity: Group | Dataset): string | undefined {
    return this.#attrEntry(entity).datatype;
  }

  #attrs(entity: Group | Dataset): Attrs {
    return this.#attrEntry(entity).attrs;
  }

  #lgdoDatatype(entity: Group | Dataset, p: string): { text: string; dt: Datatype } {
    const entry = this.#attrEntry(entity);
    const text = entry.datatype;
    if (text === undefined) {
      throw new Lh5Error("LH5_NOT_LGDO", `lh5: ${this.#where(p)}: object has no 'datatype' attribute, it is not an LGDO`, this.#ctx(p));
    }
    if (entry.parsed) return entry.parsed;
    try {
      entry.parsed = { text, dt: parseDatatype(text) };
      return entry.parsed;
    } catch (error) {
      if (Lh5Error.isInstance(error)) {
        throw new Lh5Error("LH5_BAD_DATATYPE", `lh5: ${this.#where(p)}: ${error.message.replace(/^lh5: /, "")}`, this.#ctx(p), {
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Run a dataset read after checking its filter pipeline (once per dataset per open file): h5wasm
   * returns garbage, not an error, for a chunk whose filter is not registered (spec lh5 §6.1), so
   * the check must come before the read, never after it.
   */
  #guardedRead<T>(ds: Dataset, p: string, read: () => T, meta?: Metadata): T {
    // The direct reader only takes datasets whose pipeline is deflate/shuffle (built in): nothing to check.
    if (!(meta && this.#directReader()?.layout(ds.path, meta))) this.#checkFilters(ds, p);
    return read();
  }

  #checkFilters(ds: Dataset, p: string): void {
    if (this.#filtersChecked.has(p)) return;
    let filters: { id: number; name: string }[];
    try {
      filters = ds.filters;
    } catch (error) {
      // Without the pipeline we cannot know whether the read would return garbage (spec §6.1).
      throw this.#readError(p, "reading the filter pipeline failed", error);
    }
    for (const f of filters) {
      if (!this.#filters.has(f.id)) {
        const name = FILTER_NAMES[f.id] ?? f.name ?? "unknown";
        throw new Lh5Error(
          "LH5_FILTER_UNAVAILABLE",
          `lh5: ${this.#where(p)}: dataset needs HDF5 filter ${f.id} (${name}), which is not available (install h5wasm-plugins / open with plugins enabled)`,
          { ...this.#ctx(p), filterId: f.id },
        );
      }
    }
    this.#filtersChecked.add(p);
  }

  #dataset(p: string): Dataset {
    const e = this.#entity(p);
    if (e.type !== "Dataset") {
      throw new Lh5Error("LH5_UNSUPPORTED", `lh5: ${this.#where(p)}: expected a dataset, found a group`, this.#ctx(p));
    }
    return e as Dataset;
  }

  #child(p: string, name: string): string {
    const cp = joinPath(p, name);
    let exists = true;
    try {
      this.#entity(cp);
    } catch (error) {
      if (isNotLoaded(error)) throw error;
      exists = false;
    }
    if (!exists) {
      throw new Lh5Error(
        "LH5_FIELD_ABSENT",
        `lh5: ${this.#where(p)}: field '${name}' is listed in the datatype but missing from the group`,
        this.#ctx(cp),
      );
    }
    return cp;
  }

  /** True when an object exists at `objPath`. */
  has(objPath: string): boolean {
    try {
      this.#entity(objPath);
      return true;
    } catch (error) {
      if (isNotLoaded(error)) throw error; // only h5wasm can tell
      return false;
    }
  }

  /**
   * The raw `datatype` attribute of an object, or undefined when it has none.
   * @throws Lh5Error `LH5_OBJECT_NOT_FOUND`.
   */
  datatypeOf(objPath: string): string | undefined {
    return this.#guard(objPath, () => this.#datatypeString(this.#entity(objPath)));
  }

  /**
   * Field/column names of a Struct or Table, in `datatype` order (never HDF5 link order).
   * @throws Lh5Error `LH5_OBJECT_NOT_FOUND`, `LH5_NOT_LGDO`, `LH5_BAD_DATATYPE`, `LH5_UNSUPPORTED` (not a struct/table).
   */
  tableColumns(objPath: string): string[] {
    return this.#guard(objPath, () => this.#tableColumns(objPath));
  }

  #tableColumns(objPath: string): string[] {
    const p = normalizePath(objPath);
    const { dt } = this.#lgdoDatatype(this.#entity(p), p);
    if (!("fields" in dt)) {
      throw new Lh5Error("LH5_UNSUPPORTED", `lh5: ${this.#where(p)}: expected a table or struct, found ${dt.type}`, this.#ctx(p));
    }
    return [...dt.fields];
  }

  /**
   * Number of rows of an object without reading data (spec §3.7): shape[0] of an Array/AoESA,
   * `len(cumulative_length)` of a VoV, of `encoded_data` for encoded arrays, and the first column's
   * count for a Table. Undefined for Scalar, Struct and Histogram.
   * @throws Lh5Error `LH5_OBJECT_NOT_FOUND`, `LH5_NOT_LGDO`, `LH5_BAD_DATATYPE`, `LH5_FIELD_ABSENT`.
   */
  countRows(objPath: string): number | undefined {
    const p = normalizePath(objPath);
    return this.#guard(p, () => this.#countRows(p, this.#lgdoDatatype(this.#entity(p), p).dt));
  }

  #countRows(p: string, dt: Datatype): number | undefined {
    switch (dt.type) {
      case "Array":
      case "FixedSizeArray":
      case "ArrayOfEqualSizedArrays":
        return this.#meta(this.#dataset(p), p).shape?.[0] ?? 1;
      case "VectorOfVectors": {
        const cl = this.#child(p, "cumulative_length");
        return this.#meta(this.#dataset(cl), cl).shape?.[0] ?? 0;
      }
      case "VectorOfEncodedVectors":
      case "ArrayOfEncodedEqualSizedArrays":
        return this.#dataset(this.#child(joinPath(p, "encoded_data"), "cumulative_length")).shape?.[0] ?? 0;
      case "Table":
      case "WaveformTable": {
        const first = dt.fields[0];
        if (first === undefined) return 0;
        const cp = this.#child(p, first);
        return this.#countRows(cp, this.#lgdoDatatype(this.#entity(cp), cp).dt);
      }
      default:
        return undefined;
    }
  }

  /**
   * Read any LGDO at `objPath` (spec §8). Tables come back with columns in `datatype` order,
   * int64 as BigInt64Array / bigint, bools as Uint8Array 0/1 (arrays) or boolean (scalars),
   * strings decoded (NUL padding stripped). Encoded waveforms are returned encoded (`encoded: true`).
   *
   * @throws Lh5Error `LH5_OBJECT_NOT_FOUND`, `LH5_NOT_LGDO`, `LH5_BAD_DATATYPE`, `LH5_FIELD_ABSENT`,
   *   `LH5_FILTER_UNAVAILABLE`, `LH5_BAD_ROWS`, `LH5_LENGTH_MISMATCH` (table columns differ),
   *   `LH5_UNSUPPORTED`, `LH5_READ_IO`.
   */
  readObject(objPath: string, options: ReadOptions = {}): Lgdo {
    const p = normalizePath(objPath);
    return this.#guard(p, () => this.#read(p, options.rows, buildMask(options.columns), options.decodeWaveforms ?? false));
  }

  /**
   * Read an object: the same result as {@link Lh5File.readObject}, but a numeric `Array`,
   * `FixedSizeArray` or `ArrayOfEqualSizedArrays` (all rows, or one `{ start, stop }` range) is read in
   * windows of at most `windowBytes` straight into one preallocated output, with a turn of the event
   * loop between windows. Everything else is read as `readObject` does.
   *
   * Why: a `File` opened in a Web Worker of a page that is not cross-origin isolated is read through
   * WORKERFS, which allocates a fresh `ArrayBuffer` per slice that HDF5 asks for; during one synchronous
   * read V8 cannot free them, so a large column leaves about its own size in dead slice buffers beside
   * the result. Between windows the worker's GC runs, so the read's transient memory stays at a few
   * windows. The output buffer belongs to the result alone: post it to the page as a transfer
   * (`postMessage(lgdo, [lgdo.data.buffer])`) and it is not copied.
   * @throws Lh5Error as {@link Lh5File.readObject}; the signal's reason when aborted
   */
  async readObjectAsync(objPath: string, options: ReadAsyncOptions = {}): Promise<Lgdo> {
    const p = normalizePath(objPath);
    const windowBytes = options.windowBytes ?? READ_WINDOW_BYTES;
    if (!(Number.isFinite(windowBytes) && windowBytes > 0)) {
      throw new Lh5Error("LH5_BAD_ROWS", `lh5: windowBytes must be a positive number, got ${windowBytes}`, this.#ctx(p));
    }
    if (this.#pending && !this.readsDirectly(p, options)) await this.ensureRuntime();
    const plan = this.#guard(p, () => this.#windowPlan(p, options));
    if (plan === null) return this.readObject(objPath, options);
    const { shape, start, stop, ctor } = plan;
    let ds = plan.ds;
    const rowWidth = shape.slice(1).reduce((a, v) => a * v, 1);
    const outShape = shape.length === 0 ? [1] : [...shape];
    outShape[0] = stop - start;
    const lgdo = (data: NumericArray) =>
      ({ type: plan.type, datatype: plan.datatype, attrs: plan.attrs, element: plan.element, data, shape: outShape }) as Lgdo;
    const raw = this.#raw;
    if (plan.layout && raw?.readInto && this.#direct) {
      // A host path: the file's bytes straight into the output, large runs in parts read at once
      // (several threads take the output's page faults), deflated chunks inflated on the pool.
      const io = {
        readInto: raw.readInto,
        ...(raw.inflateAsync ? { inflate: raw.inflateAsync } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        partBytes: windowBytes,
      };
      options.signal?.throwIfAborted();
      const data = await this.#direct.readAsync(plan.layout, { starts: Float64Array.of(start), stops: Float64Array.of(stop) }, ctor, io);
      if (this.#closed) throw new TypeError("lh5: the file is closed"); // closed during the read
      if (data !== null) return lgdo(data);
      if (this.#pending) {
        await this.ensureRuntime();
        if (this.#closed) throw new TypeError("lh5: the file is closed");
        ds = this.#guard(p, () => this.#dataset(p)); // h5wasm's object, not the stand-in
      }
      this.#checkFilters(ds, p); // h5wasm reads it below
    }
    const out = new ctor((stop - start) * rowWidth);
    const windowRows = Math.max(1, Math.floor(windowBytes / Math.max(1, rowWidth * out.BYTES_PER_ELEMENT)));
    let dst = 0;
    for (let a = start; a < stop; a += windowRows) {
      options.signal?.throwIfAborted();
      const b = Math.min(stop, a + windowRows);
      this.#guard(p, () => readRowsInto(this.#module as H5RawModule, ds, shape, a, b, out, dst, this.#where(p)));
      dst += (b - a) * rowWidth;
      if (b < stop) await nextTurn();
    }
    return lgdo(out);
  }

  /** What {@link Lh5File.readObjectAsync} reads in windows (a numeric array, one row range), or null. */
  #windowPlan(p: string, options: ReadOptions) {
    if (this.#module === undefined && !this.#pending) return null;
    const entity = this.#entity(p);
    const { text, dt } = this.#lgdoDatatype(entity, p);
    if (dt.type !== "Array" && dt.type !== "FixedSizeArray" && dt.type !== "ArrayOfEqualSizedArrays") return null;
    if (dt.element.kind === "bool") return null;
    const ds = this.#dataset(p);
    const meta = this.#meta(ds, p); // from the object header when the direct reader takes it
    const shape = meta.shape ?? [];
    if (shape.length === 0 || (meta.type !== 0 && meta.type !== 1)) return null;
    const ctor = elementCtor(meta, this.#where(p));
    if (ctor === null) return null;
    const ranges = this.#ranges(options.rows, shape[0] as number, p);
    if (ranges.starts.length > 1) return null;
    const start = ranges.starts.length === 0 ? 0 : (ranges.starts[0] as number);
    const stop = ranges.starts.length === 0 ? 0 : (ranges.stops[0] as number);
    // The direct reader only takes deflate/shuffle pipelines (built in): h5wasm's check is for the rest.
    const layout = this.#raw?.readInto ? (this.#directReader()?.layout(ds.path, meta) ?? null) : null;
    if (!layout) this.#checkFilters(ds, p);
    return {
      type: dt.type,
      datatype: text,
      attrs: this.#attrs(entity),
      element: dt.element,
      ds,
      shape,
      start,
      stop,
      ctor,
      layout,
    };
  }

  /**
   * Read a Table (or WaveformTable). Same as {@link Lh5File.readObject} but checks the type.
   * @throws Lh5Error as readObject, plus `LH5_UNSUPPORTED` when the object is not a table.
   */
  readTable(objPath: string, options: ReadOptions = {}): Table {
    const obj = this.readObject(objPath, options);
    if (obj.type !== "Table" && obj.type !== "WaveformTable") {
      const p = normalizePath(objPath);
      throw new Lh5Error("LH5_UNSUPPORTED", `lh5: ${this.#where(p)}: expected a table, found ${obj.type}`, this.#ctx(p));
    }
    return obj;
  }

  /**
   * Stream a table (or any row-bearing LGDO) in batches of `batchSize` rows, `[start, stop)`.
   * Each yielded batch owns its memory.
   * @throws Lh5Error as {@link Lh5File.readObject}.
   */
  async *iterateTable(objPath: string, options: IterateOptions = {}): AsyncGenerator<Table, void, undefined> {
    const batchSize = options.batchSize ?? 65536;
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new Lh5Error("LH5_BAD_ROWS", `lh5: batchSize must be a positive integer, got ${batchSize}`, this.#ctx(normalizePath(objPath)));
    }
    const n = this.countRows(objPath) ?? 0;
    const stop = Math.min(options.stop ?? n, n);
    for (let a = options.start ?? 0; a < stop; a += batchSize) {
      options.signal?.throwIfAborted();
      const b = Math.min(stop, a + batchSize);
      const read: ReadOptions = {
        rows: { start: a, stop: b },
        ...(options.columns ? { columns: options.columns } : {}),
        ...(options.decodeWaveforms ? { decodeWaveforms: true } : {}),
      };
      yield this.readTable(objPath, read);
    }
  }

  /** Rows as given by the caller, or ranges already normalised against the parent table. */
  #ranges(rows: RowSelection | PresetRanges | undefined, n: number, p: string): Ranges {
    if (rows instanceof PresetRanges) {
      const r = rows.ranges;
      for (let k = 0; k < r.stops.length; k++) {
        if ((r.stops[k] as number) > n) {
          throw new Lh5Error(
            "LH5_LENGTH_MISMATCH",
            `lh5: ${this.#where(p)}: column has ${n} rows but the table's row selection reaches row ${(r.stops[k] as number) - 1}`,
            this.#ctx(p),
          );
        }
      }
      return r;
    }
    return normalizeRows(rows, n, this.#ctx(p));
  }

  #read(p: string, rows: RowSelection | PresetRanges | undefined, mask: Mask | null, decode: boolean): Lgdo {
    const entity = this.#entity(p);
    const { text, dt } = this.#lgdoDatatype(entity, p);
    const attrs = this.#attrs(entity);
    switch (dt.type) {
      case "Scalar":
        return this.#readScalar(p, text, dt.element, attrs);
      case "Array":
      case "FixedSizeArray":
      case "ArrayOfEqualSizedArrays": {
        const n = this.#meta(this.#dataset(p), p).shape?.[0] ?? 0;
        return this.#readArray(p, dt.type, text, dt.element, attrs, this.#ranges(rows, n, p));
      }
      case "VectorOfVectors": {
        const n = this.#countRows(p, dt) ?? 0;
        return this.#readVov(p, text, attrs, this.#ranges(rows, n, p));
      }
      case "VectorOfEncodedVectors":
      case "ArrayOfEncodedEqualSizedArrays": {
        const n = this.#countRows(p, dt) ?? 0;
        const encoded = this.#readEncoded(p, dt.type, text, dt.element, attrs, this.#ranges(rows, n, p));
        return decode ? decodeEncodedArray(encoded) : encoded;
      }
      case "Struct":
      case "Histogram": {
        const fields = this.#maskedFields(p, dt.fields, dt.type === "Histogram" ? null : mask);
        const out = new Map<string, Lgdo>();
        for (const f of fields)
          out.set(f, this.#read(this.#child(p, f), dt.type === "Histogram" ? undefined : rows, mask?.get(f) ?? null, decode));
        const datatype = fields.length === dt.fields.length ? text : compositeDatatype("struct", fields);
        const struct: Struct = { type: "Struct", datatype, attrs, fields: out };
        return dt.type === "Histogram" ? this.#histogram(p, struct) : struct;
      }
      case "Table":
      case "WaveformTable": {
        const fields = this.#maskedFields(p, dt.fields, mask);
        let ranges: RowSelection | PresetRanges | undefined = rows;
        if (rows !== undefined && fields.length > 0) {
          // Normalise once against the table's row count so every column gets the same rows.
          const n = this.#countRows(p, dt) ?? 0;
          ranges = new PresetRanges(this.#ranges(rows, n, p));
        }
        const columns = new Map<string, Lgdo>();
        let nRows: number | undefined;
        for (const f of fields) {
          const col = this.#read(this.#child(p, f), ranges, mask?.get(f) ?? null, decode);
          const len = lgdoRows(col);
          if (len !== undefined) {
            if (nRows === undefined) nRows = len;
            else if (len !== nRows) {
              throw new Lh5Error(
                "LH5_LENGTH_MISMATCH",
                `lh5: ${this.#where(p)}: column '${f}' has ${len} rows, expected ${nRows} like column '${fields[0]}'`,
                this.#ctx(joinPath(p, f)),
              );
            }
          }
          columns.set(f, col);
        }
        const fullFields = fields.length === dt.fields.length;
        const type = fullFields
          ? dt.type
          : fields.length === 3 && ["t0", "dt", "values"].every((x) => fields.includes(x))
            ? "WaveformTable"
            : "Table";
        return { type, datatype: fullFields ? text : compositeDatatype("table", fields), attrs, columns, nRows: nRows ?? 0 };
      }
    }
  }

  #maskedFields(p: string, fields: readonly string[], mask: Mask | null): string[] {
    if (!mask) return [...fields];
    for (const name of mask.keys()) {
      if (!fields.includes(name)) {
        throw new Lh5Error(
          "LH5_FIELD_ABSENT",
          `lh5: ${this.#where(p)}: requested column '${name}' is not one of ${fields.join(", ")}`,
          this.#ctx(joinPath(p, name)),
        );
      }
    }
    return fields.filter((f) => mask.has(f));
  }

  #readScalar(p: string, datatype: string, element: ElementType, attrs: Attrs): Scalar {
    const ds = this.#dataset(p);
    let raw: unknown = this.#guardedRead(ds, p, () => {
      try {
        return ds.value as unknown;
      } catch (error) {
        if (isNotLoaded(error)) throw error;
        throw new Lh5Error("LH5_READ_IO", `lh5: ${this.#where(p)}: reading the scalar failed: ${hdf5Reason(error)}`, this.#ctx(p), {
          cause: error,
        });
      }
    });
    if (ArrayBuffer.isView(raw) || Array.isArray(raw)) raw = (raw as ArrayLike<unknown>)[0];
    let value: Scalar["value"];
    if (element.kind === "bool") value = typeof raw === "bigint" ? raw !== 0n : Boolean(raw);
    else if (element.kind === "string" || element.kind === "symbol") value = String(raw);
    else if (typeof raw === "number" || typeof raw === "bigint") value = raw;
    else if (typeof raw === "boolean") value = raw;
    else value = String(raw);
    return { type: "Scalar", datatype, attrs, element, value };
  }

  #readArray(
    p: string,
    type: "Array" | "FixedSizeArray" | "ArrayOfEqualSizedArrays",
    datatype: string,
    element: ElementType,
    attrs: Attrs,
    ranges: Ranges,
  ): LgdoArray | ArrayOfEqualSizedArrays {
    const ds = this.#dataset(p);
    const meta = this.#meta(ds, p);
    let data = this.#guardedRead(
      ds,
      p,
      () => readDatasetRanges(ds, meta, ranges, this.#where(p), this.#module, this.#directReader()),
      meta,
    );
    if (element.kind === "bool" && !(data instanceof Uint8Array)) {
      const u = new Uint8Array(data.length);
      for (let i = 0; i < data.length; i++) u[i] = (data as ArrayLike<number | bigint | string>)[i] ? 1 : 0;
      data = u;
    }
    const shape = [...(meta.shape ?? [])];
    if (shape.length === 0) shape.push(1);
    shape[0] = rangesLength(ranges);
    return { type, datatype, attrs, element, data, shape } as LgdoArray | ArrayOfEqualSizedArrays;
  }

  #readVov(p: string, datatype: string, attrs: Attrs, ranges: Ranges): VectorOfVectors {
    const clPath = this.#child(p, "cumulative_length");
    const fdPath = this.#child(p, "flattened_data");
    const clDs = this.#dataset(clPath);
    const nr = ranges.starts.length;
    // For each range [a, b) read cl[a-1 .. b) (one leading element when a > 0) — spec §3.5.
    const clStarts = new Float64Array(nr);
    for (let k = 0; k < nr; k++) {
      const a = ranges.starts[k] as number;
      clStarts[k] = a > 0 && (ranges.stops[k] as number) >= a ? a - 1 : a;
    }
    const clRanges: Ranges = { starts: clStarts, stops: ranges.stops };
    const clMeta = this.#meta(clDs, clPath);
    const clRaw = toFloat64(
      this.#guardedRead(
        clDs,
        clPath,
        () => readDatasetRanges(clDs, clMeta, clRanges, this.#where(clPath), this.#module, this.#directReader()),
        clMeta,
      ),
    );
    const total = rangesLength(ranges);
    const cumulativeLength = new Float64Array(total);
    const fdStarts = new Float64Array(nr);
    const fdStops = new Float64Array(nr);
    let src = 0;
    let dst = 0;
    let running = 0;
    for (let k = 0; k < nr; k++) {
      const a = ranges.starts[k] as number;
      const b = ranges.stops[k] as number;
      let base = 0;
      if (a > 0) base = clRaw[src++] as number;
      let end = base;
      for (let r = a; r < b; r++) {
        end = clRaw[src++] as number;
        cumulativeLength[dst++] = running + (end - base);
      }
      fdStarts[k] = base;
      fdStops[k] = Math.max(base, end);
      running += Math.max(0, end - base);
    }
    const fdRanges: Ranges = { starts: fdStarts, stops: fdStops };
    const fdEntity = this.#entity(fdPath);
    const { text: fdText, dt: fdDt } = this.#lgdoDatatype(fdEntity, fdPath);
    const fdAttrs = this.#attrs(fdEntity);
    let flattened: LgdoArray | VectorOfVectors;
    if (fdDt.type === "VectorOfVectors") {
      const nInner = this.#countRows(fdPath, fdDt) ?? 0;
      checkRangesWithin(fdRanges, nInner, this.#where(fdPath), this.#ctx(fdPath));
      flattened = this.#readVov(fdPath, fdText, fdAttrs, fdRanges);
    } else if (fdDt.type === "Array" || fdDt.type === "FixedSizeArray") {
      const nInner = this.#meta(this.#dataset(fdPath), fdPath).shape?.[0] ?? 0;
      checkRangesWithin(fdRanges, nInner, this.#where(fdPath), this.#ctx(fdPath));
      flattened = this.#readArray(fdPath, fdDt.type, fdText, fdDt.element, fdAttrs, fdRanges) as LgdoArray;
    } else {
      throw new Lh5Error(
        "LH5_UNSUPPORTED",
        `lh5: ${this.#where(fdPath)}: flattened_data must be an array or a VoV, found ${fdDt.type}`,
        this.#ctx(fdPath),
      );
    }
    return { type: "VectorOfVectors", datatype, attrs, cumulativeLength, flattened };
  }

  #readEncoded(
    p: string,
    type: "VectorOfEncodedVectors" | "ArrayOfEncodedEqualSizedArrays",
    datatype: string,
    element: ElementType,
    attrs: Attrs,
    ranges: Ranges,
  ): EncodedArray {
    const edPath = this.#child(p, "encoded_data");
    const edEntity = this.#entity(edPath);
    const ed = this.#readVov(edPath, this.#lgdoDatatype(edEntity, edPath).text, this.#attrs(edEntity), ranges);
    const dsPath = this.#child(p, "decoded_size");
    const dsEntity = this.#entity(dsPath);
    const { text: dsText, dt: dsDt } = this.#lgdoDatatype(dsEntity, dsPath);
    let decodedSize: Scalar | LgdoArray;
    if (dsDt.type === "Scalar") decodedSize = this.#readScalar(dsPath, dsText, dsDt.element, this.#attrs(dsEntity));
    else if (dsDt.type === "Array")
      decodedSize = this.#readArray(dsPath, "Array", dsText, dsDt.element, this.#attrs(dsEntity), ranges) as LgdoArray;
    else
      throw new Lh5Error(
        "LH5_UNSUPPORTED",
        `lh5: ${this.#where(dsPath)}: decoded_size must be a scalar or array, found ${dsDt.type}`,
        this.#ctx(dsPath),
      );
    const codec = typeof attrs.codec === "string" ? attrs.codec : "unknown";
    return { type, datatype, attrs, encoded: true, element, codec, encodedData: ed, decodedSize };
  }

  #histogram(p: string, struct: Struct): Histogram {
    const weights = struct.fields.get("weights");
    const isdensity = struct.fields.get("isdensity");
    const binning = struct.fields.get("binning");
    if (weights?.type !== "Array" || isdensity?.type !== "Scalar" || binning?.type !== "Struct") {
      throw new Lh5Error(
        "LH5_UNSUPPORTED",
        `lh5: ${this.#where(p)}: histogram needs weights (array), isdensity (scalar), binning (struct)`,
        this.#ctx(p),
      );
    }
    const axes: HistogramAxis[] = [];
    for (const [name, axis] of binning.fields) {
      if (axis.type !== "Struct") {
        throw new Lh5Error("LH5_UNSUPPORTED", `lh5: ${this.#where(p)}: binning/${name} must be struct{binedges,closedleft}`, this.#ctx(p));
      }
      const edges = axis.fields.get("binedges");
      const closed = axis.fields.get("closedleft");
      const closedLeft = closed?.type === "Scalar" ? Boolean(closed.value) : true;
      if (edges?.type === "Struct") {
        const num = (k: string): number => {
          const v = edges.fields.get(k);
          return v?.type === "Scalar" ? Number(v.value) : Number.NaN;
        };
        const units = typeof edges.attrs.units === "string" ? edges.attrs.units : undefined;
        axes.push({ first: num("first"), last: num("last"), step: num("step"), closedLeft, ...(units ? { units } : {}) });
      } else if (edges?.type === "Array") {
        const units = typeof edges.attrs.units === "string" ? edges.attrs.units : undefined;
        axes.push({ edges: toFloat64(edges.data), closedLeft, ...(units ? { units } : {}) });
      } else {
        throw new Lh5Error(
          "LH5_UNSUPPORTED",
          `lh5: ${this.#where(p)}: binning/${name}/binedges must be a struct or an array`,
          this.#ctx(p),
        );
      }
    }
    return {
      type: "Histogram",
      datatype: struct.datatype,
      attrs: struct.attrs,
      weights,
      isDensity: Boolean(isdensity.value),
      axes,
      struct,
    };
  }

  /**
   * Describe one object (no data read). See {@link Lh5ObjectInfo}.
   * @throws Lh5Error `LH5_OBJECT_NOT_FOUND`.
   */
  describe(objPath: string): Lh5ObjectInfo {
    const p = normalizePath(objPath);
    return this.#guard(p, () => this.#describe(p, this.#entity(p), 0));
  }

  #describe(p: string, entity: Group | Dataset, depth: number): Lh5ObjectInfo {
    const name = p.split("/").pop() ?? "";
    const datatype = this.#datatypeString(entity);
    const attrs = this.#attrs(entity);
    let dt: Datatype | undefined;
    try {
      dt = datatype === undefined ? undefined : parseDatatype(datatype);
    } catch {
      dt = undefined;
    }
    const info: Record<string, unknown> = {
      path: p,
      name,
      depth,
      kind: entity.type === "Dataset" ? "dataset" : "group",
      type: dt?.type ?? null,
      attrs,
    };
    if (datatype !== undefined) info.datatype = datatype;
    if (dt) {
      try {
        const n = this.#countRows(p, dt);
        if (n !== undefined) info.nRows = n;
      } catch {
        // Broken LGDO: listed without a row count.
      }
      if ("fields" in dt) info.columns = [...dt.fields];
    }
    if (entity.type === "Dataset") {
      const ds = entity as Dataset;
      const meta = ds.metadata;
      info.shape = [...(meta.shape ?? [])];
      info.maxshape = (meta.maxshape ?? []).map((v) => (v >= 2 ** 53 ? null : v));
      info.dtype = dtypeName(meta);
      if (meta.chunks) info.chunks = [...meta.chunks];
      try {
        info.filters = ds.filters.map((f) => ({ id: f.id, name: FILTER_NAMES[f.id] ?? f.name, cdValues: [...(f.cd_values ?? [])] }));
      } catch (error) {
        throw this.#readError(p, "reading the filter pipeline failed", error);
      }
    }
    let units = typeof attrs.units === "string" ? attrs.units : undefined;
    if (units === undefined && dt?.type === "VectorOfVectors") {
      try {
        const fd = this.#entity(joinPath(p, "flattened_data"));
        const u = this.#attrs(fd).units;
        if (typeof u === "string") units = u;
      } catch {
        // no flattened_data: nothing to add
      }
    }
    if (units !== undefined) info.units = units;
    return info as unknown as Lh5ObjectInfo;
  }

  /**
   * Walk the file (or the subtree at `objPath`) and describe every object below it, depth first,
   * children of LGDO structs/tables in `datatype` order (then any extra HDF5 children), plain groups
   * in HDF5 link order. The start object itself is not included (use {@link Lh5File.describe}).
   *
   * @param options.recursive false = direct children only (default true).
   * @throws Lh5Error `LH5_OBJECT_NOT_FOUND`.
   */
  listObjects(objPath = "", options: { recursive?: boolean } = {}): Lh5ObjectInfo[] {
    return this.#guard(objPath, () => this.#listObjects(objPath, options));
  }

  #listObjects(objPath: string, options: { recursive?: boolean }): Lh5ObjectInfo[] {
    const p = normalizePath(objPath);
    const out: Lh5ObjectInfo[] = [];
    const recursive = options.recursive ?? true;
    const walk = (path: string, entity: Group | Dataset, depth: number): void => {
      if (entity.type !== "Group") return;
      const group = entity as Group;
      for (const key of this.#childOrder(group)) {
        const cp = joinPath(path, key);
        let child: unknown;
        try {
          child = group.get(key);
        } catch (error) {
          // A link that HDF5 lists but cannot open is damage, not an object to leave out silently.
          throw this.#readError(cp, "opening the object failed", error);
        }
        const type = (child as { type?: string } | null)?.type;
        if (type !== "Group" && type !== "Dataset") continue; // soft/external links, datatypes
        out.push(this.#describe(cp, child as Group | Dataset, depth));
        if (recursive) walk(cp, child as Group | Dataset, depth + 1);
      }
    };
    walk(p, this.#entity(p), 1);
    return out;
  }

  /** Alias of {@link Lh5File.listObjects}. */
  ls(objPath = "", options: { recursive?: boolean } = {}): Lh5ObjectInfo[] {
    return this.listObjects(objPath, options);
  }

  /**
   * Paths of every Table in the file (or below `objPath`), in walk order, not descending into tables
   * (so columns that are tables are not listed) — what FileDB's `scan_tables_columns` needs together
   * with {@link Lh5File.tableColumns}. Walks plain groups and Structs; reads only `datatype` attributes.
   */
  listTables(objPath = ""): string[] {
    return this.#guard(objPath, () => this.#listTables(objPath));
  }

  #listTables(objPath: string): string[] {
    const out: string[] = [];
    const walk = (path: string): void => {
      const entity = this.#entity(path);
      if (entity.type !== "Group") return;
      for (const key of this.#childOrder(entity as Group)) {
        const cp = joinPath(path, key);
        let child: Group | Dataset;
        try {
          child = this.#entity(cp);
        } catch {
          continue;
        }
        if (child.type !== "Group") continue;
        const text = this.#datatypeString(child);
        let type: string | undefined;
        try {
          type = text === undefined ? undefined : parseDatatype(text).type;
        } catch {
          type = undefined;
        }
        if (type === "Table" || type === "WaveformTable") out.push(cp);
        else if (type === undefined || type === "Struct") walk(cp);
      }
    };
    walk(normalizePath(objPath));
    return out;
  }

  /** Children of a group: `datatype` field order first (structs/tables), then the rest in link order. */
  #childOrder(group: Group): string[] {
    let keys: string[];
    try {
      keys = group.keys();
    } catch (error) {
      throw this.#readError(normalizePath(group.path), "listing the group's members failed", error);
    }
    const text = this.#datatypeString(group);
    if (text === undefined) return keys;
    try {
      const dt = parseDatatype(text);
      if ("fields" in dt) return [...dt.fields.filter((f) => keys.includes(f)), ...keys.filter((k) => !dt.fields.includes(k))];
    } catch {
      // unknown datatype: link order
    }
    return keys;
  }
}

/** Cached attributes of one object: raw `datatype`, the other attributes, the parsed datatype. */
interface AttrEntry {
  readonly datatype: string | undefined;
  readonly attrs: Attrs;
  parsed: { text: string; dt: Datatype } | undefined;
}

/** Row ranges already normalised against a parent table (passed down to its columns unchanged). */
class PresetRanges {
  constructor(readonly ranges: Ranges) {}
}

function checkRangesWithin(r: Ranges, n: number, where: string, ctx: { path: string; objectPath: string }): void {
  for (let k = 0; k < r.stops.length; k++) {
    if ((r.stops[k] as number) > n) {
      throw new Lh5Error(
        "LH5_LENGTH_MISMATCH",
        `lh5: ${where}: cumulative_length points to element ${r.stops[k]} but flattened_data has only ${n}`,
        ctx,
      );
    }
  }
}

/**
 * How an entry point opens sources (internal): the runtime it loads by default and, for the Node
 * entry, a synchronous file opener for host paths.
 * @internal
 */
export interface Lh5OpenPlatform {
  readonly loadRuntime: () => Promise<H5Runtime>;
  readonly openFileSync?: (path: string) => SyncByteSource & { closeSync(): void };
  /**
   * Identity of the file at a host path (device, inode, size, modification time). With it a host
   * path is opened in h5wasm only when a read needs h5wasm, after checking that the path still
   * names the file read directly; without it, at once.
   */
  readonly fileIdentity?: (path: string) => string;
  /**
   * Before a host path is read: wait for (or roll back) an in-place append and announce the reader;
   * returns what to release when the file is closed.
   */
  readonly enterRead?: (path: string, timeoutMs?: number) => Promise<{ release(): void } | undefined>;
  /** A synchronous zlib inflater for the direct reader (Node's); without it deflated chunks go through h5wasm. */
  readonly inflate?: Inflate;
  /** The same off the main thread (Node's `zlib.inflate`), for `readObjectAsync` of host paths. */
  readonly inflateAsync?: InflateAsync;
}

/** h5wasm's entity classes (constructed directly for objects whose kind the fast lister knows). @internal */
export interface EntityClasses {
  readonly Group: new (fileId: bigint, path: string) => Group;
  readonly Dataset: new (fileId: bigint, path: string) => Dataset;
}

/**
 * What the direct reader of an open file reads: the file's bytes (kept open while the file is) and
 * the platform's inflater.
 * @internal
 */
export interface RawAccess {
  readonly source: DirectSource;
  readonly inflate?: Inflate;
  /**
   * Reads that may run several at once off the main thread (a host path: `fs.read` on libuv's
   * pool) and the matching inflater: `readObjectAsync` reads large numeric arrays through them.
   */
  readonly readInto?: (offset: number, target: Uint8Array) => Promise<void>;
  readonly inflateAsync?: InflateAsync;
  close?(): void;
}

function isByteSource(source: object): source is ByteSource {
  return typeof (source as { read?: unknown }).read === "function";
}

/** An `Lh5Error` for an `@daqkit/io` error met while opening `name`. */
function openError(error: unknown, name: string): Lh5Error {
  if (Lh5Error.isInstance(error)) return error;
  const path = name;
  if (IoError.isInstance(error)) {
    if (error.code === "IO_NOT_FOUND") return new Lh5Error("LH5_FILE_NOT_FOUND", `lh5: ${name}: no such file`, { path }, { cause: error });
    if (error.code === "IO_UNSUPPORTED") {
      return new Lh5Error("LH5_UNSUPPORTED", `lh5: ${name}: ${error.message.replace(/^io: [^:]*: /, "")}`, { path }, { cause: error });
    }
    if (error.code === "IO_HDF5_FAILED") {
      const text = error.cause instanceof Error ? error.cause.message : String(error.cause ?? error.message);
      const m = /truncated file: eof = (\d+).*stored_eof = (\d+)/.exec(text);
      if (m) {
        return new Lh5Error(
          "LH5_TRUNCATED",
          `lh5: ${name}: truncated HDF5 file: expected ${m[2]} bytes, found ${m[1]}`,
          { path },
          { cause: error },
        );
      }
      return new Lh5Error(
        "LH5_UNREADABLE",
        `lh5: ${name}: HDF5 cannot open the file: ${hdf5Reason(error.cause ?? error)}`,
        { path },
        { cause: error },
      );
    }
  }
  return new Lh5Error("LH5_UNREADABLE", `lh5: ${name}: cannot read the file: ${hdf5Reason(error)}`, { path }, { cause: error });
}

/**
 * Signature and bounded structure checks through a synchronous view of the file (see {@link openLh5}).
 * Returns whether the walk went through all the metadata cleanly (neither a layout it does not handle
 * nor a superblock naming a longer file, both of which HDF5 reports when it opens the file).
 */
function checkBeforeOpen(source: SyncByteSource, name: string): boolean {
  const path = name;
  if (!hasHdf5Signature(source)) {
    throw new Lh5Error("LH5_NOT_HDF5", `lh5: ${name}: not an HDF5 file (no HDF5 signature at byte 0, 512, 1024, …)`, { path });
  }
  // HDF5 can spin for minutes on a damaged B-tree node: walk the metadata (bounded) first.
  let check: ReturnType<typeof checkLh5Structure>;
  try {
    check = checkLh5Structure(source);
  } catch (error) {
    throw new Lh5Error("LH5_UNREADABLE", `lh5: ${name}: cannot read the file: ${hdf5Reason(error)}`, { path }, { cause: error });
  }
  if (check.damaged !== undefined) {
    throw new Lh5Error("LH5_CORRUPT", `lh5: ${name}: damaged HDF5 metadata: ${check.damaged}`, { path });
  }
  return !check.unsupported && !check.truncated;
}

/**
 * Open `source` with `platform` (the shared body of the main and Node `openLh5`).
 * @internal
 */
export async function openLh5On(platform: Lh5OpenPlatform, source: Lh5Source | string, options: OpenLh5Options = {}): Promise<Lh5File> {
  const onDemand = options.runtime === "on-demand" && typeof source === "string" && options.direct !== false && platform.fileIdentity;
  let rt = onDemand ? undefined : await runtimeOf(platform, options);
  let name = options.name;
  let opened: H5OpenFile;
  if (typeof source === "string") {
    name ??= source;
    if (!platform.openFileSync || (rt && rt.kind !== "node")) {
      throw new Lh5Error("LH5_UNSUPPORTED", `lh5: ${name}: opening a file by path needs Node (openLh5 of @daqkit/lh5/node)`, {
        path: name,
      });
    }
    let file: ReturnType<NonNullable<Lh5OpenPlatform["openFileSync"]>>;
    try {
      file = platform.openFileSync(source);
    } catch (error) {
      throw openError(error, name);
    }
    let mark: { release(): void } | undefined;
    let clean = false;
    try {
      // Wait for an in-place append to commit (or roll back a killed one); announce this reader.
      mark = await platform.enterRead?.(source, options.busyTimeoutMs);
      clean = checkBeforeOpen(file, name);
      // On demand, and the metadata is clean: the file is read directly, h5wasm loaded when asked for.
      if (!clean || !onDemand) rt ??= await runtimeOf(platform, options);
    } catch (error) {
      mark?.release();
      file.closeSync();
      throw error;
    }
    const raw: RawAccess = {
      source: file,
      close: () => file.closeSync(),
      ...(platform.inflate ? { inflate: platform.inflate } : {}),
      ...(file.readInto ? { readInto: file.readInto } : {}),
      ...(platform.inflateAsync ? { inflateAsync: platform.inflateAsync } : {}),
    };
    const identity = platform.fileIdentity;
    if (rt === undefined && identity) {
      let id: string;
      try {
        id = identity(source);
      } catch (error) {
        mark?.release();
        file.closeSync();
        throw openError(error, name);
      }
      const path = source;
      const fileName = name;
      const load = async (): Promise<RuntimeParts> => {
        const loaded = await platform.loadRuntime();
        if (loaded.kind !== "node") {
          throw new Lh5Error("LH5_UNSUPPORTED", `lh5: ${fileName}: opening a file by path needs Node (openLh5 of @daqkit/lh5/node)`, {
            path: fileName,
          });
        }
        return runtimeParts(loaded, lazyOpened(loaded, path, fileName, identity, id), options);
      };
      return new Lh5File(
        name,
        notLoadedYet(name),
        new Set(BUILTIN_FILTERS),
        undefined,
        mark && (() => mark.release()),
        raw,
        undefined,
        load,
      );
    }
    const runtime = rt as H5Runtime;
    try {
      opened =
        platform.fileIdentity && options.direct !== false && clean
          ? lazyOpened(runtime, source, name, platform.fileIdentity)
          : runtime.openPath(source);
    } catch (error) {
      mark?.release();
      file.closeSync();
      throw openError(error, name);
    }
    // The descriptor stays open for the direct reader (the file is not modified while marked as read).
    return fileOf(runtime, name, opened, options, mark && (() => mark.release()), raw);
  } else {
    rt ??= await runtimeOf(platform, options);
    let bytes: Uint8Array | undefined;
    if (source instanceof Uint8Array) bytes = source;
    else if (source instanceof ArrayBuffer) bytes = new Uint8Array(source);
    else if (ArrayBuffer.isView(source)) bytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    if (bytes === undefined && !isByteSource(source)) {
      // A Blob/File: inside a Web Worker read it in place (WORKERFS, slices on demand, no copy).
      const blob = source as BlobLike;
      name ??= blob.name ?? "blob";
      const inWorker = rt.kind === "browser" && typeof (globalThis as { FileReaderSync?: unknown }).FileReaderSync === "function";
      if (inWorker) {
        const blobBytes = blobSource(blob, name) as SyncByteSource;
        checkBeforeOpen(blobBytes, name);
        try {
          // The shared channel when the worker is cross-origin isolated (no per-slice buffers), else WORKERFS.
          opened = await openH5Blob(rt, blob as unknown as Blob, { name });
        } catch (error) {
          throw openError(error, name);
        }
        return fileOf(rt, name, opened, options, undefined, {
          source: blobBytes,
          ...(platform.inflate ? { inflate: platform.inflate } : {}),
        });
      }
      try {
        bytes = new Uint8Array(await blob.arrayBuffer());
      } catch (error) {
        throw openError(error, name);
      }
    } else if (bytes === undefined) {
      const src = source as ByteSource;
      name ??= src.name;
      try {
        bytes = await src.read(0, src.size);
      } catch (error) {
        throw openError(error, name);
      }
    }
    name ??= "bytes";
    const inMemory = bytesSource(bytes, name) as SyncByteSource;
    checkBeforeOpen(inMemory, name);
    try {
      opened = rt.openBytes(bytes, name);
    } catch (error) {
      throw openError(error, name);
    }
    return fileOf(rt, name, opened, options, undefined, { source: inMemory, ...(platform.inflate ? { inflate: platform.inflate } : {}) });
  }
}

/**
 * Open an LH5 file served over HTTP (with `Range` support) lazily, inside a Web Worker: io's
 * `openH5Url` fetches only the blocks HDF5 reads (shared body of the main entry's `openLh5Url`).
 * The signature/structure pre-check of {@link openLh5On} is not run (it would read the metadata
 * twice); a damaged file fails in HDF5 and is reported with the same codes.
 * @internal
 */
export async function openLh5UrlOn(
  platform: Lh5OpenPlatform,
  url: string,
  options: OpenLh5Options & OpenH5UrlOptions = {},
): Promise<Lh5File> {
  const rt = await runtimeOf(platform, options);
  const name = options.name ?? url;
  let opened: H5OpenFile;
  try {
    opened = openH5Url(rt, url, { ...options, name });
  } catch (error) {
    throw openError(error, name);
  }
  return fileOf(rt, name, opened, options);
}

/**
 * A host path's h5wasm file opened on first use (HDF5's open and close of a file cost ≈ 2.5 ms; a
 * load whose reads all go direct never needs it). The identity of the path is taken now and checked
 * at the open: a file replaced under the path in between (renamed over it) is `LH5_READ_IO`, never
 * read half from one file and half from the other.
 */
/** Errors of a lazy h5wasm open (they must not read as "no such object"). */
const lazyOpenFailures = new WeakSet<object>();

function lazyOpened(rt: H5Runtime, path: string, name: string, identity: (path: string) => string, id = identity(path)): H5OpenFile {
  let opened: H5OpenFile | undefined;
  let closed = false;
  return {
    name: path,
    get file(): H5File {
      if (opened) return opened.file;
      if (closed) throw new TypeError("lh5: the file is closed");
      let failure: Lh5Error | undefined;
      try {
        if (identity(path) !== id) {
          failure = new Lh5Error("LH5_READ_IO", `lh5: ${name}: the file was replaced or changed since it was opened; open it again`, {
            path: name,
          });
        } else opened = rt.openPath(path);
      } catch (error) {
        failure = openError(error, name);
      }
      if (failure || !opened) {
        const error = failure ?? new Lh5Error("LH5_READ_IO", `lh5: ${name}: HDF5 did not open the file`, { path: name });
        lazyOpenFailures.add(error);
        throw error;
      }
      return opened.file;
    },
    close(): void {
      closed = true;
      opened?.close();
    },
  };
}

/** What an {@link Lh5File} takes from a loaded runtime. @internal */
export interface RuntimeParts {
  readonly opened: H5OpenFile;
  readonly filters: ReadonlySet<number>;
  readonly module: H5RawModule;
  readonly classes: EntityClasses | undefined;
}

function runtimeParts(rt: H5Runtime, opened: H5OpenFile, options: OpenLh5Options): RuntimeParts {
  const filters = new Set(BUILTIN_FILTERS);
  if (options.plugins ?? true) for (const id of rt.pluginFilters) filters.add(id);
  const classes = rt.h5 as unknown as Partial<EntityClasses>;
  return {
    opened,
    filters,
    module: rt.h5.Module as unknown as H5RawModule,
    classes: classes.Group && classes.Dataset ? (classes as EntityClasses) : undefined,
  };
}

function fileOf(rt: H5Runtime, name: string, opened: H5OpenFile, options: OpenLh5Options, onClose?: () => void, raw?: RawAccess): Lh5File {
  if (raw && options.direct === false) {
    raw.close?.();
    raw = undefined;
  }
  const parts = runtimeParts(rt, opened, options);
  return new Lh5File(name, parts.opened, parts.filters, parts.module, onClose, raw, parts.classes);
}

/** The runtime to open with: the one given, else the platform's (also for `"on-demand"` where it does not apply). */
async function runtimeOf(platform: Lh5OpenPlatform, options: OpenLh5Options): Promise<H5Runtime> {
  return typeof options.runtime === "object" ? options.runtime : platform.loadRuntime();
}

function isNotLoaded(error: unknown): boolean {
  return Lh5Error.isInstance(error) && error.code === "LH5_RUNTIME_NOT_LOADED";
}

/** The h5wasm file of an on-demand file before its runtime is loaded (the reader never asks it: see `#entity`). */
function notLoadedYet(name: string): H5OpenFile {
  return {
    name,
    get file(): H5File {
      throw new Lh5Error(
        "LH5_RUNTIME_NOT_LOADED",
        `lh5: ${name}: h5wasm is not loaded for this file; call \`await file.ensureRuntime()\` first`,
        {
          path: name,
        },
      );
    },
    close(): void {},
  };
}

/**
 * A stand-in for h5wasm's Group/Dataset of the object at `p` (its kind from the object header) while
 * the runtime is not loaded: `type` and `path` answer, anything else throws `LH5_RUNTIME_NOT_LOADED`.
 */
function standIn(kind: "group" | "dataset", p: string, notLoaded: () => Lh5Error): Group | Dataset {
  const known: Record<string, unknown> = { type: kind === "group" ? "Group" : "Dataset", path: `/${p}` };
  return new Proxy(known, {
    get(target, prop) {
      if (typeof prop === "symbol") return undefined;
      if (prop in target) return target[prop];
      throw notLoaded();
    },
  }) as unknown as Group | Dataset;
}

/**
 * Open `source`, read one object and close (shared body of the main and Node `readLh5`).
 * @internal
 */
export async function readLh5On(
  platform: Lh5OpenPlatform,
  source: Lh5Source | string,
  objPath: string,
  options: ReadOptions & OpenLh5Options = {},
): Promise<Lgdo> {
  const f = await openLh5On(platform, source, options);
  try {
    return f.readObject(objPath, options);
  } finally {
    f.close();
  }
}

/**
 * Open `source`, list its objects and close (shared body of the main and Node `listLh5`).
 * @internal
 */
export async function listLh5On(
  platform: Lh5OpenPlatform,
  source: Lh5Source | string,
  objPath = "",
  options: OpenLh5Options = {},
): Promise<Lh5ObjectInfo[]> {
  const f = await openLh5On(platform, source, options);
  try {
    return f.listObjects(objPath);
  } finally {
    f.close();
  }
}
