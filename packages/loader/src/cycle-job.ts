import { ColumnCollector, compactExported, type ExportedColumns } from "./column-collector.js";
import { parseLevelCut } from "./cuts.js";
import type { CycleSource, TableId } from "./cycle-source.js";
import { buildHitEntries, buildTcmEntries, childTablesOf, type EntryChunk, type EntryPlan, type TableReadCache } from "./entry-list.js";
import type { TcmMode } from "./entry-selection.js";
import type { FileCatalog } from "./lh5-cycle.js";
import type { LevelConfig } from "./loader-config.js";

/** Everything needed to build and load one cycle, as plain (structured-clone friendly) data. */
export interface CycleJob {
  readonly parent: LevelConfig;
  readonly tcm?: { readonly level: LevelConfig; readonly child: LevelConfig; readonly table?: TableId; readonly mode: TcmMode };
  readonly parentTables: readonly TableId[] | null;
  readonly childTables: readonly TableId[] | null;
  readonly parentCut: string | null;
  readonly childCut: string | null;
  /** Columns to load (empty: entry list only). */
  readonly columns: readonly string[];
  readonly orientation: "hit" | "evt";
  readonly tiers: readonly string[];
}

/** Result of {@link runCycleJob}. */
export interface CycleResult {
  readonly chunk: EntryChunk;
  readonly exported: ExportedColumns;
  readonly warnings: string[];
}

/** Entries of one cycle reordered by event (stable), so each event's hits are consecutive. */
export function sortByEvent(chunk: EntryChunk): EntryChunk {
  const ev = chunk.event;
  if (!ev) return chunk;
  let sorted = true;
  for (let k = 1; k < ev.length && sorted; k++) sorted = (ev[k - 1] as number) <= (ev[k] as number);
  if (sorted) return chunk;
  const order = Array.from({ length: ev.length }, (_, k) => k).sort((a, b) => (ev[a] as number) - (ev[b] as number) || a - b);
  const take = (values: Int32Array) => {
    const out = new Int32Array(order.length);
    for (let i = 0; i < order.length; i++) out[i] = values[order[i] as number] as number;
    return out;
  };
  return { fileIndex: chunk.fileIndex, tableIds: chunk.tableIds, tableCode: take(chunk.tableCode), row: take(chunk.row), event: take(ev) };
}

/** Entries `[start, stop)` of a cycle's chunk (views, no copy). */
export function sliceChunk(chunk: EntryChunk, start: number, stop: number): EntryChunk {
  return {
    fileIndex: chunk.fileIndex,
    tableIds: chunk.tableIds,
    tableCode: chunk.tableCode.subarray(start, stop),
    row: chunk.row.subarray(start, stop),
    event: chunk.event ? chunk.event.subarray(start, stop) : null,
  };
}

/**
 * Build the entries of one open cycle (or take `given`); the cut reads also keep the job's output
 * columns of the same rows in `cache`, for {@link collectCycleColumns}.
 */
export function buildCycleEntries(
  src: CycleSource,
  job: CycleJob,
  given?: EntryChunk,
): { chunk: EntryChunk; cache: TableReadCache; warnings: string[] } {
  const warnings: string[] = [];
  const cache: TableReadCache = new Map();
  let chunk = given;
  if (!chunk) {
    const plan: EntryPlan = {
      parent: job.parent,
      ...(job.tcm ? { tcm: job.tcm } : {}),
      parentTables: job.parentTables,
      childTables: job.childTables,
      parentCut: job.parentCut ? parseLevelCut(job.parent.name, job.parentCut) : null,
      childCut: job.childCut && job.tcm ? parseLevelCut(job.tcm.child.name, job.childCut) : null,
      warn: (m) => warnings.push(m),
      ...(job.columns.length > 0 ? { prefetch: { columns: job.columns, cache } } : {}),
    };
    chunk = job.tcm ? buildTcmEntries(src, plan) : buildHitEntries(src, plan);
  }
  return { chunk, cache, warnings };
}

/** Collect the job's output columns for `chunk` (entries of the open cycle `src`). */
export function collectCycleColumns(src: CycleSource, job: CycleJob, chunk: EntryChunk, cache?: TableReadCache): ExportedColumns {
  const collector = new ColumnCollector(job.columns, { compact: true });
  if (job.columns.length > 0) {
    collector.addCycle(
      src,
      job.parent,
      chunk,
      job.tcm ? { level: job.tcm.child, tables: childTablesOf(src, job.tcm.child, job.childTables) } : undefined,
      cache,
    );
  }
  return compactExported(collector.export());
}

/** Build the entries of one open cycle and collect its output columns (one read per table where possible). */
export function runCycleJob(src: CycleSource, job: CycleJob, given?: EntryChunk): CycleResult {
  const built = buildCycleEntries(src, job, given);
  const chunk = job.orientation === "evt" ? sortByEvent(built.chunk) : built.chunk;
  return { chunk, exported: collectCycleColumns(src, job, chunk, built.cache), warnings: built.warnings };
}

/** What a worker needs to know about one cycle's files (a snapshot of the FileDB for that row). */
export interface CycleSnapshot {
  readonly fileIndex: number;
  readonly tiers: readonly string[];
  readonly paths: Readonly<Record<string, string>>;
  readonly tables: Readonly<Record<string, readonly TableId[] | null>>;
  readonly names: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly columns: Readonly<Record<string, Readonly<Record<string, readonly string[] | null>>>>;
}

/** Snapshot the catalog entries of one cycle for the given tiers. */
export async function snapshotCycle(catalog: FileCatalog, fileIndex: number, tiers: readonly string[]): Promise<CycleSnapshot> {
  const known = tiers.filter((t) => catalog.tiers.includes(t));
  const paths: Record<string, string> = {};
  const tables: Record<string, readonly TableId[] | null> = {};
  const names: Record<string, Record<string, string>> = {};
  const columns: Record<string, Record<string, readonly string[] | null>> = {};
  for (const tier of known) {
    paths[tier] = catalog.tierPath(fileIndex, tier);
    const ids = await catalog.tierTables(fileIndex, tier);
    tables[tier] = ids;
    names[tier] = {};
    columns[tier] = {};
    for (const id of ids ?? []) {
      (names[tier] as Record<string, string>)[String(id)] = catalog.tableName(tier, id);
      (columns[tier] as Record<string, readonly string[] | null>)[String(id)] = await catalog.tableColumns(fileIndex, tier, id);
    }
  }
  return { fileIndex, tiers: known, paths, tables, names, columns };
}

/** A {@link FileCatalog} answering for the one cycle of a snapshot. */
export function catalogFromSnapshot(s: CycleSnapshot): FileCatalog {
  return {
    size: s.fileIndex + 1,
    tiers: s.tiers,
    tierPath: (_f, tier) => s.paths[tier] as string,
    tierTables: async (_f, tier) => s.tables[tier] ?? null,
    tableColumns: async (_f, tier, table) => s.columns[tier]?.[String(table)] ?? null,
    tableName: (tier, table) => s.names[tier]?.[String(table)] ?? String(table),
    tableField: () => undefined,
    select: () => [s.fileIndex],
    columnValues: () => [],
  };
}
