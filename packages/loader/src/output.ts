import { type Data, Field, FixedSizeList, Int32, List, makeData, Struct, type Table } from "apache-arrow";
import { type ColumnCollector, gatherCollected } from "./column-collector.js";
import type { EntryChunk } from "./entry-list.js";
import { concatChunks, type EntryColumnNames, makeArrowTable } from "./entry-table.js";

/** `"arrow"`: nested LGDO tables stay Struct columns; `"flat"`: they become `parent_child` columns (pygama's DataFrame view). */
export type OutputFormat = "arrow" | "flat";

interface NamedData {
  name: string;
  data: Data;
  metadata?: Map<string, string>;
}

function int32Data(values: Int32Array): Data {
  return makeData({ type: new Int32(), length: values.length, data: values, nullCount: 0 });
}

function flatten(cols: NamedData[]): NamedData[] {
  const out: NamedData[] = [];
  for (const c of cols) {
    if (c.data.type instanceof Struct) {
      const children = c.data.type.children;
      const sub = children.map((f, i) => ({ name: `${c.name}_${f.name}`, data: c.data.children[i] as Data }));
      out.push(...flatten(sub));
    } else out.push(c);
  }
  return out;
}

/**
 * pygama's `aoesa_to_vov`: every FixedSizeList (AoESA) inside `data` (also in Struct children and
 * list items) becomes a List (VoV) with the same values and nulls.
 */
export function aoesaToVov(data: Data): Data {
  const type = data.type;
  if (type instanceof FixedSizeList) {
    const w = type.listSize;
    const child = aoesaToVov(data.children[0] as Data);
    const offsets = new Int32Array(data.offset + data.length + 1);
    for (let i = 0; i < offsets.length; i++) offsets[i] = i * w;
    return makeData({
      type: new List(new Field("item", child.type, true)),
      offset: data.offset,
      length: data.length,
      valueOffsets: offsets,
      child,
      nullBitmap: data.nullBitmap,
      nullCount: data.nullCount,
    });
  }
  if (type instanceof Struct) {
    const children = data.children.map((c) => aoesaToVov(c as Data));
    if (children.every((c, i) => c === data.children[i])) return data;
    const fields = type.children.map((f, i) => new Field(f.name, (children[i] as Data).type, f.nullable, f.metadata));
    return makeData({
      type: new Struct(fields),
      offset: data.offset,
      length: data.length,
      children,
      nullBitmap: data.nullBitmap,
      nullCount: data.nullCount,
    });
  }
  if (type instanceof List) {
    const child = aoesaToVov(data.children[0] as Data);
    if (child === data.children[0]) return data;
    return makeData({
      type: new List(new Field(type.children[0]?.name ?? "item", child.type, true)),
      offset: data.offset,
      length: data.length,
      valueOffsets: data.valueOffsets as Int32Array,
      child,
      nullBitmap: data.nullBitmap,
      nullCount: data.nullCount,
    });
  }
  return data;
}

function listOf(data: Data, offsets: Int32Array): Data {
  return makeData({
    type: new List(new Field("item", data.type, true)),
    length: offsets.length - 1,
    valueOffsets: offsets,
    child: data,
    nullCount: 0,
  });
}

/**
 * Build the output table of a load from the entry chunks (already in output order) and the collected
 * columns. Hit orientation: one row per entry. Event orientation (chunks sorted by event): one row per
 * (cycle, event); parent-level columns become lists of the event's hits, child-level columns scalars.
 */
export function assembleOutput(
  chunks: readonly EntryChunk[],
  collector: ColumnCollector,
  names: EntryColumnNames,
  withFile: boolean,
  orientation: "hit" | "evt",
  format: OutputFormat,
  options: { readonly omitUnfound?: boolean; readonly known?: boolean; readonly aoesaToVov?: boolean } = {},
): Table {
  const all = concatChunks(chunks);
  const collected = collector.finish(options);
  const n = all.row.length;
  let cols: NamedData[];
  let length: number;
  if (orientation === "hit") {
    cols = [
      { name: names.table, data: all.tableData() },
      { name: names.idx, data: int32Data(all.row) },
    ];
    if (names.event && all.event) cols.push({ name: names.event, data: int32Data(all.event) });
    if (withFile) cols.push({ name: "file", data: int32Data(all.file) });
    for (const [name, col] of collected) {
      const g = gatherCollected(name, col);
      cols.push({ name, data: g.data, metadata: g.metadata });
    }
    length = n;
  } else {
    const event = all.event as Int32Array;
    // Event boundaries: a new event starts when the (file, event) pair changes.
    const starts: number[] = [];
    for (let k = 0; k < n; k++) if (k === 0 || event[k] !== event[k - 1] || all.file[k] !== all.file[k - 1]) starts.push(k);
    const offsets = new Int32Array(starts.length + 1);
    starts.forEach((s, i) => {
      offsets[i] = s;
    });
    offsets[starts.length] = n;
    const first = Int32Array.from(starts);
    const pick = (src: Int32Array) => {
      const out = new Int32Array(first.length);
      for (let i = 0; i < first.length; i++) out[i] = src[first[i] as number] as number;
      return out;
    };
    cols = [
      { name: names.event as string, data: int32Data(pick(event)) },
      ...(withFile ? [{ name: "file", data: int32Data(pick(all.file)) }] : []),
      { name: names.table, data: listOf(all.tableData(), offsets) },
      { name: names.idx, data: listOf(int32Data(all.row), offsets) },
    ];
    for (const [name, col] of collected) {
      if (col.fromChild) {
        const g = gatherCollected(name, col, first);
        cols.push({ name, data: g.data, metadata: g.metadata });
      } else {
        const g = gatherCollected(name, col);
        cols.push({ name, data: listOf(g.data, offsets), metadata: g.metadata });
      }
    }
    length = starts.length;
  }
  if (options.aoesaToVov) cols = cols.map((c) => ({ ...c, data: aoesaToVov(c.data) }));
  return makeArrowTable(format === "flat" ? flatten(cols) : cols, length);
}
