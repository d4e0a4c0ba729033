import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import {
  beginUndoJournal,
  type EmscriptenFsLike,
  type FileLock,
  guardEmscriptenWrites,
  liveReaders,
  loadH5RuntimeNode as h5ready,
  openFileSourceSync,
  removeStaleTemporaries,
  temporaryPathFor,
  tryAcquireFileLock,
} from "@daqkit/io/node";
import type { Dataset, Group, File as H5File } from "h5wasm/node";
import { checkShape } from "./builders.js";
import { elementCtor } from "./dataset-read.js";
import { parseDatatype } from "./datatype.js";
import { Lh5Error, hdf5Reason } from "./errors.js";
import { mayModifyInPlace, recoverInterruptedAppend } from "./in-place.js";
import { CSET_ASCII, CSET_UTF8, isAsciiOnly, type PatchableFile, setFixedStringType } from "./string-type.js";
import type { AttrValue, Attrs, ElementData, EncodedArray, Lgdo, NumericArray, Scalar, VectorOfVectors } from "./types.js";
import { lgdoRows } from "./types.js";

/**
 * How {@link writeLh5} treats the file and the object:
 * - `"w"`: create or truncate the file, then write the object;
 * - `"a"` (default): open the file (create it if missing) and add the object; an existing object at
 *   `objPath` is an error (`LH5_OBJECT_EXISTS`);
 * - `"append"`: append rows to an existing Table/Array/AoESA/VoV (lgdo's `wo_mode="append"`); when the
 *   object does not exist yet it is created as in `"a"`.
 */
export type WriteMode = "w" | "a" | "append";

/** Options of {@link writeLh5}. */
export interface WriteOptions {
  /** Default `"a"`; see {@link WriteMode}. */
  readonly mode?: WriteMode;
  /**
   * HDF5 filter for arrays: `"gzip"` (default, deflate id 1), `"none"`, or a filter id (needs the filter
   * available for writing). h5wasm installs one filter only, so lgdo's shuffle+gzip is written as gzip.
   */
  readonly compression?: "gzip" | "none" | number;
  /** gzip level 0–9 (default 4, lgdo's default). */
  readonly compressionLevel?: number;
  /** Rows per chunk along axis 0 (default: ≈256 KiB per chunk, at least min(1024, that)). */
  readonly chunkRows?: number;
  /**
   * Mode `"a"`/`"append"` on an existing file: modify it in place under an undo journal (default
   * true; cost ∝ the data added), or with false copy it, write the copy and rename it over the file
   * (cost ∝ the file size; readers that have the file open keep seeing the old one throughout).
   */
  readonly inPlace?: boolean;
}

const CHUNK_BYTES = 256 * 1024;

function normalizePath(objPath: string): string {
  return objPath.replace(/^\/+/, "").replace(/\/+$/, "").replace(/\/+/g, "/");
}

interface Ctx {
  readonly path: string;
  readonly options: WriteOptions;
  /** Fixed-length string datasets created in this session, whose type is set to NULLPAD on close. */
  readonly strings: { readonly path: string; readonly cset: number }[];
}

function where(ctx: Ctx, p: string): string {
  return `${ctx.path}:/${p}`;
}

function writeAttrs(obj: Group | Dataset, datatype: string, attrs: Attrs): void {
  obj.create_attribute("datatype", datatype);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "datatype") continue;
    writeAttr(obj, name, value);
  }
}

function writeAttr(obj: Group | Dataset, name: string, value: AttrValue): void {
  if (typeof value === "string") obj.create_attribute(name, value);
  else if (typeof value === "boolean") obj.create_attribute(name, Uint8Array.of(value ? 1 : 0), []);
  else if (typeof value === "bigint") obj.create_attribute(name, BigInt64Array.of(value), []);
  else if (typeof value === "number") obj.create_attribute(name, Float64Array.of(value), []);
  else if (Array.isArray(value)) {
    if (value.every((v) => typeof v === "string")) obj.create_attribute(name, value as string[]);
    else if (value.some((v) => typeof v === "bigint"))
      obj.create_attribute(
        name,
        BigInt64Array.from(value, (v) => BigInt(v)),
      );
    else obj.create_attribute(name, Float64Array.from(value as number[]));
  }
}

function chunkRowsFor(ctx: Ctx, rows: number, bytesPerRow: number): number {
  if (ctx.options.chunkRows !== undefined) return Math.max(1, Math.floor(ctx.options.chunkRows));
  const target = Math.max(1, Math.floor(CHUNK_BYTES / Math.max(1, bytesPerRow)));
  return Math.max(Math.min(1024, target), Math.min(target, rows));
}

function maxStringBytes(data: readonly string[]): number {
  const enc = new TextEncoder();
  let m = 1;
  for (const s of data) m = Math.max(m, enc.encode(s).length);
  return m;
}

function boolToU8(data: ElementData): ElementData {
  if (data instanceof Uint8Array || Array.isArray(data)) return data;
  const u = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) u[i] = data[i] ? 1 : 0;
  return u;
}

/** Create a chunked, resizable (axis 0 unlimited), compressed dataset. */
function createArrayDataset(ctx: Ctx, parent: Group, name: string, p: string, data: ElementData, shape: readonly number[]): Dataset {
  checkShape(data, shape);
  const rows = shape[0] ?? 0;
  const rest = shape.slice(1);
  const rowWidth = rest.reduce((a, b) => a * b, 1);
  const isString = Array.isArray(data);
  const elemBytes = isString ? maxStringBytes(data as string[]) : (data as NumericArray).BYTES_PER_ELEMENT;
  const chunks = [chunkRowsFor(ctx, rows, elemBytes * rowWidth), ...rest.map((d) => Math.max(1, d))];
  const compression = ctx.options.compression ?? "gzip";
  const args: Parameters<Group["create_dataset"]>[0] = {
    name,
    data: data as NumericArray,
    shape: [...shape],
    maxshape: [null, ...rest],
    chunks,
  };
  if (isString) (args as { dtype?: string }).dtype = `S${elemBytes}`;
  if (compression !== "none") {
    (args as { compression?: number | "gzip" }).compression = compression;
    if (compression === "gzip") (args as { compression_opts?: number }).compression_opts = ctx.options.compressionLevel ?? 4;
  }
  try {
    const ds = parent.create_dataset(args);
    if (isString) ctx.strings.push({ path: p, cset: isAsciiOnly(data as string[]) ? CSET_ASCII : CSET_UTF8 });
    return ds;
  } catch (error) {
    throw new Lh5Error(
      "LH5_WRITE_IO",
      `lh5: ${where(ctx, p)}: creating the dataset failed: ${hdf5Reason(error)}`,
      { path: ctx.path, objectPath: p },
      { cause: error },
    );
  }
}

function writeScalar(ctx: Ctx, parent: Group, name: string, p: string, s: Scalar): void {
  let ds: Dataset;
  try {
    const v = s.value;
    if (typeof v === "string") ds = parent.create_dataset({ name, data: v, shape: [] });
    else if (typeof v === "boolean") ds = parent.create_dataset({ name, data: Uint8Array.of(v ? 1 : 0), shape: [] });
    else if (typeof v === "bigint") ds = parent.create_dataset({ name, data: BigInt64Array.of(v), shape: [] });
    else ds = parent.create_dataset({ name, data: Float64Array.of(v), shape: [] });
  } catch (error) {
    throw new Lh5Error(
      "LH5_WRITE_IO",
      `lh5: ${where(ctx, p)}: creating the scalar failed: ${hdf5Reason(error)}`,
      { path: ctx.path, objectPath: p },
      { cause: error },
    );
  }
  writeAttrs(ds, s.datatype, s.attrs);
}

function cumulativeToInt64(cl: Float64Array, offset = 0): BigInt64Array {
  const out = new BigInt64Array(cl.length);
  for (let i = 0; i < cl.length; i++) out[i] = BigInt((cl[i] as number) + offset);
  return out;
}

function checkVov(ctx: Ctx, p: string, v: VectorOfVectors): void {
  const n = lgdoRows(v.flattened) ?? 0;
  const last = v.cumulativeLength.length > 0 ? (v.cumulativeLength[v.cumulativeLength.length - 1] as number) : 0;
  if (last > n) {
    throw new Lh5Error("LH5_BAD_LGDO", `lh5: ${where(ctx, p)}: cumulative_length ends at ${last} but flattened_data has ${n} rows`, {
      path: ctx.path,
      objectPath: p,
    });
  }
}

/** Write a new object `name` under `parent` (recursively). */
function writeNew(ctx: Ctx, parent: Group, name: string, p: string, obj: Lgdo): void {
  switch (obj.type) {
    case "Scalar":
      writeScalar(ctx, parent, name, p, obj);
      return;
    case "Array":
    case "FixedSizeArray":
    case "ArrayOfEqualSizedArrays": {
      const data = obj.element.kind === "bool" ? boolToU8(obj.data) : obj.data;
      const ds = createArrayDataset(ctx, parent, name, p, data, obj.shape);
      writeAttrs(ds, obj.datatype, obj.attrs);
      return;
    }
    case "VectorOfVectors": {
      checkVov(ctx, p, obj);
      const g = parent.create_group(name);
      writeAttrs(g, obj.datatype, obj.attrs);
      writeNew(ctx, g, "flattened_data", `${p}/flattened_data`, obj.flattened);
      const cl = createArrayDataset(ctx, g, "cumulative_length", `${p}/cumulative_length`, cumulativeToInt64(obj.cumulativeLength), [
        obj.cumulativeLength.length,
      ]);
      writeAttrs(cl, "array<1>{real}", {});
      return;
    }
    case "ArrayOfEncodedEqualSizedArrays":
    case "VectorOfEncodedVectors": {
      const g = parent.create_group(name);
      const attrs = { ...obj.attrs, codec: obj.codec };
      writeAttrs(g, obj.datatype, attrs);
      writeNew(ctx, g, "encoded_data", `${p}/encoded_data`, obj.encodedData);
      writeNew(ctx, g, "decoded_size", `${p}/decoded_size`, obj.decodedSize);
      return;
    }
    case "Struct":
    case "Histogram": {
      const s = obj.type === "Histogram" ? obj.struct : obj;
      const g = parent.create_group(name);
      writeAttrs(g, `struct{${[...s.fields.keys()].join(",")}}`, s.attrs);
      for (const [f, v] of s.fields) writeNew(ctx, g, f, `${p}/${f}`, v);
      return;
    }
    case "Table":
    case "WaveformTable": {
      let n: number | undefined;
      for (const [f, v] of obj.columns) {
        const rows = lgdoRows(v);
        if (rows === undefined) {
          throw new Lh5Error("LH5_BAD_LGDO", `lh5: ${where(ctx, p)}: column '${f}' is a ${v.type}, which has no rows`, {
            path: ctx.path,
            objectPath: `${p}/${f}`,
          });
        }
        if (n === undefined) n = rows;
        else if (rows !== n) {
          throw new Lh5Error("LH5_LENGTH_MISMATCH", `lh5: ${where(ctx, p)}: column '${f}' has ${rows} rows, expected ${n}`, {
            path: ctx.path,
            objectPath: `${p}/${f}`,
          });
        }
      }
      const g = parent.create_group(name);
      writeAttrs(g, `table{${[...obj.columns.keys()].join(",")}}`, obj.attrs);
      for (const [f, v] of obj.columns) writeNew(ctx, g, f, `${p}/${f}`, v);
      return;
    }
  }
}

function mismatch(ctx: Ctx, p: string, what: string): Lh5Error {
  return new Lh5Error("LH5_APPEND_MISMATCH", `lh5: ${where(ctx, p)}: cannot append: ${what}`, { path: ctx.path, objectPath: p });
}

function datatypeOf(obj: Group | Dataset): string | undefined {
  if (!("datatype" in obj.attrs)) return undefined;
  const v = obj.get_attribute("datatype", false);
  return typeof v === "string" ? v : undefined;
}

/** Convert `data` to the dataset's element type when they differ (e.g. Float64Array into int64). */
function toDatasetType(ds: Dataset, data: ElementData, ctx: Ctx, p: string): ElementData {
  const ctor = elementCtor(ds.metadata, where(ctx, p));
  if (ctor === null) {
    if (!Array.isArray(data)) throw mismatch(ctx, p, "the dataset holds strings, the new data numbers");
    const meta = ds.metadata;
    if (!meta.vlen && meta.cset === CSET_ASCII && !isAsciiOnly(data)) {
      const row = data.findIndex((s) => !isAsciiOnly([s]));
      throw mismatch(
        ctx,
        p,
        `the dataset holds ASCII strings (numpy "S", as lgdo writes them), new row ${row} is not ASCII: ${JSON.stringify(data[row]!.slice(0, 40))}`,
      );
    }
    if (!meta.vlen) {
      const longest = maxStringBytes(data);
      if (longest > meta.size)
        throw mismatch(ctx, p, `strings of ${longest} bytes do not fit the fixed-length ${meta.size}-byte string dataset`);
    }
    return data;
  }
  if (Array.isArray(data)) throw mismatch(ctx, p, "the dataset holds numbers, the new data strings");
  if (data instanceof ctor) return data;
  const out = new ctor(data.length);
  const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number | bigint;
    (out as unknown as (number | bigint)[])[i] = big ? BigInt(typeof v === "bigint" ? v : Math.trunc(v)) : Number(v);
  }
  return out;
}

function appendRows(ctx: Ctx, ds: Dataset, p: string, data: ElementData, shape: readonly number[]): void {
  const meta = ds.metadata;
  const old = meta.shape ?? [];
  if (old.length !== shape.length || old.slice(1).some((d, i) => d !== shape[i + 1])) {
    throw mismatch(ctx, p, `shape [${old.join(", ")}] vs new rows of shape [${shape.join(", ")}]`);
  }
  const max0 = meta.maxshape?.[0] ?? 0;
  const n0 = old[0] ?? 0;
  const add = shape[0] ?? 0;
  if (add === 0) return;
  if (max0 < 2 ** 53 && n0 + add > max0) throw mismatch(ctx, p, `dataset is not resizable beyond ${max0} rows`);
  const converted = toDatasetType(ds, data, ctx, p);
  try {
    ds.resize([n0 + add, ...old.slice(1)]);
    const sel: [number, number][] = [[n0, n0 + add], ...old.slice(1).map((d) => [0, d] as [number, number])];
    ds.write_slice(sel, converted);
  } catch (error) {
    throw new Lh5Error(
      "LH5_WRITE_IO",
      `lh5: ${where(ctx, p)}: appending ${add} rows failed: ${hdf5Reason(error)}`,
      { path: ctx.path, objectPath: p },
      { cause: error },
    );
  }
}

/** Append `obj`'s rows to the existing object at `p`. */
function appendTo(ctx: Ctx, file: H5File, p: string, obj: Lgdo): void {
  const existing = file.get(p) as Group | Dataset | null;
  if (!existing) throw mismatch(ctx, p, "object vanished");
  const text = datatypeOf(existing);
  if (text === undefined) throw mismatch(ctx, p, "the existing object has no datatype");
  const dt = parseDatatype(text);
  const expect = obj.type === "WaveformTable" ? ["Table", "WaveformTable"] : obj.type === "Table" ? ["Table", "WaveformTable"] : [obj.type];
  if (!expect.includes(dt.type)) throw mismatch(ctx, p, `existing ${dt.type} vs new ${obj.type}`);
  switch (obj.type) {
    case "Array":
    case "FixedSizeArray":
    case "ArrayOfEqualSizedArrays": {
      const data = obj.element.kind === "bool" ? boolToU8(obj.data) : obj.data;
      appendRows(ctx, existing as Dataset, p, data, obj.shape);
      return;
    }
    case "VectorOfVectors": {
      checkVov(ctx, p, obj);
      const cl = file.get(`${p}/cumulative_length`) as Dataset | null;
      if (!cl) throw mismatch(ctx, p, "cumulative_length is missing");
      const n = cl.shape?.[0] ?? 0;
      let offset = 0;
      if (n > 0) {
        const last = cl.slice([[n - 1, n]]) as ArrayLike<number | bigint>;
        offset = Number(last[0]);
      }
      // Trim surplus flattened rows so the new data starts right after cumulative_length[-1].
      const fdPath = `${p}/flattened_data`;
      const fdRows = lgdoRowsOnDisk(file, fdPath);
      if (fdRows !== offset) throw mismatch(ctx, p, `flattened_data has ${fdRows} rows but cumulative_length ends at ${offset}`);
      const used = obj.cumulativeLength.length > 0 ? (obj.cumulativeLength[obj.cumulativeLength.length - 1] as number) : 0;
      appendTo(ctx, file, fdPath, sliceRows(obj.flattened, used));
      appendRows(ctx, cl, `${p}/cumulative_length`, cumulativeToInt64(obj.cumulativeLength, offset), [obj.cumulativeLength.length]);
      return;
    }
    case "ArrayOfEncodedEqualSizedArrays":
    case "VectorOfEncodedVectors": {
      appendTo(ctx, file, `${p}/encoded_data`, (obj as EncodedArray).encodedData);
      if (obj.decodedSize.type === "Array") appendTo(ctx, file, `${p}/decoded_size`, obj.decodedSize);
      return;
    }
    case "Table":
    case "WaveformTable": {
      const fields = "fields" in dt ? dt.fields : [];
      const names = [...obj.columns.keys()];
      if (names.length !== fields.length || names.some((n) => !fields.includes(n))) {
        throw mismatch(ctx, p, `columns {${fields.join(",")}} in the file vs {${names.join(",")}} to append`);
      }
      const rows = names.map((n) => lgdoRows(obj.columns.get(n) as Lgdo));
      if (rows.some((r) => r !== rows[0]))
        throw new Lh5Error("LH5_LENGTH_MISMATCH", `lh5: ${where(ctx, p)}: columns to append have different row counts`, {
          path: ctx.path,
          objectPath: p,
        });
      for (const n of fields) appendTo(ctx, file, `${p}/${n}`, obj.columns.get(n) as Lgdo);
      return;
    }
    default:
      throw mismatch(ctx, p, `${obj.type} has no rows to append`);
  }
}

function lgdoRowsOnDisk(file: H5File, p: string): number {
  const e = file.get(p) as Group | Dataset | null;
  if (!e) return 0;
  if (e.type === "Dataset") return (e as Dataset).shape?.[0] ?? 0;
  const cl = file.get(`${p}/cumulative_length`) as Dataset | null;
  return cl?.shape?.[0] ?? 0;
}

/** The first `n` rows of an Array/VoV (for appending only the used part of flattened data). */
function sliceRows(obj: Lgdo, n: number): Lgdo {
  if (obj.type === "Array" || obj.type === "FixedSizeArray") {
    const total = obj.shape[0] ?? 0;
    if (n >= total) return obj;
    const width = obj.shape.slice(1).reduce((a, b) => a * b, 1);
    const data = Array.isArray(obj.data) ? obj.data.slice(0, n * width) : (obj.data as NumericArray).subarray(0, n * width);
    return { ...obj, data: data as ElementData, shape: [n, ...obj.shape.slice(1)] };
  }
  if (obj.type === "VectorOfVectors") {
    if (n >= obj.cumulativeLength.length) return obj;
    const cl = obj.cumulativeLength.subarray(0, n);
    return {
      ...obj,
      cumulativeLength: cl,
      flattened: sliceRows(obj.flattened, n > 0 ? (cl[n - 1] as number) : 0) as VectorOfVectors["flattened"],
    };
  }
  return obj;
}

function ensureParents(file: H5File, p: string): Group {
  const parts = p.split("/");
  parts.pop();
  let g: Group = file;
  let path = "";
  for (const part of parts) {
    path = path ? `${path}/${part}` : part;
    const e = file.get(path) as Group | Dataset | null;
    if (e === null) g = g.create_group(part);
    else if (e.type === "Group") g = e as Group;
    else throw new Lh5Error("LH5_WRITE_IO", `lh5: cannot create group '${path}': a dataset has that name`, { objectPath: path });
  }
  return g;
}

/** Options of {@link openLh5Writer}. */
export interface Lh5WriterOptions extends Omit<WriteOptions, "mode"> {
  /** `"w"`: start from an empty file; `"a"` (default): start from the existing file (or an empty one). */
  readonly mode?: "w" | "a";
}

/** How a session's changes reach the target: committed or discarded after the HDF5 file is closed. */
interface Target {
  /** `"in-place"` (undo journal) or `"copy"` (temporary + rename). */
  readonly kind: "in-place" | "copy";
  commit(): void;
  discard(): void;
}

/** A new file or a copy under a daqkit temporary name, fsynced and renamed over the target on commit. */
function copyTarget(path: string, tmp: string): Target {
  return {
    kind: "copy",
    commit() {
      const fd = openSync(tmp, "r+");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
      syncDir(dirname(path));
    },
    discard() {
      rmSync(tmp, { force: true });
    },
  };
}

/**
 * Give the fixed-length string datasets created in the session numpy's type (ASCII or UTF-8,
 * NULLPAD) in the closed file at `file` (see string-type.ts). In place, the bytes changed are those
 * of headers HDF5 wrote in this session, so the undo journal already holds their old contents.
 */
function setStringTypes(file: string, strings: Ctx["strings"]): void {
  const source = openFileSourceSync(file);
  const fd = openSync(file, "r+");
  try {
    const patchable: PatchableFile = {
      name: file,
      size: source.size,
      read: (offset, length) => source.read(offset, length),
      readSync: (offset, length) => source.readSync(offset, length),
      writeSync(offset, bytes) {
        let done = 0;
        while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, offset + done);
      },
    };
    for (const s of strings) setFixedStringType(patchable, s.path, s.cset);
  } finally {
    closeSync(fd);
    source.closeSync();
  }
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not every filesystem fsyncs directories
  }
}

/**
 * A write session on one LH5 file, holding the file's write lock until it ends. On an existing
 * file (mode `"a"`) it works in place: before HDF5 overwrites any original byte, the old bytes are
 * saved to an undo journal (`.NAME.daqkit-journal`), so {@link Lh5Writer.close} costs what was
 * added, not a copy of the file; a session that fails, is aborted or is killed is rolled back (by
 * the next writer or reader when killed). New files (and `inPlace: false`, a file without write
 * permission bits, or a file that a reader has open) are written under a temporary name and renamed over the target. Either way the file
 * holds its old or its new contents, never a mix. Use a session instead of repeated
 * {@link writeLh5} calls when appending many batches. A failed `write` aborts the session (the
 * target is untouched) and rethrows. `[Symbol.dispose]` aborts an uncommitted session, so
 * `using w = …` without `w.close()` writes nothing. Readers ({@link openLh5}) wait for an in-place
 * session to end (up to their `busyTimeoutMs`), so keep long sessions on files others read with
 * `inPlace: false`.
 */
export class Lh5Writer {
  /** Target host path. */
  readonly path: string;
  readonly #target: Target;
  readonly #ctx: Ctx;
  readonly #lock: FileLock;
  #file: H5File | undefined;

  /** @internal use {@link openLh5Writer}. */
  constructor(path: string, target: Target, file: H5File, options: WriteOptions, lock: FileLock) {
    this.path = path;
    this.#target = target;
    this.#file = file;
    this.#ctx = { path, options, strings: [] };
    this.#lock = lock;
  }

  /** `"in-place"` (undo journal) or `"copy"` (temporary file renamed over the target on close). */
  get strategy(): "in-place" | "copy" {
    return this.#target.kind;
  }

  /**
   * Write `obj` at `objPath` (parent groups created without `datatype`). With `append: true` rows are
   * appended to an existing Table/Array/AoESA/VoV/encoded array (created when missing).
   * @throws Lh5Error `LH5_OBJECT_EXISTS` (without append), `LH5_APPEND_MISMATCH`, `LH5_LENGTH_MISMATCH`,
   *   `LH5_BAD_LGDO`, `LH5_BAD_DATATYPE`, `LH5_WRITE_IO`; TypeError after close/abort.
   */
  write(objPath: string, obj: Lgdo, options: { append?: boolean } = {}): void {
    const file = this.#file;
    if (!file) throw new TypeError("lh5: the writer is closed");
    const p = normalizePath(objPath);
    try {
      if (p === "")
        throw new Lh5Error("LH5_BAD_LGDO", `lh5: ${this.path}: the object path must not be the root group`, { path: this.path });
      const present = file.get(p) !== null;
      if (present && !options.append) {
        throw new Lh5Error(
          "LH5_OBJECT_EXISTS",
          `lh5: ${this.path}:/${p}: object exists (append rows with mode "append", or rewrite the file with mode "w")`,
          {
            path: this.path,
            objectPath: p,
          },
        );
      }
      if (present) appendTo(this.#ctx, file, p, obj);
      else writeNew(this.#ctx, ensureParents(file, p), p.split("/").pop() as string, p, obj);
    } catch (error) {
      this.abort();
      throw error;
    }
  }

  /**
   * Commit: close the HDF5 file, then make the changes durable (in place: fsync, delete the journal;
   * copy: fsync, rename over the target). On failure the target keeps its old contents.
   * @throws Lh5Error `LH5_WRITE_IO`; TypeError after close/abort.
   */
  close(): void {
    const file = this.#file;
    if (!file) throw new TypeError("lh5: the writer is closed");
    this.#file = undefined;
    try {
      const written = file.filename;
      file.close();
      if (this.#ctx.strings.length > 0) setStringTypes(written, this.#ctx.strings);
      this.#target.commit();
    } catch (error) {
      try {
        this.#target.discard();
      } catch {
        // the journal stays: the next writer or reader rolls it back
      }
      throw new Lh5Error(
        "LH5_WRITE_IO",
        `lh5: ${this.path}: committing the file failed: ${hdf5Reason(error)}`,
        { path: this.path },
        { cause: error },
      );
    } finally {
      // Released only after the commit: the next writer starts from the committed file.
      this.#lock.release();
    }
  }

  /** Discard everything written in this session (the target keeps its old contents). Idempotent. */
  abort(): void {
    const file = this.#file;
    this.#file = undefined;
    if (file) {
      try {
        file.close();
      } catch {
        // already failing
      }
    }
    try {
      this.#target.discard();
    } finally {
      this.#lock.release();
    }
  }

  [Symbol.dispose](): void {
    this.abort();
  }
}

/**
 * Start a write session (see {@link Lh5Writer}); files are created with `libver` v110. A journal
 * left by a killed in-place writer is rolled back first, and temporaries of dead writers are removed.
 * @throws Lh5Error `LH5_BUSY` (another writer holds the file's lock; holderPid names it), `LH5_NOT_HDF5` (mode "a" on a file HDF5 cannot open), `LH5_WRITE_IO`.
 */
export async function openLh5Writer(path: string, options: Lh5WriterOptions = {}): Promise<Lh5Writer> {
  const rt = await h5ready();
  const mode = options.mode ?? "a";
  // One writer at a time: two sessions that each copy the file and rename their copy over it would
  // silently drop the rows of whichever renamed first (and in place they would tear the file).
  let taken: ReturnType<typeof tryAcquireFileLock>;
  try {
    taken = tryAcquireFileLock(path);
  } catch (error) {
    throw new Lh5Error("LH5_WRITE_IO", `lh5: ${path}: cannot create the write lock: ${hdf5Reason(error)}`, { path }, { cause: error });
  }
  if ("busy" in taken) {
    const pid = taken.holder?.pid;
    throw new Lh5Error(
      "LH5_BUSY",
      `lh5: ${path}: file is busy: another writer${pid === undefined ? "" : ` (pid ${pid}${taken.holder ? ` on ${taken.holder.hostname}` : ""})`} holds its write lock; nothing was written`,
      { path, ...(pid === undefined ? {} : { holderPid: pid }) },
    );
  }
  const lock = taken;
  let target: Target | undefined;
  let exists = false;
  let opening = false; // HDF5 is opening the file: a failure means it is not HDF5
  try {
    recoverInterruptedAppend(path);
    // Temporaries of killed copy-mode writers: today's daqkit names and the former `.NAME.PID.TIME.RAND.tmp`.
    await removeStaleTemporaries(path, { legacy: /^(\d+)\.[0-9a-z]+\.[0-9a-z]+\.tmp$/ });
    exists = mode === "a" && existsSync(path);
    // A file without write bits is not modified in place (its readers leave no marker; see in-place.ts).
    if (exists && options.inPlace !== false && mayModifyInPlace(path)) {
      const journal = beginUndoJournal(path);
      // A reader has the file open (it registered before our journal existed, so it did not wait):
      // do not change the bytes under it; write a copy instead.
      if (liveReaders(path) > 0) journal.rollback();
      else {
        const unguard = guardEmscriptenWrites(rt.h5.FS as unknown as EmscriptenFsLike, journal);
        target = {
          kind: "in-place",
          commit() {
            unguard();
            journal.commit();
          },
          discard() {
            unguard();
            journal.rollback();
          },
        };
        try {
          opening = true;
          return new Lh5Writer(path, target, new rt.h5.File(path, "a"), options, lock);
        } catch (error) {
          target.discard();
          target = undefined;
          throw error;
        }
      }
    }
    const tmp = temporaryPathFor(path);
    target = copyTarget(path, tmp);
    if (exists) {
      copyFileSync(path, tmp);
      opening = true;
      return new Lh5Writer(path, target, new rt.h5.File(tmp, "a"), options, lock);
    }
    return new Lh5Writer(path, target, new rt.h5.File(tmp, "w", { libver: "v110" }), options, lock);
  } catch (error) {
    try {
      target?.discard();
    } finally {
      lock.release();
    }
    if (Lh5Error.isInstance(error)) throw error;
    const code = exists && opening ? "LH5_NOT_HDF5" : "LH5_WRITE_IO";
    throw new Lh5Error(code, `lh5: ${path}: cannot open for writing: ${hdf5Reason(error)}`, { path }, { cause: error });
  }
}

/**
 * Write an LGDO to `objPath` in an LH5 file, lgdo-compatibly (spec §9): `datatype` on every object,
 * arrays chunked and resizable along axis 0 with gzip (level 4) by default, VoV offsets as int64,
 * bools as uint8, strings as fixed-length byte strings (scalars: vlen UTF-8), missing parent groups
 * created without `datatype`, file bounds `libver` v110 (readable by HDF5 ≥ 1.10). A new file is
 * written under a temporary name in the same directory and renamed; `"a"`/`"append"` on an existing
 * file modify it in place under an undo journal (see {@link Lh5Writer}; `inPlace: false` copies
 * and renames instead). Killed at any point, the file keeps its old or gets its new contents. For
 * many appends use {@link openLh5Writer} (one session, one commit).
 *
 * @throws Lh5Error `LH5_BUSY` (another writer is writing the file), `LH5_OBJECT_EXISTS` (mode "a"), `LH5_APPEND_MISMATCH`, `LH5_LENGTH_MISMATCH`,
 *   `LH5_BAD_LGDO`, `LH5_BAD_DATATYPE` (existing object), `LH5_NOT_HDF5`, `LH5_WRITE_IO`.
 */
export async function writeLh5(path: string, objPath: string, obj: Lgdo, options: WriteOptions = {}): Promise<void> {
  const mode = options.mode ?? "a";
  if (normalizePath(objPath) === "")
    throw new Lh5Error("LH5_BAD_LGDO", `lh5: ${path}: the object path must not be the root group`, { path });
  const writer = await openLh5Writer(path, { ...options, mode: mode === "w" ? "w" : "a" });
  writer.write(objPath, obj, { append: mode === "append" }); // aborts (and unlocks) on failure
  writer.close();
}
