// A loaded Arrow table as plain JSON-safe values (shared by the page and the Node side of the Chromium
// test): column names, and every cell with bigints as "<n>n" and non-finite numbers as strings.
interface TableLike {
  readonly numRows: number;
  readonly schema: { readonly fields: readonly { readonly name: string }[] };
  getChild(name: string): { get(i: number): unknown } | null;
}

function plain(v: unknown): unknown {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  if (v !== null && typeof v === "object" && Symbol.iterator in v) return Array.from(v as Iterable<unknown>, plain);
  return v;
}

export function tableValues(t: TableLike): { rows: number; columns: Record<string, unknown[]> } {
  const columns: Record<string, unknown[]> = {};
  for (const { name } of t.schema.fields) {
    const child = t.getChild(name)!;
    columns[name] = Array.from({ length: t.numRows }, (_, i) => plain(child.get(i)));
  }
  return { rows: t.numRows, columns };
}
