// What the browser test compares between Chromium and Node: search results and every stream's read() columns.
import { type InMemoryCatalog, type Query, toPlain } from "../../src/index.js";

export async function summarizeCatalog(catalog: InMemoryCatalog, queries: readonly Query[]) {
  const searches = queries.map((q) => {
    try {
      return catalog.search(q).uids();
    } catch (e) {
      return `error ${(e as { code?: string }).code ?? String(e)}`;
    }
  });
  const reads: Record<string, Record<string, unknown>> = {};
  for (const uid of catalog.uids()) {
    const run = await catalog.run(uid);
    const streams: Record<string, unknown> = {};
    for (const name of run.streams) {
      try {
        const r = run.stream(name).read({ fill: false });
        streams[name] = toPlain({ length: r.length, time: r.time, seq_num: r.seq_num, columns: r.columns });
      } catch (e) {
        streams[name] = `error ${(e as { code?: string }).code ?? String(e)}`;
      }
    }
    reads[uid] = { stop: run.stop?.exit_status ?? null, streams };
  }
  // JSON round trip: the page's result crosses as JSON, so Node's must too (NaN → null alike).
  return JSON.parse(JSON.stringify({ uids: catalog.uids(), searches, reads })) as { uids: string[]; searches: unknown[]; reads: unknown };
}
