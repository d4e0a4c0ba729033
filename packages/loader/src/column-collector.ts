import { type Float64, makeData } from "apache-arrow";
import { arrowTypeOfTypedArray } from "@daqkit/io/arrow";
import type { CycleSource, TableId } from "./cycle-source.js";
import { cacheKey, childTablesOf, planRowRead, type TableReadCache, tierForColumn } from "./entry-list.js";
import { LoaderError } from "./errors.js";
import { type GatheredColumn, gatherColumn, type Piece, type PieceArray } from "./gather.js";
import type { LevelConfig } from "./loader-config.js";

interface Segment {
  readonly srcPiece: Int32Array;
  readonly srcRow: Int32Array;
  /** Set for a compacted cycle ({@link compactExported}): its values (null rows hold the null fill), or none when all null. */
  readonly dense?: DenseInfo;
  /**
   * A dense segment appended by {@link ColumnCollector.addExported}: its one piece is number
   * `pieceOffset` of the column, and `srcPiece` is kept as given (only its sign, null or not, is
   * read), so appending a cycle rewrites nothing; see {@link piecesOf}.
   */
  readonly pieceOffset?: number;
}

/** Derived piece-number arrays of dense segments, by source array and offset (shared by the columns that share both). */
type DerivedPieces = Map<Int32Array, Map<number, Int32Array>>;

/** A segment's piece numbers (row i of piece `result[i]`, null when < 0). */
function piecesOf(s: Segment, derived: DerivedPieces): Int32Array {
  const offset = s.pieceOffset;
  if (offset === undefined) return s.srcPiece;
  const src = s.srcPiece;
  let byOffset = derived.get(src);
  if (!byOffset) {
    byOffset = new Map();
    derived.set(src, byOffset);
  }
  let out = byOffset.get(offset);
  if (!out) {
    out = new Int32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = (src[i] as number) >= 0 ? offset : -1;
    byOffset.set(offset, out);
  }
  return out;
}

/** A compacted cycle's column: `data` has one value per entry (null rows hold NaN for floats, 0 else); no `data`: every entry null. */
export interface DenseInfo {
  readonly data?: Exclude<PieceArray["data"], string[]>;
  readonly nulls: number;
}

/** Entries `pos[j]` of a cycle are row `position[j]` (or `j` when null) of piece number `piece`. */
interface Placement {
  readonly piece: number;
  readonly pos: Int32Array;
  readonly position: Int32Array | null;
}

function samePlacements(a: readonly Placement[], b: readonly Placement[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Placement;
    const y = b[i] as Placement;
    if (x.piece !== y.piece || x.pos !== y.pos || x.position !== y.position) return false;
  }
  return true;
}

interface ColumnState {
  readonly pieces: Piece[];
  readonly segments: Segment[];
  found: boolean;
  fromParent: boolean;
  fromChild: boolean;
}

/** A collector's raw state, structured-clone friendly (see {@link ColumnCollector.export}). */
export interface ExportedColumns {
  readonly rows: number;
  readonly columns: Record<
    string,
    {
      readonly pieces: Piece[];
      readonly srcPiece: Int32Array;
      readonly srcRow: Int32Array;
      readonly found: boolean;
      readonly fromParent: boolean;
      readonly fromChild: boolean;
      /** Set by {@link compactExported}: `pieces` is `[data]` (or empty when every entry is null), `srcRow` the identity. */
      readonly dense?: DenseInfo;
    }
  >;
}

/** A collected column before gathering: row i is row `srcRow[i]` of `pieces[srcPiece[i]]` (null when < 0). */
export interface CollectedColumn {
  readonly pieces: readonly Piece[];
  readonly srcPiece: Int32Array;
  readonly srcRow: Int32Array;
  /** True when the values came from the child (event) level in every cycle that had the column. */
  readonly fromChild: boolean;
  /**
   * When every cycle of the column was compacted with one element type: the cycles' values in order,
   * to be appended as they are (`srcPiece` < 0 marks the null entries).
   */
  readonly dense?: readonly (DenseInfo & { readonly srcPiece: Int32Array })[];
}

/** Gather a collected column, optionally picking rows `order[i]`. */
export function gatherCollected(name: string, col: CollectedColumn, order?: Int32Array): GatheredColumn {
  if (!order && col.dense) return gatherDense(col.pieces, col.dense);
  if (!order) return gatherColumn(name, col.pieces, col.srcPiece, col.srcRow);
  const p2 = new Int32Array(order.length);
  const r2 = new Int32Array(order.length);
  for (let i = 0; i < order.length; i++) {
    p2[i] = col.srcPiece[order[i] as number] as number;
    r2[i] = col.srcRow[order[i] as number] as number;
  }
  return gatherColumn(name, col.pieces, p2, r2);
}

/**
 * Collects, file by file, the pieces of the requested columns for a sequence of output rows, then
 * gathers them into Arrow columns. Only the rows named by the entries are read (the LH5 reader
 * coalesces consecutive rows into hyperslabs). A column a table lacks is null for those rows.
 */
export class ColumnCollector {
  readonly #columns: readonly string[];
  readonly #state = new Map<string, ColumnState>();
  readonly #compact: boolean;
  #rows = 0;

  /**
   * `compact`: a collector of one cycle (see {@link collectCycleColumns}) whose plain numeric columns
   * are written straight into one value per entry as the cycle is added — what
   * {@link compactExported} makes of its export, without the row-source arrays in between.
   */
  constructor(columns: readonly string[], options: { readonly compact?: boolean } = {}) {
    this.#columns = columns;
    this.#compact = options.compact === true;
    for (const c of columns) this.#state.set(c, { pieces: [], segments: [], found: false, fromParent: false, fromChild: false });
  }

  /** Output rows collected so far. */
  get rows(): number {
    return this.#rows;
  }

  /**
   * Add `row.length` output rows of one cycle. For each column: the parent level's tables first
   * (entry k = row `row[k]` of table `tableIds[tableCode[k]]`); if no parent table of this cycle has
   * it and `child` is given, the child level (entry k = row `event[k]` of the first child table
   * having the column). Columns present nowhere in this cycle are null here.
   */
  addCycle(
    src: CycleSource,
    parent: LevelConfig,
    entries: {
      readonly tableIds: readonly TableId[];
      readonly tableCode: Int32Array;
      readonly row: Int32Array;
      readonly event: Int32Array | null;
    },
    child?: { readonly level: LevelConfig; readonly tables: readonly TableId[] | null },
    cache?: TableReadCache,
  ): void {
    const n = entries.row.length;
    // A column is known when any table of the levels has it in this cycle, even if no entry is
    // from such a table (then it is all null rather than an unknown column).
    const levels = child ? [parent, child.level] : [parent];
    for (const level of levels) {
      for (const tier of level.tiers) {
        for (const table of src.tables(tier) ?? []) {
          const cols = src.columns(tier, table);
          if (!cols) continue;
          for (const c of this.#columns) if (cols.includes(c)) (this.#state.get(c) as ColumnState).found = true;
        }
      }
    }
    // Where each column's values come from, recorded first and written afterwards: columns read
    // together (same tables, same rows, same piece numbers) share one pair of row-source arrays.
    const placements = new Map<string, Placement[]>();
    for (const c of this.#columns) placements.set(c, []);
    const parentFound = new Set<string>();
    // Positions of each table's entries (counting sort by table code). Entries table by table (no
    // TCM): runs of one identity array 0…n-1, which is also the row sources of the dense columns.
    const counts = new Int32Array(entries.tableIds.length);
    let byTable = true;
    for (let k = 0; k < n; k++) {
      const code = entries.tableCode[k] as number;
      counts[code] = (counts[code] as number) + 1;
      if (k > 0 && code < (entries.tableCode[k - 1] as number)) byTable = false;
    }
    let identity: Int32Array | undefined;
    let positions: Int32Array[];
    if (byTable) {
      const iota = new Int32Array(n);
      for (let k = 0; k < n; k++) iota[k] = k;
      identity = iota;
      let start = 0;
      positions = Array.from(counts, (c) => {
        const run = iota.subarray(start, start + c);
        start += c;
        return run;
      });
    } else {
      positions = Array.from(counts, (c) => new Int32Array(c));
      const fill = new Int32Array(entries.tableIds.length);
      for (let k = 0; k < n; k++) {
        const code = entries.tableCode[k] as number;
        const at = fill[code] as number;
        (positions[code] as Int32Array)[at] = k;
        fill[code] = at + 1;
      }
    }
    entries.tableIds.forEach((table, code) => {
      const pos = positions[code] as Int32Array;
      if (pos.length === 0) return;
      const byTier = new Map<string, string[]>();
      for (const c of this.#columns) {
        const tier = tierForColumn(src, parent, table, c);
        if (tier === undefined) continue;
        parentFound.add(c);
        byTier.set(tier, [...(byTier.get(tier) ?? []), c]);
      }
      if (byTier.size === 0) return;
      // The table's rows: a view of the entries when they are consecutive (entries table by table,
      // as without a TCM), else gathered. Read-only from here on.
      const first = pos[0] as number;
      const contiguous = (pos[pos.length - 1] as number) - first === pos.length - 1;
      const rows = contiguous ? entries.row.subarray(first, first + pos.length) : new Int32Array(pos.length);
      let minRow = Number.POSITIVE_INFINITY;
      let maxRow = -1;
      for (let j = 0; j < pos.length; j++) {
        const r = entries.row[pos[j] as number] as number;
        if (!contiguous) rows[j] = r;
        if (r < minRow) minRow = r;
        if (r > maxRow) maxRow = r;
      }
      let plan: ReturnType<typeof planRowRead> | undefined;
      for (const [tier, cols] of byTier) {
        const hit = cache?.get(cacheKey(tier, table));
        if (hit && cols.every((c) => hit.pieces.has(c)) && minRow >= hit.start && maxRow < hit.stop) {
          // Row r of the table is row r - start of the cached pieces (the rows themselves when it starts at 0).
          let position = rows;
          if (hit.start !== 0) {
            position = new Int32Array(rows.length);
            for (let j = 0; j < rows.length; j++) position[j] = (rows[j] as number) - hit.start;
          }
          for (const c of cols) this.#record(c, placements, hit.pieces.get(c), pos, position);
          continue;
        }
        plan ??= planRowRead(rows);
        const read = src.read(tier, table, cols, plan.selection);
        for (const c of cols) this.#record(c, placements, read.get(c), pos, plan.position);
      }
    });
    const dense = this.#compact && this.#rows === 0 ? this.#placeDense(placements, n, identity) : undefined;
    const segs = this.#writePlacements(placements, n, dense);
    const missing = this.#columns.filter((c) => !parentFound.has(c));
    if (missing.length > 0 && child && entries.event) {
      const tables = child.tables ?? childTablesOf(src, child.level, null) ?? [];
      // Unique events (sorted) so each child row is read once.
      const events = entries.event;
      let maxEvent = -1;
      for (let k = 0; k < n; k++) if ((events[k] as number) > maxEvent) maxEvent = events[k] as number;
      const where = new Int32Array(maxEvent + 1).fill(-1);
      for (let k = 0; k < n; k++) where[events[k] as number] = 0;
      let u = 0;
      for (let e = 0; e <= maxEvent; e++) if (where[e] === 0) where[e] = u++;
      const unique = new Int32Array(u);
      for (let e = 0; e <= maxEvent; e++) if ((where[e] as number) >= 0) unique[where[e] as number] = e;
      for (const table of tables) {
        const todo = missing.filter((c) => !parentFound.has(c));
        if (todo.length === 0) break;
        const byTier = new Map<string, string[]>();
        for (const c of todo) {
          const t = tierForColumn(src, child.level, table, c);
          if (t === undefined) continue;
          parentFound.add(c);
          byTier.set(t, [...(byTier.get(t) ?? []), c]);
        }
        if (byTier.size === 0) continue;
        const childRows = src.rowCount(child.level.tiers[0] as string, table);
        if (unique.length > 0 && (unique[unique.length - 1] as number) >= childRows) {
          throw new LoaderError(
            "LOADER_TCM_OUT_OF_RANGE",
            `loader: cycle ${src.fileIndex}: entries name event ${unique[unique.length - 1]} but child table ${table} has ${childRows} rows (${src.describe(child.level.tiers[0] as string)})`,
            { fileIndex: src.fileIndex, table },
          );
        }
        for (const [t, cols] of byTier) {
          const plan = planRowRead(unique);
          const read = src.read(t, table, cols, plan.selection);
          for (const c of cols) {
            const seg = segs.get(c) as Segment;
            const piece = read.get(c);
            if (!piece) continue;
            const state = this.#state.get(c) as ColumnState;
            state.found = true;
            state.fromChild = true;
            const p = state.pieces.length;
            state.pieces.push(piece);
            for (let k = 0; k < n; k++) {
              seg.srcPiece[k] = p;
              const j = where[events[k] as number] as number;
              seg.srcRow[k] = plan.position ? (plan.position[j] as number) : j;
            }
          }
        }
      }
    }
    for (const c of this.#columns) (this.#state.get(c) as ColumnState).segments.push(segs.get(c) as Segment);
    this.#rows += n;
  }

  /** Note that entries `pos[j]` of column `c` are row `position[j]` (or `j`) of `piece`. */
  #record(c: string, placements: Map<string, Placement[]>, piece: Piece | undefined, pos: Int32Array, position: Int32Array | null): void {
    if (!piece) return;
    const state = this.#state.get(c) as ColumnState;
    state.found = true;
    state.fromParent = true;
    (placements.get(c) as Placement[]).push({ piece: state.pieces.length, pos, position });
    state.pieces.push(piece);
  }

  /**
   * One segment of `n` rows per column, filled from its placements (unplaced rows stay null). Columns
   * with the same placements (piece numbers, entry positions and rows) get the same segment, written
   * once. A column without placements gets its own (the child level may still fill it).
   */
  #writePlacements(placements: Map<string, Placement[]>, n: number, dense?: ReadonlyMap<string, Segment>): Map<string, Segment> {
    const segs = new Map<string, Segment>();
    const done: { list: Placement[]; seg: Segment }[] = [];
    for (const c of this.#columns) {
      const written = dense?.get(c);
      if (written) {
        segs.set(c, written);
        continue;
      }
      const list = placements.get(c) as Placement[];
      const same = list.length === 0 ? undefined : done.find((d) => samePlacements(d.list, list));
      if (same) {
        segs.set(c, same.seg);
        continue;
      }
      const seg = { srcPiece: new Int32Array(n).fill(-1), srcRow: new Int32Array(n) };
      for (const { piece, pos, position } of list) {
        const { srcPiece, srcRow } = seg;
        for (let j = 0; j < pos.length; j++) {
          const k = pos[j] as number;
          srcPiece[k] = piece;
          srcRow[k] = position ? (position[j] as number) : j;
        }
      }
      segs.set(c, seg);
      if (list.length > 0) done.push({ list, seg });
    }
    return segs;
  }

  /**
   * The first cycle's plain numeric columns (every placed piece a 1-D typed array of one element
   * type), each written into one new array of one value per entry: entry `pos[j]` = row `position[j]`
   * (or `j`) of the placement's piece, entries of no placement the null fill (NaN for floats, 0 else).
   * The column's pieces become that one array (attributes and element of the first piece), its
   * segment the dense form of {@link compactExported}: `srcPiece` 0 or -1 (null), `srcRow` the
   * identity (`iota` when given; both shared between the columns). Other columns are left to the
   * row sources.
   */
  #placeDense(placements: Map<string, Placement[]>, n: number, iota?: Int32Array): Map<string, Segment> {
    const out = new Map<string, Segment>();
    let identity = iota;
    const coverage: { list: Placement[]; srcPiece: Int32Array; nulls: number }[] = [];
    for (const c of this.#columns) {
      const list = placements.get(c) as Placement[];
      if (list.length === 0) continue;
      const state = this.#state.get(c) as ColumnState;
      let ctor: TypedCtor | undefined;
      for (const { piece } of list) {
        const k = primitiveCtor(state.pieces[piece] as Piece);
        if (k === undefined || (ctor !== undefined && k !== ctor)) {
          ctor = undefined;
          break;
        }
        ctor = k;
      }
      if (ctor === undefined) continue;
      let cover = coverage.find((d) => samePlacements(d.list, list));
      if (!cover) {
        let placed = 0;
        for (const p of list) placed += p.pos.length;
        const srcPiece = new Int32Array(n);
        if (placed < n) {
          srcPiece.fill(-1);
          for (const { pos } of list) for (let j = 0; j < pos.length; j++) srcPiece[pos[j] as number] = 0;
        }
        cover = { list, srcPiece, nulls: n - placed };
        coverage.push(cover);
      }
      const data = new ctor(n);
      if (cover.nulls > 0 && (data instanceof Float64Array || data instanceof Float32Array)) {
        const sp = cover.srcPiece;
        for (let k = 0; k < n; k++) if ((sp[k] as number) < 0) data[k] = Number.NaN;
      }
      for (const { piece, pos, position } of list) {
        const from = (state.pieces[piece] as PieceArray).data as Exclude<PieceArray["data"], string[]>;
        if (data instanceof Float64Array) placeF64(data, from as Float64Array, pos, position);
        else if (data instanceof Float32Array) placeF32(data, from as Float32Array, pos, position);
        else if (data instanceof Int32Array) placeI32(data, from as Int32Array, pos, position);
        else placeOther(data, from, pos, position);
      }
      const first = state.pieces[(list[0] as Placement).piece] as PieceArray;
      const piece: PieceArray = { type: "Array", element: first.element, data, shape: [n], attrs: (state.pieces[0] as Piece).attrs };
      state.pieces.length = 0;
      state.pieces.push(piece);
      if (!identity) {
        identity = new Int32Array(n);
        for (let k = 0; k < n; k++) identity[k] = k;
      }
      out.set(c, { srcPiece: cover.srcPiece, srcRow: identity, dense: { data, nulls: cover.nulls } });
    }
    return out;
  }

  /** Requested columns that no table of the added cycles has (in any tier of the levels). */
  unfound(): string[] {
    return this.#columns.filter((c) => !(this.#state.get(c) as ColumnState).found);
  }

  /**
   * The collected columns over all added cycles (in collection order), ready to gather.
   * With `omitUnfound` (one table per cycle, as pygama's `merge_files=False`), a column that no
   * table of the added cycles has is left out instead of being an error; with `known` (the caller
   * checked that some cycle has it) it is all null.
   * @throws LoaderError `LOADER_UNKNOWN_COLUMN` for a column no table of any cycle had.
   */
  finish(options: { readonly omitUnfound?: boolean; readonly known?: boolean } = {}): Map<string, CollectedColumn> {
    const out = new Map<string, CollectedColumn>();
    const unknown = this.unfound();
    if (unknown.length > 0 && this.#rows > 0 && !options.omitUnfound && !options.known) throw unknownColumnError(unknown);
    // Columns whose segments are the same arrays (shared in addCycle) share the joined arrays too.
    const joined: { pieces: Int32Array[]; rows: Int32Array[]; srcPiece: Int32Array; srcRow: Int32Array }[] = [];
    const derived: DerivedPieces = new Map();
    const sameArrays = (a: readonly Int32Array[], b: readonly Int32Array[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    for (const c of this.#columns) {
      const state = this.#state.get(c) as ColumnState;
      if (options.omitUnfound && !state.found) {
        state.segments.length = 0;
        continue;
      }
      const segments = state.segments.slice();
      const rowParts = segments.map((s) => s.srcRow);
      const rows = this.#rows;
      let arrays: { srcPiece: Int32Array; srcRow: Int32Array } | undefined;
      const join = (): { srcPiece: Int32Array; srcRow: Int32Array } => {
        if (arrays) return arrays;
        const pieceParts = segments.map((s) => piecesOf(s, derived));
        const same = joined.find((j) => sameArrays(j.pieces, pieceParts) && sameArrays(j.rows, rowParts));
        if (same) arrays = same;
        else if (pieceParts.length === 1 && (pieceParts[0] as Int32Array).length === rows) {
          arrays = { srcPiece: pieceParts[0] as Int32Array, srcRow: rowParts[0] as Int32Array };
        } else {
          const srcPiece = new Int32Array(rows);
          const srcRow = new Int32Array(rows);
          let o = 0;
          for (let k = 0; k < pieceParts.length; k++) {
            srcPiece.set(pieceParts[k] as Int32Array, o);
            srcRow.set(rowParts[k] as Int32Array, o);
            o += (pieceParts[k] as Int32Array).length;
          }
          arrays = { srcPiece, srcRow };
        }
        if (!same) joined.push({ pieces: pieceParts, rows: rowParts, ...arrays });
        return arrays;
      };
      const dense = denseParts(state.segments);
      state.segments.length = 0;
      const fromChild = state.fromChild && !state.fromParent;
      if (dense) {
        // Compacted cycles are appended as they are; the joined row sources only when asked for.
        out.set(c, {
          pieces: state.pieces,
          fromChild,
          dense,
          get srcPiece() {
            return join().srcPiece;
          },
          get srcRow() {
            return join().srcRow;
          },
        });
      } else {
        const { srcPiece, srcRow } = join();
        out.set(c, { pieces: state.pieces, srcPiece, srcRow, fromChild });
      }
    }
    return out;
  }

  /**
   * The raw state (pieces and row sources per column) without the unknown-column check, to move a
   * cycle's collection from a worker thread to the main thread ({@link addExported}).
   */
  export(): ExportedColumns {
    const columns: ExportedColumns["columns"] = {};
    const derived: DerivedPieces = new Map();
    for (const c of this.#columns) {
      const state = this.#state.get(c) as ColumnState;
      const seg = state.segments;
      let srcPiece: Int32Array;
      let srcRow: Int32Array;
      if (seg.length === 1) {
        srcPiece = piecesOf(seg[0] as Segment, derived);
        srcRow = (seg[0] as Segment).srcRow;
      } else {
        srcPiece = new Int32Array(this.#rows);
        srcRow = new Int32Array(this.#rows);
        let o = 0;
        for (const s of seg) {
          srcPiece.set(piecesOf(s, derived), o);
          srcRow.set(s.srcRow, o);
          o += s.srcPiece.length;
        }
      }
      const dense = seg.length === 1 ? (seg[0] as Segment).dense : undefined;
      columns[c] = {
        pieces: state.pieces,
        srcPiece,
        srcRow,
        found: state.found,
        fromParent: state.fromParent,
        fromChild: state.fromChild,
        ...(dense ? { dense } : {}),
      };
    }
    return { rows: this.#rows, columns };
  }

  /** Append a collection exported by another collector over the same columns (piece indices are rebased). */
  addExported(exported: ExportedColumns): void {
    // Columns of one cycle may share their row-source arrays (see addCycle): each array is rebased
    // once per piece offset, in place the first time (the collector owns what it is given).
    const rebased = new Map<Int32Array, Map<number, Int32Array>>();
    const rebase = (src: Int32Array, offset: number): Int32Array => {
      const byOffset = rebased.get(src);
      if (!byOffset) {
        if (offset !== 0) for (let i = 0; i < src.length; i++) if ((src[i] as number) >= 0) src[i] = (src[i] as number) + offset;
        rebased.set(src, new Map([[offset, src]]));
        return src;
      }
      const known = byOffset.get(offset);
      if (known) return known;
      // Already used (rebased in place) with another offset: derive a copy from that one.
      const [first, firstOut] = byOffset.entries().next().value as [number, Int32Array];
      const out = new Int32Array(src.length);
      for (let i = 0; i < out.length; i++) {
        const v = firstOut[i] as number;
        out[i] = v >= 0 ? v - first + offset : v;
      }
      byOffset.set(offset, out);
      return out;
    };
    for (const c of this.#columns) {
      const state = this.#state.get(c) as ColumnState;
      const e = exported.columns[c];
      if (!e) {
        const n = exported.rows;
        state.segments.push({ srcPiece: new Int32Array(n).fill(-1), srcRow: new Int32Array(n), dense: { nulls: n } });
        continue;
      }
      const offset = state.pieces.length;
      for (const p of e.pieces) state.pieces.push(p);
      // A compacted cycle's piece numbers are all its one piece (or null): kept as they are, with the offset.
      if (e.dense) state.segments.push({ srcPiece: e.srcPiece, srcRow: e.srcRow, dense: e.dense, pieceOffset: offset });
      else state.segments.push({ srcPiece: rebase(e.srcPiece, offset), srcRow: e.srcRow });
      state.found ||= e.found;
      state.fromParent ||= e.fromParent;
      state.fromChild ||= e.fromChild;
    }
    this.#rows += exported.rows;
  }

  /** {@link finish} and gather every column in collection order. */
  finishGathered(options: { readonly omitUnfound?: boolean; readonly known?: boolean } = {}): Map<string, GatheredColumn> {
    const out = new Map<string, GatheredColumn>();
    for (const [name, col] of this.finish(options)) out.set(name, gatherCollected(name, col));
    return out;
  }
}

/** The segments as dense parts when every one is a compacted cycle and those with values share one element type. */
function denseParts(segments: readonly Segment[]): (DenseInfo & { readonly srcPiece: Int32Array })[] | undefined {
  if (segments.length === 0) return undefined;
  let ctor: unknown;
  for (const s of segments) {
    if (!s.dense) return undefined;
    const d = s.dense.data;
    if (d === undefined) continue;
    if (ctor === undefined) ctor = d.constructor;
    else if (d.constructor !== ctor) return undefined;
  }
  if (ctor === undefined) return undefined; // all null: the general gather (all-null Float64)
  return segments.map((s) => ({ ...(s.dense as DenseInfo), srcPiece: s.srcPiece }));
}

/**
 * A column of compacted cycles of one element type: their values appended (nulls already hold the
 * null fill: NaN for floats, 0 else; cycles without values are filled so), the validity from the
 * null entries. The same column {@link gatherColumn} builds from the same entries.
 */
function gatherDense(pieces: readonly Piece[], parts: readonly (DenseInfo & { readonly srcPiece: Int32Array })[]): GatheredColumn {
  let n = 0;
  let nulls = 0;
  let first: Exclude<PieceArray["data"], string[]> | undefined;
  for (const p of parts) {
    n += p.srcPiece.length;
    nulls += p.nulls;
    first ??= p.data;
  }
  const data = first as Exclude<PieceArray["data"], string[]>;
  const out = new (data.constructor as TypedCtor)(n);
  const fill = out instanceof Float64Array || out instanceof Float32Array ? Number.NaN : 0;
  let bitmap: Uint8Array | undefined;
  if (nulls > 0) bitmap = new Uint8Array((n + 7) >> 3);
  let o = 0;
  for (const p of parts) {
    const len = p.srcPiece.length;
    if (p.data) (out as Float64Array).set(p.data as Float64Array, o);
    else if (fill !== 0) (out as Float64Array).fill(fill, o, o + len);
    if (bitmap) {
      const sp = p.srcPiece;
      if (p.nulls === 0) setBits(bitmap, o, o + len);
      else if (p.nulls < len)
        for (let i = 0; i < len; i++)
          if ((sp[i] as number) >= 0) bitmap[(o + i) >> 3] = (bitmap[(o + i) >> 3] as number) | (1 << ((o + i) & 7));
    }
    o += len;
  }
  const first0 = pieces[0];
  const metadata = new Map<string, string>();
  if (first0) for (const [k, v] of Object.entries(first0.attrs)) if (typeof v === "string" && k !== "datatype") metadata.set(k, v);
  const type = arrowTypeOfTypedArray(out) as Float64;
  return {
    data: makeData({ type, length: n, data: out as Float64Array, nullCount: nulls, ...(bitmap ? { nullBitmap: bitmap } : {}) }),
    metadata,
  };
}

/** Set bits `[from, to)` of an LSB-first bitmap. */
function setBits(bitmap: Uint8Array, from: number, to: number): void {
  let i = from;
  for (; i < to && (i & 7) !== 0; i++) bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
  for (; i + 8 <= to; i += 8) bitmap[i >> 3] = 0xff;
  for (; i < to; i++) bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
}

type TypedCtor = new (n: number) => Exclude<PieceArray["data"], string[]>;

/** The typed array constructor of a 1-D numeric piece (not bool, not text), or undefined. */
function primitiveCtor(p: Piece): TypedCtor | undefined {
  if (p.type !== "Array" && p.type !== "FixedSizeArray") return undefined;
  if (p.shape.length > 1 || p.element.kind === "bool" || p.element.kind === "string" || Array.isArray(p.data)) return undefined;
  return p.data.constructor as TypedCtor;
}

/*
 * Entry i = row `rows[i]` of `srcs[pieces[i]]`, or the null fill when `pieces[i]` < 0 (NaN for
 * floats; integer arrays are already 0). One function per element type, so V8's element accesses stay
 * monomorphic; one pass per column (entries of interleaved tables, TCM order, have no long runs).
 */
function gatherF64(out: Float64Array, srcs: readonly Float64Array[], pieces: Int32Array, rows: Int32Array): void {
  for (let i = 0; i < out.length; i++) {
    const p = pieces[i] as number;
    out[i] = p < 0 ? Number.NaN : ((srcs[p] as Float64Array)[rows[i] as number] as number);
  }
}
function gatherF32(out: Float32Array, srcs: readonly Float32Array[], pieces: Int32Array, rows: Int32Array): void {
  for (let i = 0; i < out.length; i++) {
    const p = pieces[i] as number;
    out[i] = p < 0 ? Number.NaN : ((srcs[p] as Float32Array)[rows[i] as number] as number);
  }
}
function gatherI32(out: Int32Array, srcs: readonly Int32Array[], pieces: Int32Array, rows: Int32Array): void {
  for (let i = 0; i < out.length; i++) {
    const p = pieces[i] as number;
    if (p >= 0) out[i] = (srcs[p] as Int32Array)[rows[i] as number] as number;
  }
}
function gatherOther(out: ArrayLike<unknown>, srcs: readonly ArrayLike<unknown>[], pieces: Int32Array, rows: Int32Array): void {
  const o = out as unknown[];
  for (let i = 0; i < o.length; i++) {
    const p = pieces[i] as number;
    if (p >= 0) o[i] = (srcs[p] as ArrayLike<unknown>)[rows[i] as number];
  }
}

/*
 * Entry `pos[j]` = row `position[j]` (or `j` when null) of `from`; one function per element type,
 * as the gathers above. Entries of one table are consecutive without a TCM, so `pos` is then a run.
 */
function placeF64(out: Float64Array, from: Float64Array, pos: Int32Array, position: Int32Array | null): void {
  const m = pos.length;
  const k0 = pos[0] as number;
  if ((pos[m - 1] as number) - k0 === m - 1) {
    if (!position) out.set(from.subarray(0, m), k0);
    else for (let j = 0; j < m; j++) out[k0 + j] = from[position[j] as number] as number;
  } else if (!position) for (let j = 0; j < m; j++) out[pos[j] as number] = from[j] as number;
  else for (let j = 0; j < m; j++) out[pos[j] as number] = from[position[j] as number] as number;
}
function placeF32(out: Float32Array, from: Float32Array, pos: Int32Array, position: Int32Array | null): void {
  const m = pos.length;
  const k0 = pos[0] as number;
  if ((pos[m - 1] as number) - k0 === m - 1) {
    if (!position) out.set(from.subarray(0, m), k0);
    else for (let j = 0; j < m; j++) out[k0 + j] = from[position[j] as number] as number;
  } else if (!position) for (let j = 0; j < m; j++) out[pos[j] as number] = from[j] as number;
  else for (let j = 0; j < m; j++) out[pos[j] as number] = from[position[j] as number] as number;
}
function placeI32(out: Int32Array, from: Int32Array, pos: Int32Array, position: Int32Array | null): void {
  const m = pos.length;
  const k0 = pos[0] as number;
  if ((pos[m - 1] as number) - k0 === m - 1) {
    if (!position) out.set(from.subarray(0, m), k0);
    else for (let j = 0; j < m; j++) out[k0 + j] = from[position[j] as number] as number;
  } else if (!position) for (let j = 0; j < m; j++) out[pos[j] as number] = from[j] as number;
  else for (let j = 0; j < m; j++) out[pos[j] as number] = from[position[j] as number] as number;
}
function placeOther(out: ArrayLike<unknown>, from: ArrayLike<unknown>, pos: Int32Array, position: Int32Array | null): void {
  const o = out as unknown[];
  for (let j = 0; j < pos.length; j++) o[pos[j] as number] = from[position ? (position[j] as number) : j];
}

/**
 * One cycle's export with every plain numeric column (1-D typed arrays of one element type in all the
 * pieces its entries use) gathered into one dense piece of `rows` values, row i = entry i (nulls stay
 * nulls through `srcPiece`). Runs where the cycle is loaded (a worker thread, or this one), so the
 * gathering of the entries' rows is spread over the threads and the thread that merges the cycles
 * only appends dense runs; the read pieces (row spans wider than the entries) are dropped at once.
 * The gathered column is the same: same values, types (only pieces that entries use decide the
 * type, as in the merged gather) and attributes (the piece keeps the first piece's attributes).
 * Other columns (text, bool, arrays, tables, mixed element types) are left as they are.
 */
export function compactExported(exported: ExportedColumns): ExportedColumns {
  const n = exported.rows;
  let identity: Int32Array | undefined;
  const compactPiece = new Map<Int32Array, { sp: Int32Array; nulls: number }>();
  const columns: ExportedColumns["columns"] = {};
  for (const [name, e] of Object.entries(exported.columns)) {
    columns[name] = e;
    const { pieces, srcPiece, srcRow } = e;
    if (e.dense || srcPiece.length !== n) continue; // already compact (a compact collector's export)
    const used = new Uint8Array(pieces.length);
    let any = false;
    for (let i = 0; i < n; i++) {
      const p = srcPiece[i] as number;
      if (p >= 0) {
        used[p] = 1;
        any = true;
      }
    }
    if (!any) {
      // Every entry null here (the pieces stay: the first one's attributes name the column's units).
      columns[name] = { ...e, dense: { nulls: n } };
      continue;
    }
    let ctor: TypedCtor | undefined;
    let first: PieceArray | undefined;
    let ok = true;
    for (let k = 0; k < pieces.length && ok; k++) {
      if (!used[k]) continue;
      const c = primitiveCtor(pieces[k] as Piece);
      if (c === undefined || (ctor !== undefined && c !== ctor)) ok = false;
      ctor ??= c;
      first ??= pieces[k] as PieceArray;
    }
    if (!ok || ctor === undefined || first === undefined) continue;
    const out = new ctor(n);
    const datas = pieces.map((p) => (p as PieceArray).data);
    if (out instanceof Float64Array) gatherF64(out, datas as Float64Array[], srcPiece, srcRow);
    else if (out instanceof Float32Array) gatherF32(out, datas as Float32Array[], srcPiece, srcRow);
    else if (out instanceof Int32Array) gatherI32(out, datas as Int32Array[], srcPiece, srcRow);
    else gatherOther(out, datas as ArrayLike<unknown>[], srcPiece, srcRow);
    let compact = compactPiece.get(srcPiece);
    if (!compact) {
      const sp = new Int32Array(n);
      let nulls = 0;
      for (let k = 0; k < n; k++) {
        if ((srcPiece[k] as number) < 0) {
          sp[k] = -1;
          nulls++;
        }
      }
      compact = { sp, nulls };
      compactPiece.set(srcPiece, compact);
    }
    if (!identity) {
      identity = new Int32Array(n);
      for (let k = 0; k < n; k++) identity[k] = k;
    }
    const piece: PieceArray = { type: "Array", element: first.element, data: out, shape: [n], attrs: (pieces[0] as Piece).attrs };
    columns[name] = { ...e, pieces: [piece], srcPiece: compact.sp, srcRow: identity, dense: { data: out, nulls: compact.nulls } };
  }
  return { rows: n, columns };
}

/** `LOADER_UNKNOWN_COLUMN` for columns that no table of any selected cycle has. */
export function unknownColumnError(unknown: readonly string[]): LoaderError {
  return new LoaderError(
    "LOADER_UNKNOWN_COLUMN",
    `loader: column${unknown.length > 1 ? "s" : ""} ${unknown.map((c) => `"${c}"`).join(", ")} not found in any table of the selected files`,
  );
}

/**
 * For per-cycle results: the columns that no collector (cycle) found, when any cycle has rows —
 * those are unknown for the whole load; a column some cycle has is left out of the others.
 */
export function checkColumnsSomewhere(collectors: readonly ColumnCollector[]): void {
  if (collectors.every((c) => c.rows === 0)) return;
  let unknown: string[] | null = null;
  for (const c of collectors) {
    const u = new Set(c.unfound());
    unknown = unknown === null ? [...u] : unknown.filter((x) => u.has(x));
  }
  if (unknown && unknown.length > 0) throw unknownColumnError(unknown);
}
