import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { type DataKey, type DocumentPair, NdArray, composeRun } from "@daqkit/docmodel";
import { filesUid } from "@daqkit/docmodel/node";
import { isNumericTypedArray, numpyTypestrOfTypedArray } from "@daqkit/io";
import { type Lgdo, type Table, openLh5 } from "@daqkit/lh5/node";
import { CliUsageError } from "../errors.js";
import { truncatedList } from "../text.js";
import type { CliIngestor, IngestCliOptions } from "./types.js";

/*
 * One LH5 table → one run: every row is an Event of stream `primary`. Columns: Array (1-D → scalar per row,
 * N-d → [rows, …] N-d column), ArrayOfEqualSizedArrays ([rows, width]), nested Struct/Table columns flattened
 * with `_` (Event Model keys may not contain `/` or `.`). A numeric VectorOfVectors is zero-padded to the
 * table's longest vector (DataKey shape [max], found by a first pass over the table) with a `<key>_length` column
 * of the real lengths — padding, not a ragged shape [null], because databroker 1.2's read() stacks a stream's rows
 * and refuses rows of different lengths ("Stacked arrays must have the same shape"); string and nested
 * VectorOfVectors stay one variable-length value per row (DataKey shape [null]). Encoded waveforms and histograms are skipped (listed in the RunStart as
 * `skipped_columns`). Event `time` is the `timestamp` column (LEGEND: Unix seconds) when present and numeric
 * (option time=<column>), else the file's mtime.
 */

interface Flat {
  key: string;
  lgdo: Lgdo;
}

function flatten(prefix: string, columns: ReadonlyMap<string, Lgdo>, out: Flat[], skipped: string[]): void {
  for (const [name, c] of columns) {
    const key = (prefix ? `${prefix}_${name}` : name).replace(/[./]/g, "_");
    if (c.type === "Struct") flatten(key, c.fields, out, skipped);
    else if (c.type === "Table" || c.type === "WaveformTable") flatten(key, c.columns, out, skipped);
    else if (c.type === "Array" || c.type === "FixedSizeArray" || c.type === "ArrayOfEqualSizedArrays" || c.type === "VectorOfVectors") {
      out.push({ key, lgdo: c });
    } else skipped.push(prefix ? `${prefix}/${name}` : name);
  }
}

function elementDtype(data: unknown, element: { kind: string } | undefined): string {
  if (Array.isArray(data)) return "<U1";
  if (element?.kind === "bool") return "|b1";
  return isNumericTypedArray(data) ? numpyTypestrOfTypedArray(data) : "<f8";
}

/** A VectorOfVectors whose vectors are numbers: padded to a fixed width. */
function paddable(c: Lgdo): boolean {
  return c.type === "VectorOfVectors" && c.flattened.type !== "VectorOfVectors" && !Array.isArray(c.flattened.data);
}

/** Longest vector of each paddable VectorOfVectors column of a batch, merged into `widths`. */
function vectorWidths(batch: Table, widths: Map<string, number>): void {
  const cols: Flat[] = [];
  flatten("", batch.columns, cols, []);
  for (const f of cols) {
    const c = f.lgdo;
    if (c.type !== "VectorOfVectors" || !paddable(c)) continue;
    const ends = c.cumulativeLength;
    let w = widths.get(f.key) ?? 0;
    for (let i = 0; i < ends.length; i++) w = Math.max(w, Number(ends[i]) - (i === 0 ? 0 : Number(ends[i - 1])));
    widths.set(f.key, w);
  }
}

function dataKeyOf(f: Flat, file: string, table: string, width?: number): DataKey {
  const c = f.lgdo;
  const source = `lh5:${file}:${table}/${f.key}`;
  const units = typeof c.attrs?.units === "string" ? (c.attrs.units as string) : undefined;
  if (c.type === "VectorOfVectors") {
    const inner = c.flattened.type === "VectorOfVectors" ? undefined : c.flattened;
    return {
      dtype: "array",
      shape: [width ?? null],
      source,
      ...(inner ? { dtype_numpy: elementDtype(inner.data, inner.element) } : {}),
      ...(units ? { units } : {}),
    };
  }
  const arr = c as Extract<Lgdo, { data: unknown }>;
  const dtypeNumpy = elementDtype(arr.data, (arr as unknown as { element?: { kind: string } }).element);
  const shape = arr.shape.slice(1);
  const kind = dtypeNumpy.charAt(1);
  const dtype: DataKey["dtype"] =
    shape.length > 0 ? "array" : kind === "U" ? "string" : kind === "b" ? "boolean" : kind === "f" ? "number" : "integer";
  return { dtype, shape, source, ...(kind !== "U" ? { dtype_numpy: dtypeNumpy } : {}), ...(units ? { units } : {}) };
}

function columnOf(f: Flat, width?: number): unknown[] | NdArray {
  const c = f.lgdo;
  if (c.type === "VectorOfVectors" && width !== undefined && c.flattened.type !== "VectorOfVectors") {
    const ends = c.cumulativeLength;
    const inner = c.flattened.data as Float64Array;
    const n = ends.length;
    const Ctor = inner.constructor as new (n: number) => Float64Array;
    const out = new Ctor(n * width);
    for (let i = 0; i < n; i++) {
      const a = i === 0 ? 0 : Number(ends[i - 1]);
      out.set(inner.subarray(a, Number(ends[i])), i * width);
    }
    return new NdArray(elementDtype(inner, c.flattened.element), [n, width], out);
  }
  if (c.type === "VectorOfVectors") {
    const rows: unknown[] = [];
    const ends = c.cumulativeLength;
    const inner = c.flattened;
    for (let i = 0; i < ends.length; i++) {
      const a = i === 0 ? 0 : (ends[i - 1] as number);
      const b = ends[i] as number;
      if (inner.type === "VectorOfVectors") rows.push(null);
      else if (Array.isArray(inner.data)) rows.push((inner.data as string[]).slice(a, b));
      else {
        const d = inner.data as Uint8Array;
        rows.push(new NdArray(elementDtype(d, inner.element), [b - a], d.slice(a, b)));
      }
    }
    return rows;
  }
  const arr = c as Extract<Lgdo, { data: unknown }>;
  if (Array.isArray(arr.data)) return arr.data as string[];
  return new NdArray(
    elementDtype(arr.data, (arr as unknown as { element?: { kind: string } }).element),
    [...arr.shape],
    arr.data as Uint8Array,
  );
}

async function* ingestLh5(path: string, { stream, metadata, options }: IngestCliOptions): AsyncGenerator<DocumentPair> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) throw new CliUsageError(`lh5: ${path} is not a file`);
  const batchSize = options.page === undefined ? 65_536 : Number(options.page);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new CliUsageError("lh5: --option page must be a positive integer");
  const file = await openLh5(path);
  try {
    const tables = file.listTables();
    const table = options.table ?? (tables.length === 1 ? tables[0] : undefined);
    if (table === undefined) {
      throw new CliUsageError(`lh5: ${path} has ${tables.length} tables; choose one with --option table=… (${truncatedList(tables, 20)})`);
    }
    const nRows = file.countRows(table) ?? 0;
    const uid = filesUid([path], [`table:${table}`]);
    const mtime = st.mtimeMs / 1000;
    let firstBatch: Table | undefined;
    const batches = file.iterateTable(table, { batchSize });
    const next = await batches.next();
    if (!next.done) firstBatch = next.value;
    const flat: Flat[] = [];
    const skipped: string[] = [];
    if (firstBatch) flatten("", firstBatch.columns, flat, skipped);
    const timeColumn = options.time ?? "timestamp";
    const timeFlat = flat.find((f) => f.key === timeColumn && f.lgdo.type !== "VectorOfVectors");
    const timeOf = (batch: Table): Float64Array => {
      const n = batch.nRows;
      const c = timeFlat ? batch.columns.get(timeColumn) : undefined;
      const data =
        c && "data" in c && !Array.isArray(c.data) && c.type !== "ArrayOfEqualSizedArrays"
          ? (c.data as ArrayLike<number | bigint>)
          : undefined;
      return data ? Float64Array.from({ length: n }, (_, i) => Number(data[i])) : new Float64Array(n).fill(mtime);
    };
    const startTime = firstBatch && firstBatch.nRows > 0 ? (timeOf(firstBatch)[0] as number) : mtime;
    const run = composeRun({
      uid,
      time: Number.isFinite(startTime) ? startTime : mtime,
      metadata: {
        plan_name: "lh5_table",
        source: resolve(path),
        table: table.replace(/[./]/g, "_"),
        num_rows: nRows,
        ...(skipped.length ? { skipped_columns: skipped } : {}),
        ...(metadata ?? {}),
      },
    });
    yield ["start", run.startDoc];
    // First pass (only when the table has numeric VectorOfVectors): the longest vector of each.
    const widths = new Map<string, number>();
    if (flat.some((f) => paddable(f.lgdo))) {
      for await (const batch of file.iterateTable(table, { batchSize })) vectorWidths(batch, widths);
    }
    const dataKeys: Record<string, DataKey> = {};
    const lengthKeys = new Map<string, string>();
    for (const f of flat) {
      dataKeys[f.key] = dataKeyOf(f, resolve(path), table, widths.get(f.key));
      const lk = `${f.key}_length`;
      if (widths.has(f.key) && !flat.some((g) => g.key === lk)) lengthKeys.set(f.key, lk);
    }
    for (const [k, lk] of lengthKeys) {
      dataKeys[lk] = { dtype: "integer", shape: [], source: `lh5:${resolve(path)}:${table}/${k} (vector lengths; ${k} is zero-padded)` };
    }
    const d = run.composeDescriptor({ name: stream ?? "primary", data_keys: dataKeys, time: run.startDoc.time });
    yield ["descriptor", d.descriptorDoc];
    let seq = 0;
    let last = run.startDoc.time;
    for (let batch = firstBatch; batch; ) {
      const n = batch.nRows;
      if (n > 0) {
        const cols: Flat[] = [];
        flatten("", batch.columns, cols, []);
        const time = timeOf(batch);
        const data: Record<string, unknown[] | NdArray> = {};
        const timestamps: Record<string, Float64Array> = {};
        for (const f of cols) {
          if (!(f.key in dataKeys)) continue;
          data[f.key] = columnOf(f, widths.get(f.key));
          timestamps[f.key] = time;
          const lk = lengthKeys.get(f.key);
          if (lk !== undefined && f.lgdo.type === "VectorOfVectors") {
            const ends = f.lgdo.cumulativeLength;
            data[lk] = Array.from({ length: ends.length }, (_, i) => Number(ends[i]) - (i === 0 ? 0 : Number(ends[i - 1])));
            timestamps[lk] = time;
          }
        }
        const seqNum = Array.from({ length: n }, (_, i) => seq + i + 1);
        yield ["event_page", d.composeEventPage({ data, timestamps, time, seq_num: seqNum, uid: seqNum.map((s) => `${uid}/${s}`) })];
        seq += n;
        for (const t of time) if (Number.isFinite(t) && t > last) last = t;
      }
      const r = await batches.next();
      batch = r.done ? undefined : r.value;
    }
    yield ["stop", run.composeStop({ time: last })];
  } finally {
    file.close();
  }
}

/** `daqkit docs ingest lh5 FILE.lh5 --option table=PATH`: one LH5 table's rows as the events of one run. */
export const lh5Ingestor: CliIngestor = {
  kind: "lh5",
  description: "one LH5 table: each row is an event (nested columns flattened with _)",
  optionHelp: "table=PATH (required when the file has several tables), time=COLUMN (default timestamp), page=N rows per page",
  ingest: (path, options) => ingestLh5(path, options),
};
