import type { Piece } from "./gather.js";
import type { RawTcm } from "./tcm.js";

/** A table identifier as FileDB parses it from the table name: an integer for `{ch:07d}` templates, else a string. */
export type TableId = number | string;

/**
 * The data of one cycle (one FileDB row) as the entry-list builder and the loader see it. The
 * LH5-backed implementation opens the cycle's tier files once; tests use in-memory fakes.
 * Every method is synchronous; opening happens before (see `openLh5Cycle`).
 */
export interface CycleSource {
  /** FileDB row index of the cycle (the `file` column). */
  readonly fileIndex: number;
  /** Table ids of a tier in this cycle (FileDB's `{tier}_tables`), or null when the tier file does not exist. */
  tables(tier: string): readonly TableId[] | null;
  /** Top-level column names of a table, or null when the tier file or the table does not exist. */
  columns(tier: string, table: TableId): readonly string[] | null;
  /** Number of rows of a table (without reading data). */
  rowCount(tier: string, table: TableId): number;
  /**
   * Read columns of a table, all rows or the given row indices (any order, duplicates allowed;
   * the result's row j is row `rows[j]`).
   */
  read(
    tier: string,
    table: TableId,
    columns: readonly string[],
    rows?: ArrayLike<number> | { start: number; stop: number },
  ): ReadonlyMap<string, Piece>;
  /** Read a TCM object (either layout). */
  readTcm(tier: string, table: TableId): RawTcm;
  /** A description of where a tier's data lives, for messages (the file path). */
  describe(tier: string): string;
}
