import { type Expression, type ExpressionColumn, evaluateExpression } from "@daqkit/filedb";
import type { CycleSource, TableId } from "./cycle-source.js";
import { selectTcmHits, type TcmMode } from "./entry-selection.js";
import { LoaderError } from "./errors.js";
import type { Piece } from "./gather.js";
import type { LevelConfig } from "./loader-config.js";
import { hitsByTable, normalizeTcm, type Tcm, tableCodes } from "./tcm.js";

/** A parsed cut of one level. */
export interface LevelCut {
  readonly level: string;
  /** The expression text as given (several cuts of one level joined with `and`). */
  readonly text: string;
  readonly expression: Expression;
  /** Column names the expression reads (from the parse tree). */
  readonly columns: readonly string[];
}

/** What to build for one cycle. */
export interface EntryPlan {
  /** The level whose rows are the entries: the low level (no TCM) or the TCM's parent level. */
  readonly parent: LevelConfig;
  /** Set for a TCM entry list. */
  readonly tcm?: {
    readonly level: LevelConfig;
    readonly child: LevelConfig;
    /** Which TCM table to use when the TCM tier holds several. */
    readonly table?: TableId;
    readonly mode: TcmMode;
  };
  /** Datastream selection of the parent level (`null` = every table of the file). */
  readonly parentTables: readonly TableId[] | null;
  /** Datastream selection of the child level (`null` = every table). */
  readonly childTables: readonly TableId[] | null;
  readonly parentCut: LevelCut | null;
  readonly childCut: LevelCut | null;
  /** Called with a human-readable message for recoverable oddities (a table lacking cut columns…). */
  readonly warn: (message: string) => void;
  /** Output columns to read along with the parent cut columns, kept in `cache` for the load. */
  readonly prefetch?: { readonly columns: readonly string[]; readonly cache: TableReadCache };
}

/**
 * The entries of one cycle, as typed arrays: entry k is row `row[k]` of table
 * `tableIds[tableCode[k]]` (and, with a TCM, belongs to event `event[k]`).
 */
export interface EntryChunk {
  readonly fileIndex: number;
  /** Distinct table ids, indexed by `tableCode`. */
  readonly tableIds: readonly TableId[];
  readonly tableCode: Int32Array;
  /** `{parent}_idx`: row in the parent level's tables. */
  readonly row: Int32Array;
  /** `{child}_idx`: event index (TCM entry lists only). */
  readonly event: Int32Array | null;
}

/**
 * The tier of `level` that holds `column` for `table`: the **last** tier listing it (so `timestamp`,
 * present in raw, dsp and hit, comes from hit — what pygama's loader effectively returns), or
 * undefined when no tier of the level has it.
 */
export function tierForColumn(src: CycleSource, level: LevelConfig, table: TableId, column: string): string | undefined {
  for (let t = level.tiers.length - 1; t >= 0; t--) {
    const tier = level.tiers[t] as string;
    if (src.columns(tier, table)?.includes(column)) return tier;
  }
  return undefined;
}

/**
 * Row-range reads kept for the load that follows an entry-list build in the same pass (key
 * `tier \0 table`): the cut read also fetches the output columns of the same tier, so a table is
 * read once (one hyperslab call and one attribute parse per column instead of two).
 */
export type TableReadCache = Map<string, { readonly start: number; readonly stop: number; readonly pieces: ReadonlyMap<string, Piece> }>;

export function cacheKey(tier: string, table: TableId): string {
  return `${tier}\u0000${table}`;
}

/**
 * Read `columns` of one table of `level` (joining the level's tiers) at `rows` (all rows when
 * undefined). Returns null when some column is in no tier of the level for this table.
 * `prefetch` columns whose tier is one being read are read along and stored in `cache` (range reads only).
 */
export function readLevelColumns(
  src: CycleSource,
  level: LevelConfig,
  table: TableId,
  columns: readonly string[],
  rows?: ArrayLike<number> | { start: number; stop: number },
  prefetch?: { readonly columns: readonly string[]; readonly cache: TableReadCache },
): Map<string, Piece> | null {
  const byTier = new Map<string, string[]>();
  for (const c of columns) {
    const tier = tierForColumn(src, level, table, c);
    if (tier === undefined) return null;
    const list = byTier.get(tier) ?? [];
    if (!list.includes(c)) list.push(c);
    byTier.set(tier, list);
  }
  const isRange = rows === undefined || !("length" in rows);
  const out = new Map<string, Piece>();
  for (const [tier, cols] of byTier) {
    const all = [...cols];
    if (prefetch && isRange) {
      for (const c of prefetch.columns) if (!all.includes(c) && tierForColumn(src, level, table, c) === tier) all.push(c);
    }
    const read = src.read(tier, table, all, rows);
    for (const c of cols) {
      const v = read.get(c);
      if (v) out.set(c, v);
    }
    if (prefetch && isRange) {
      const first = read.values().next().value as Piece | undefined;
      const n = first ? pieceRows(first) : 0;
      const start = rows === undefined ? 0 : (rows as { start: number }).start;
      prefetch.cache.set(cacheKey(tier, table), { start, stop: start + n, pieces: read });
    }
  }
  return out;
}

/** Row count of a piece. */
export function pieceRows(p: Piece): number {
  if (p.type === "VectorOfVectors") return p.cumulativeLength.length;
  if ("nRows" in p) return p.nRows;
  return p.shape[0] ?? 0;
}

/**
 * How to read a list of rows efficiently. Every separate row range costs a hyperslab call in
 * h5wasm (tens of µs), so a scattered selection (more than a few ranges) within a span not much
 * larger than the selection is read as the whole span `[min, max]` and indexed in memory.
 * `position[j]` is where row `rows[j]` sits in the read result (`null` = at `j`).
 */
export function planRowRead(rows: ArrayLike<number>): {
  selection: ArrayLike<number> | { start: number; stop: number };
  length: number;
  position: Int32Array | null;
} {
  const n = rows.length;
  if (n === 0) return { selection: { start: 0, stop: 0 }, length: 0, position: null };
  let min = rows[0] as number;
  let max = min;
  let ranges = 1;
  for (let j = 1; j < n; j++) {
    const r = rows[j] as number;
    if (r !== (rows[j - 1] as number) + 1) ranges++;
    if (r < min) min = r;
    if (r > max) max = r;
  }
  if (ranges === 1) return { selection: { start: min, stop: max + 1 }, length: n, position: null };
  const span = max - min + 1;
  if (ranges <= 4 || span > 8 * n + 65536) return { selection: rows, length: n, position: null };
  const position = new Int32Array(n);
  for (let j = 0; j < n; j++) position[j] = (rows[j] as number) - min;
  return { selection: { start: min, stop: max + 1 }, length: span, position };
}

/** Evaluate a cut over pieces read for `n` rows. @throws LoaderError `LOADER_BAD_CUT` for array-valued columns. */
export function evaluateCut(cut: LevelCut, pieces: ReadonlyMap<string, Piece>, n: number, where: string): Uint8Array {
  const getColumn = (name: string): ExpressionColumn | undefined => {
    const p = pieces.get(name);
    if (p === undefined) return undefined;
    if ((p.type === "Array" || p.type === "FixedSizeArray") && p.shape.length <= 1) return p.data as ExpressionColumn;
    throw new LoaderError(
      "LOADER_BAD_CUT",
      `loader: cut "${cut.text}" on level "${cut.level}": column "${name}" of ${where} is a ${p.type}; cuts need one value per row`,
      { level: cut.level },
    );
  };
  try {
    return evaluateExpression(cut.expression, getColumn, n);
  } catch (cause) {
    if (LoaderError.isInstance(cause)) throw cause;
    throw new LoaderError(
      "LOADER_BAD_CUT",
      `loader: cut "${cut.text}" on level "${cut.level}" failed on ${where}: ${(cause as Error).message}`,
      {
        level: cut.level,
        cause,
      },
    );
  }
}

function parentTablesOf(src: CycleSource, plan: EntryPlan): TableId[] {
  const firstTier = plan.parent.tiers[0] as string;
  // Every tier of the entries' level must exist: a missing dsp file would otherwise turn its columns into nulls.
  for (const tier of plan.parent.tiers) {
    if (src.tables(tier) === null) {
      throw new LoaderError(
        "LOADER_FILE_MISSING",
        `loader: cycle ${src.fileIndex}: the ${tier} tier file ${src.describe(tier)} does not exist`,
        {
          fileIndex: src.fileIndex,
          level: plan.parent.name,
          path: src.describe(tier),
        },
      );
    }
  }
  const inFile = src.tables(firstTier) as readonly TableId[];
  if (plan.parentTables === null) return [...inFile];
  // Datastreams replace FileDB's list; a selected table absent from this file is simply not there.
  const present = new Set(inFile.map(String));
  return plan.parentTables.filter((t) => present.has(String(t)));
}

let passingScratch = new Int32Array(0);

/**
 * Append the indices of the set entries of `mask[0, n)` to the cycle's passing rows in the scratch
 * buffer reused across tables and cycles, from `at`; returns the new end. The cycle's rows are copied
 * out once, at their exact size (no table-sized fresh allocation per table: fresh pages cost on these
 * VMs).
 */
function appendPassingRows(mask: Uint8Array, n: number, at: number): number {
  if (passingScratch.length < at + n) {
    const grown = new Int32Array(Math.max(at + n, 2 * passingScratch.length));
    grown.set(passingScratch.subarray(0, at));
    passingScratch = grown;
  }
  const out = passingScratch;
  let m = at;
  for (let i = 0; i < n; i++) if (mask[i] !== 0) out[m++] = i;
  return m;
}

/** Build the entries of one cycle without a TCM (pygama's build_hit_entries, spec §2.8 A). */
export function buildHitEntries(src: CycleSource, plan: EntryPlan): EntryChunk {
  const tables = parentTablesOf(src, plan);
  const firstTier = plan.parent.tiers[0] as string;
  // Entries table by table: table t's rows are scratch[ends[t-1], ends[t]) while the cycle is built.
  const ends = new Int32Array(tables.length);
  let total = 0;
  tables.forEach((table, code) => {
    if (!plan.parentCut) {
      const n = src.rowCount(firstTier, table);
      if (passingScratch.length < total + n) {
        const grown = new Int32Array(Math.max(total + n, 2 * passingScratch.length));
        grown.set(passingScratch.subarray(0, total));
        passingScratch = grown;
      }
      for (let i = 0; i < n; i++) passingScratch[total + i] = i;
      total += n;
    } else {
      const pieces = readLevelColumns(src, plan.parent, table, plan.parentCut.columns, undefined, plan.prefetch);
      const first = pieces?.values().next().value;
      const n = first ? pieceRows(first) : 0;
      if (pieces === null) {
        plan.warn(
          `cycle ${src.fileIndex}: table ${table} of level "${plan.parent.name}" lacks cut columns (${plan.parentCut.columns.join(", ")}): no rows pass`,
        );
      } else {
        total = appendPassingRows(evaluateCut(plan.parentCut, pieces, n, `table ${table}`), n, total);
      }
    }
    ends[code] = total;
  });
  const tableCode = new Int32Array(total);
  const row = passingScratch.slice(0, total);
  let k = 0;
  for (let t = 0; t < tables.length; t++) {
    tableCode.fill(t, k, ends[t] as number);
    k = ends[t] as number;
  }
  return { fileIndex: src.fileIndex, tableIds: tables, tableCode, row, event: null };
}

/** Read and normalise the cycle's TCM. */
export function readCycleTcm(src: CycleSource, plan: EntryPlan): Tcm {
  const tcm = plan.tcm;
  if (!tcm) throw new TypeError("readCycleTcm: not a TCM plan");
  const tier = tcm.level.tiers[0] as string;
  const tables = src.tables(tier);
  if (tables === null) {
    throw new LoaderError("LOADER_FILE_MISSING", `loader: cycle ${src.fileIndex}: the TCM file ${src.describe(tier)} does not exist`, {
      fileIndex: src.fileIndex,
      level: tcm.level.name,
      path: src.describe(tier),
    });
  }
  let table: TableId;
  if (tcm.table !== undefined) {
    if (!tables.some((t) => String(t) === String(tcm.table))) {
      throw new LoaderError(
        "LOADER_TABLE_MISSING",
        `loader: cycle ${src.fileIndex}: TCM table ${tcm.table} is not in ${src.describe(tier)} (has ${tables.join(", ")})`,
        {
          fileIndex: src.fileIndex,
          table: tcm.table,
          path: src.describe(tier),
        },
      );
    }
    table = tcm.table;
  } else if (tables.length === 1) {
    table = tables[0] as TableId;
  } else {
    throw new LoaderError(
      "LOADER_BAD_ARGUMENT",
      `loader: cycle ${src.fileIndex}: the TCM tier has ${tables.length} tables (${tables.join(", ")}); choose one with tcmTable`,
      { fileIndex: src.fileIndex, path: src.describe(tier) },
    );
  }
  try {
    return normalizeTcm(src.readTcm(tier, table), tcm.level.tcmColumns);
  } catch (cause) {
    if (LoaderError.isInstance(cause) && cause.code === "LOADER_BAD_TCM") {
      throw new LoaderError("LOADER_BAD_TCM", `${cause.message} (in ${src.describe(tier)})`, {
        path: src.describe(tier),
        fileIndex: src.fileIndex,
        cause,
      });
    }
    throw cause;
  }
}

/** The child (event) tables of a cycle that a child cut or child column applies to. */
export function childTablesOf(src: CycleSource, child: LevelConfig, selection: readonly TableId[] | null): TableId[] | null {
  const tier = child.tiers[0] as string;
  const inFile = src.tables(tier);
  if (inFile === null) return null;
  if (selection === null) return [...inFile];
  const present = new Set(inFile.map(String));
  return selection.filter((t) => present.has(String(t)));
}

/**
 * Build the entries of one cycle through its TCM (spec §2.8 B, with the corrected semantics):
 * parent cuts are evaluated on the rows the TCM names and matched to TCM rows by their actual row
 * index (B1); child cuts are evaluated once per event on the child table (B2); cuts of both levels
 * are AND-ed in both modes (B3); datastream selection only restricts parent tables (B8); a table
 * lacking the cut columns fails the cut in every mode (B7).
 *
 * @throws LoaderError `LOADER_FILE_MISSING`, `LOADER_TCM_OUT_OF_RANGE`, `LOADER_BAD_TCM`, `LOADER_BAD_CUT`.
 */
export function buildTcmEntries(src: CycleSource, plan: EntryPlan): EntryChunk {
  const tcmPlan = plan.tcm;
  if (!tcmPlan) throw new TypeError("buildTcmEntries: not a TCM plan");
  const tcm = readCycleTcm(src, plan);
  const firstTier = plan.parent.tiers[0] as string;
  const tables = parentTablesOf(src, plan);
  const codes = tableCodes(tcm);
  const byTable = hitsByTable(tcm, codes);
  const selected = new Uint8Array(tcm.hitCount);
  const hitPass = plan.parentCut ? new Uint8Array(tcm.hitCount) : null;
  const tableIds: TableId[] = [];
  const codeOf = new Map<number, number>();
  const inFile = new Set((src.tables(firstTier) ?? []).map(String));
  let unknownHits = 0;
  for (const [id, hits] of byTable) if (!inFile.has(String(id))) unknownHits += hits.length;
  if (unknownHits > 0) {
    plan.warn(`cycle ${src.fileIndex}: ${unknownHits} TCM rows name tables that are not in the ${firstTier} file; they are not selected`);
  }
  for (const table of tables) {
    const hits = byTable.get(Number(table));
    if (!hits || hits.length === 0) continue;
    codeOf.set(Number(table), tableIds.length);
    tableIds.push(table);
    const rows = new Int32Array(hits.length);
    let maxRow = -1;
    let maxHit = -1;
    for (let j = 0; j < hits.length; j++) {
      const h = hits[j] as number;
      const r = tcm.row[h] as number;
      if (r > maxRow) {
        maxRow = r;
        maxHit = h;
      }
      rows[j] = r;
      selected[h] = 1;
    }
    const outOfRange = (n: number) =>
      new LoaderError(
        "LOADER_TCM_OUT_OF_RANGE",
        `loader: cycle ${src.fileIndex}: TCM row ${maxHit} points to row ${maxRow} of table ${table}, which has ${n} rows (${src.describe(firstTier)})`,
        { fileIndex: src.fileIndex, table, row: maxHit, path: src.describe(firstTier) },
      );
    // With a cut, the read below tells the row count; without one, ask for it.
    if (!plan.parentCut) {
      const n = src.rowCount(firstTier, table);
      if (maxRow >= n) throw outOfRange(n);
    }
    if (hitPass && plan.parentCut) {
      // Read the rows the TCM names (or their span); TCM row hits[j] gets the cut value of table
      // row rows[j] — matched by row index, not by position in the read-back data (fixes B1).
      const read = planRowRead(rows);
      let pieces: Map<string, Piece> | null;
      try {
        pieces = readLevelColumns(src, plan.parent, table, plan.parentCut.columns, read.selection, plan.prefetch);
      } catch (cause) {
        if ((cause as { cause?: { code?: string } }).cause?.code === "LH5_BAD_ROWS") throw outOfRange(src.rowCount(firstTier, table));
        throw cause;
      }
      if (pieces === null) {
        plan.warn(
          `cycle ${src.fileIndex}: table ${table} of level "${plan.parent.name}" lacks cut columns (${plan.parentCut.columns.join(", ")}): no hits pass`,
        );
        if (maxRow >= src.rowCount(firstTier, table)) throw outOfRange(src.rowCount(firstTier, table));
        continue;
      }
      const got = pieces.values().next().value;
      if (got && pieceRows(got) < read.length) throw outOfRange(src.rowCount(firstTier, table));
      const mask = evaluateCut(plan.parentCut, pieces, read.length, `table ${table}`);
      const pos = read.position;
      for (let j = 0; j < hits.length; j++) hitPass[hits[j] as number] = mask[pos ? (pos[j] as number) : j] as number;
    }
  }
  let eventPass: Uint8Array | null = null;
  if (plan.childCut) eventPass = evaluateChildCut(src, tcmPlan.child, plan.childTables, plan.childCut, tcm.eventCount, plan.warn);
  // Per hit: entry-list table code, via the TCM's own table index (no Map lookup per hit).
  const { ids: tcmIds, code: tcmCode } = codes;
  const codeOfTcm = Int32Array.from(tcmIds, (id) => codeOf.get(id) ?? -1);
  const kept = selectTcmHits({ tcm, hitSelected: selected, hitPass, eventPass, mode: tcmPlan.mode });
  const tableCode = new Int32Array(kept.length);
  const row = new Int32Array(kept.length);
  const event = new Int32Array(kept.length);
  for (let k = 0; k < kept.length; k++) {
    const h = kept[k] as number;
    tableCode[k] = codeOfTcm[tcmCode[h] as number] as number;
    row[k] = tcm.row[h] as number;
    event[k] = tcm.event[h] as number;
  }
  return { fileIndex: src.fileIndex, tableIds, tableCode, row, event };
}

/** Child cut once per event (row e of each child table = event e), AND-ed over the child tables. */
function evaluateChildCut(
  src: CycleSource,
  child: LevelConfig,
  selection: readonly TableId[] | null,
  cut: LevelCut,
  eventCount: number,
  warn: (m: string) => void,
): Uint8Array {
  const tier = child.tiers[0] as string;
  const tables = childTablesOf(src, child, selection);
  if (tables === null) {
    throw new LoaderError(
      "LOADER_FILE_MISSING",
      `loader: cycle ${src.fileIndex}: a cut on level "${child.name}" needs the ${tier} tier file ${src.describe(tier)}, which does not exist`,
      { fileIndex: src.fileIndex, level: child.name, path: src.describe(tier) },
    );
  }
  const pass = new Uint8Array(eventCount).fill(1);
  if (tables.length === 0) {
    warn(`cycle ${src.fileIndex}: level "${child.name}" has no tables: no events pass its cut`);
    return pass.fill(0);
  }
  for (const table of tables) {
    const n = src.rowCount(tier, table);
    if (n < eventCount) {
      throw new LoaderError(
        "LOADER_TCM_OUT_OF_RANGE",
        `loader: cycle ${src.fileIndex}: the TCM has ${eventCount} events but child table ${table} has ${n} rows (${src.describe(tier)})`,
        { fileIndex: src.fileIndex, table, path: src.describe(tier) },
      );
    }
    const pieces = readLevelColumns(src, child, table, cut.columns, { start: 0, stop: eventCount });
    if (pieces === null) {
      warn(`cycle ${src.fileIndex}: table ${table} of level "${child.name}" lacks cut columns (${cut.columns.join(", ")}): no events pass`);
      return pass.fill(0);
    }
    const mask = evaluateCut(cut, pieces, eventCount, `table ${table}`);
    for (let e = 0; e < eventCount; e++) pass[e] = (pass[e] as number) & (mask[e] as number);
  }
  return pass;
}
