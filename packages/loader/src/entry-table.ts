import { type Data, Field, Float64, Int32, makeData, RecordBatch, Schema, Struct, Table, type Vector, Utf8 } from "apache-arrow";
import type { TableId } from "./cycle-source.js";
import type { EntryChunk } from "./entry-list.js";
import { LoaderError } from "./errors.js";
import type { GatheredColumn } from "./gather.js";

/** Names of the entry-list columns for a parent level (and, with a TCM, its child level). */
export interface EntryColumnNames {
  /** `{parent}_table` */
  readonly table: string;
  /** `{parent}_idx` */
  readonly idx: string;
  /** `{child}_idx`, TCM entry lists only. */
  readonly event?: string;
}

export function entryColumnNames(parent: string, child?: string): EntryColumnNames {
  return { table: `${parent}_table`, idx: `${parent}_idx`, ...(child ? { event: `${child}_idx` } : {}) };
}

function int32Data(values: Int32Array): Data {
  return makeData({ type: new Int32(), length: values.length, data: values, nullCount: 0 });
}

/** The `{parent}_table` column: Int32 for integer ids that fit, Float64 for other numbers, Utf8 for strings. */
export function tableIdData(ids: readonly TableId[], codes: Int32Array): Data {
  const n = codes.length;
  if (ids.every((t) => typeof t === "number" && Number.isInteger(t) && t >= -0x80000000 && t <= 0x7fffffff)) {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = ids[codes[i] as number] as number;
    return int32Data(out);
  }
  if (ids.every((t) => typeof t === "number")) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = ids[codes[i] as number] as number;
    return makeData({ type: new Float64(), length: n, data: out, nullCount: 0 });
  }
  const enc = new TextEncoder();
  const bytes = ids.map((t) => enc.encode(String(t)));
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += (bytes[codes[i] as number] as Uint8Array).length;
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < n; i++) data.set(bytes[codes[i] as number] as Uint8Array, offsets[i] as number);
  return makeData({ type: new Utf8(), length: n, valueOffsets: offsets, data, nullCount: 0 });
}

/**
 * Concatenate entry chunks (in order) into one chunk-like set of arrays plus the `file` column;
 * `tableData()` is the `{parent}_table` column. When every table id is a 32-bit integer (the usual
 * channel ids) that column is written straight from the chunks, without the intermediate code array.
 */
export function concatChunks(chunks: readonly EntryChunk[]): {
  ids: TableId[];
  readonly codes: Int32Array;
  row: Int32Array;
  event: Int32Array | null;
  file: Int32Array;
  tableData(): Data;
} {
  const ids: TableId[] = [];
  const idCode = new Map<string, number>();
  let n = 0;
  for (const c of chunks) n += c.row.length;
  const row = new Int32Array(n);
  const hasEvent = chunks.length > 0 && chunks.every((c) => c.event !== null);
  const event = hasEvent ? new Int32Array(n) : null;
  const file = new Int32Array(n);
  const remaps: number[][] = [];
  let o = 0;
  for (const c of chunks) {
    remaps.push(
      c.tableIds.map((t) => {
        const key = `${typeof t}:${t}`;
        let code = idCode.get(key);
        if (code === undefined) {
          code = ids.length;
          ids.push(t);
          idCode.set(key, code);
        }
        return code;
      }),
    );
    row.set(c.row, o);
    if (event && c.event) event.set(c.event, o);
    file.fill(c.fileIndex, o, o + c.row.length);
    o += c.row.length;
  }
  // Entry k of chunk c: out[k] = values[c][tableCode[k]] (a code, or the table id itself).
  const mapCodes = (values: (remap: number[]) => number[]): Int32Array => {
    const out = new Int32Array(n);
    let at = 0;
    chunks.forEach((c, i) => {
      const map = values(remaps[i] as number[]);
      const tc = c.tableCode;
      for (let k = 0; k < tc.length; k++) out[at + k] = map[tc[k] as number] as number;
      at += tc.length;
    });
    return out;
  };
  let codes: Int32Array | undefined;
  const getCodes = () => {
    codes ??= mapCodes((remap) => remap);
    return codes;
  };
  const int32Ids = ids.every((t) => typeof t === "number" && Number.isInteger(t) && t >= -0x80000000 && t <= 0x7fffffff);
  return {
    ids,
    get codes() {
      return getCodes();
    },
    row,
    event,
    file,
    tableData: () =>
      int32Ids && !codes ? int32Data(mapCodes((remap) => remap.map((code) => ids[code] as number))) : tableIdData(ids, getCodes()),
  };
}

/** Assemble an Arrow table from named column data (in order) with per-field metadata. */
export function makeArrowTable(columns: readonly { name: string; data: Data; metadata?: Map<string, string> }[], length: number): Table {
  const fields = columns.map((c) => new Field(c.name, c.data.type, true, c.metadata ?? new Map()));
  const schema = new Schema(fields);
  const data = makeData({ type: new Struct(fields), length, children: columns.map((c) => c.data), nullCount: 0 });
  return new Table([new RecordBatch(schema, data)]);
}

/**
 * The entry list of some chunks as an Arrow table: `{parent}_table`, `{parent}_idx`,
 * (`{child}_idx`), (`file` when `withFile`), then `extra` columns.
 */
export function entryTable(
  chunks: readonly EntryChunk[],
  names: EntryColumnNames,
  withFile: boolean,
  extra?: ReadonlyMap<string, GatheredColumn>,
): Table {
  const all = concatChunks(chunks);
  const cols: { name: string; data: Data; metadata?: Map<string, string> }[] = [
    { name: names.table, data: all.tableData() },
    { name: names.idx, data: int32Data(all.row) },
  ];
  if (names.event && all.event) cols.push({ name: names.event, data: int32Data(all.event) });
  if (withFile) cols.push({ name: "file", data: int32Data(all.file) });
  for (const [name, g] of extra ?? []) if (!cols.some((c) => c.name === name)) cols.push({ name, data: g.data, metadata: g.metadata });
  return makeArrowTable(cols, all.row.length);
}

function intColumn(v: Vector | null, name: string): Int32Array {
  if (!v) throw new LoaderError("LOADER_BAD_ENTRY_LIST", `loader: the entry list has no "${name}" column`);
  if (v.nullCount > 0) throw new LoaderError("LOADER_BAD_ENTRY_LIST", `loader: entry-list column "${name}" has nulls`);
  const out = new Int32Array(v.length);
  let i = 0;
  for (const x of v) {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 0)
      throw new LoaderError("LOADER_BAD_ENTRY_LIST", `loader: entry-list column "${name}" row ${i} is ${String(x)}, not a row index`, {
        row: i,
      });
    out[i++] = n;
  }
  return out;
}

/**
 * Split an entry-list Arrow table back into per-cycle chunks (rows of one `file` value, in order
 * of first appearance; `fileIndex` is used when the table has no `file` column).
 * @throws LoaderError `LOADER_BAD_ENTRY_LIST` for missing columns, nulls or non-integer indices.
 */
export function chunksFromTable(table: Table, names: EntryColumnNames, fileIndex?: number): EntryChunk[] {
  const tableVec = table.getChild(names.table);
  if (!tableVec) throw new LoaderError("LOADER_BAD_ENTRY_LIST", `loader: the entry list has no "${names.table}" column`);
  const idx = intColumn(table.getChild(names.idx), names.idx);
  const event = names.event && table.getChild(names.event) ? intColumn(table.getChild(names.event), names.event) : null;
  let file: Int32Array;
  if (table.getChild("file")) file = intColumn(table.getChild("file"), "file");
  else if (fileIndex !== undefined) file = new Int32Array(table.numRows).fill(fileIndex);
  else throw new LoaderError("LOADER_BAD_ENTRY_LIST", `loader: the entry list has no "file" column (merged entry lists need one)`);
  const tableValues = tableVec.toArray() as ArrayLike<unknown>;
  const order: number[] = [];
  const byFile = new Map<number, number[]>();
  for (let k = 0; k < file.length; k++) {
    const f = file[k] as number;
    let list = byFile.get(f);
    if (!list) {
      list = [];
      byFile.set(f, list);
      order.push(f);
    }
    list.push(k);
  }
  return order.map((f) => {
    const ks = byFile.get(f) as number[];
    const ids: TableId[] = [];
    const codeOf = new Map<string, number>();
    const tableCode = new Int32Array(ks.length);
    const row = new Int32Array(ks.length);
    const ev = event ? new Int32Array(ks.length) : null;
    ks.forEach((k, j) => {
      const raw = tableValues[k];
      const id: TableId = typeof raw === "string" ? raw : Number(raw);
      const key = `${typeof id}:${id}`;
      let code = codeOf.get(key);
      if (code === undefined) {
        code = ids.length;
        ids.push(id);
        codeOf.set(key, code);
      }
      tableCode[j] = code;
      row[j] = idx[k] as number;
      if (ev && event) ev[j] = event[k] as number;
    });
    return { fileIndex: f, tableIds: ids, tableCode, row, event: ev };
  });
}
