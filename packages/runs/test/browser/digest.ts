// What a strax read gives, reduced to JSON: shared by the Chromium page and the Node side of
// runs.browser.test.ts, so both compute it with the same code from their own reads.
import { type DataDirectory, iterateChunks, type LoadOptions, loadTable } from "../../src/index.js";

/** FNV-1a over bytes, as 8 hex digits. */
export function fnv(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i] as number;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

export interface ReadDigest {
  readonly chunks: { runId: string; start: string; end: string; n: number; data: string; subruns: [string, string, string][] | null }[];
  readonly rows: number;
  readonly schema: string;
  /** Per column: the Arrow vector's values joined (small test data), hashed. */
  readonly columns: Record<string, string>;
}

/** Read (run, type) through `iterateChunks` and `loadTable` and digest both. */
export async function digestRead(dir: DataDirectory, runId: string, dataType: string, options: LoadOptions = {}): Promise<ReadDigest> {
  const chunks: ReadDigest["chunks"][number][] = [];
  for await (const c of iterateChunks(dir, runId, dataType, options)) {
    chunks.push({
      runId: c.runId,
      start: String(c.start),
      end: String(c.end),
      n: c.n,
      data: fnv(c.data),
      subruns: c.subruns ? [...c.subruns].map(([id, r]) => [id, String(r.start), String(r.end)]) : null,
    });
  }
  const table = await loadTable(dir, runId, dataType, options);
  const columns: Record<string, string> = {};
  const encoder = new TextEncoder();
  for (const field of table.schema.fields) {
    const values = table.getChild(field.name)?.toArray() as ArrayLike<unknown>;
    columns[field.name] = fnv(encoder.encode(Array.from(values, (v) => String(v)).join(",")));
  }
  return { chunks, rows: table.numRows, schema: table.schema.fields.map((f) => `${f.name}:${String(f.type)}`).join(";"), columns };
}
