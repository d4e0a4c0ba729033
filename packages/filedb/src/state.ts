/**
 * The columnar state of a FileDB and the few facts derived from its resolved config. Every module
 * that works on a database (scanning, the table/column scan, saving and loading) is a function over
 * this state; only `file-db.ts` wraps it in the `FileDb` class, so no module needs the class at
 * run time (no import cycle).
 */
import type { ResolvedFileDbConfig } from "./config.js";
import type { TemplateValue } from "./template.js";

/** A table identifier: an integer for `{ch:d}`-style templates, a string otherwise; `0` for a fixed table name. */
export type TableId = number | string;

/** The columnar state of a FileDb: one entry per row (cycle) in every array. */
export interface FileDbState {
  keys: Map<string, TemplateValue[]>;
  files: Map<string, string[]>;
  sizes: Map<string, number[]>;
  status: number[];
  /** null until tables/columns are known. */
  tables: Map<string, (TableId[] | null)[]> | null;
  colIdx: Map<string, (number[] | null)[]> | null;
  columns: string[][] | null;
}

/** The state of a database without rows. */
export function emptyState(resolved: ResolvedFileDbConfig): FileDbState {
  return {
    keys: new Map(resolved.keyFields.map((k) => [k, []])),
    files: new Map(resolved.tiers.map((t) => [t, []])),
    sizes: new Map(resolved.tiers.map((t) => [t, []])),
    status: [],
    tables: null,
    colIdx: null,
    columns: null,
  };
}

/**
 * The id type of a tier's tables: `"d"` (integer ids, `{ch:07d}` or a fixed table name → `0`) or
 * `"s"` (string ids, `{grp}/evt`). The tier must exist.
 */
export function tableIdTypeOf(resolved: ResolvedFileDbConfig, tier: string): "d" | "s" {
  const tpl = resolved.tableTemplates[tier]!;
  return tpl.fields.length === 0 || tpl.fields[0]!.type === "d" ? "d" : "s";
}

/** Bit of `tier` in `file_status` (`2^(nTiers − 1 − index)`). The tier must exist. */
export function statusBitOf(resolved: ResolvedFileDbConfig, tier: string): number {
  return 2 ** (resolved.tiers.length - 1 - resolved.tiers.indexOf(tier));
}

/** `{tier dir}/{file}` of a row (no checks). */
export function tierFilePath(resolved: ResolvedFileDbConfig, state: FileDbState, row: number, tier: string): string {
  const file = state.files.get(tier)![row]!;
  const dir = resolved.tierDirs[tier]!;
  return file.startsWith("/") ? dir + file : `${dir}/${file}`;
}
