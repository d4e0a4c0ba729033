// Helpers shared by the FileDB/DataLoader, strax and Bluesky jobs: a folder of the input as its own
// directory source, and Arrow tables / arbitrary values reduced to what a page table shows.
import type { DirectorySource } from "@daqkit/io";
import type { Table } from "apache-arrow";

/** `path` ("" = the root) of `root` as a directory source of its own (paths relative to it). */
export function subSource(root: DirectorySource, path: string): DirectorySource {
  if (path === "") return root;
  return {
    name: `${root.name}/${path}`,
    list: (o) =>
      root
        .list({ ...o, under: o?.under ? `${path}/${o.under}` : path })
        .then((es) => es.map((e) => ({ ...e, path: e.path.slice(path.length + 1) }))),
    open: (p) => root.open(`${path}/${p}`),
  };
}

/** A cell as text: bigint exact, floats as JS prints them, arrays shortened, NaN as NaN. */
export function cellText(value: unknown, maxItems = 8): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const arr = value as unknown as ArrayLike<number | bigint>;
    return listText(
      Array.from({ length: Math.min(arr.length, maxItems) }, (_, i) => arr[i]),
      arr.length,
      maxItems,
    );
  }
  if (Array.isArray(value)) return listText(value.slice(0, maxItems), value.length, maxItems);
  const iterable = value as { [Symbol.iterator]?: unknown; toArray?: () => unknown };
  if (typeof iterable.toArray === "function") return cellText(iterable.toArray(), maxItems);
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v))?.slice(0, 200) ?? String(value);
  } catch {
    return String(value);
  }
}

function listText(items: unknown[], length: number, maxItems: number): string {
  return `[${items.map((v) => cellText(v, maxItems)).join(", ")}${length > maxItems ? `, … (${length})` : ""}]`;
}

export interface TablePreview {
  readonly columns: string[];
  readonly types: string[];
  readonly rows: string[][];
  readonly numRows: number;
  readonly offset: number;
}

/** Rows `offset … offset+limit` of an Arrow table as text cells. */
export function previewTable(table: Table, offset = 0, limit = 50): TablePreview {
  const columns = table.schema.fields.map((f) => f.name);
  const vectors = columns.map((_c, i) => table.getChildAt(i));
  const end = Math.min(table.numRows, offset + limit);
  const rows: string[][] = [];
  for (let r = offset; r < end; r++) rows.push(vectors.map((v) => cellText(v?.get(r))));
  return { columns, types: table.schema.fields.map((f) => String(f.type)), rows, numRows: table.numRows, offset };
}
