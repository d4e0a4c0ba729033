/**
 * Loader configurations (pygama.flow DataLoader config, spec filedb-loader.md §2.1): validation of a
 * configuration object, platform-neutral. Reading config files (`file.json[a/b]`, `$_`, `~`) is in
 * `node-loader-config.ts` (`@daqkit/loader/node`).
 */
import { expandConfigText } from "@daqkit/filedb";
import { LoaderError } from "./errors.js";

/** Field names of a TCM level (pygama's `tcm_cols`). */
export interface TcmColumns {
  /** Field holding the parent table id per hit (`array_id` old layout, `table_key` new layout). */
  readonly parentTable: string;
  /** Field holding the row index in the parent table per hit (`array_idx` / `row_in_table`). */
  readonly parentIdx: string;
  /** Cosmetic name pygama gives the exploded event index before renaming it (`coin_idx`); kept for reference. */
  readonly childIdx: string;
}

/** One level of the loader configuration: tiers whose tables are row-aligned. */
export interface LevelConfig {
  readonly name: string;
  /** Tier names; the first one lists the level's tables and gives row counts. */
  readonly tiers: readonly string[];
  /** Set for a TCM level: the level whose rows (hits) the TCM points to. */
  readonly parent?: string;
  /** Set for a TCM level: the level whose rows are the TCM's events (row index = event index). */
  readonly child?: string;
  /** Set for a TCM level. */
  readonly tcmColumns?: TcmColumns;
}

/** A validated loader configuration (pygama.flow DataLoader config, spec filedb-loader.md §2.1). */
export interface LoaderConfig {
  /** Levels in configuration order; the first is the "low" level used without a TCM. */
  readonly levels: readonly LevelConfig[];
  /**
   * The `filedb` entry with `$_`, environment variables and `~` expanded, if present: a path to a
   * FileDB config / saved database, or an inline FileDB config object.
   */
  readonly filedb?: string | Record<string, unknown>;
  /** Directory `$_` stood for: the config file's directory, or the working directory for object configs. */
  readonly configDir: string;
  /** The raw configuration object (after `[a/b]` sub-path selection). */
  readonly raw: Readonly<Record<string, unknown>>;
}

export const EXAMPLE = `{"levels": {"hit": {"tiers": ["raw", "dsp", "hit"]}, "tcm": {"tiers": ["tcm"], "parent": "hit", "child": "evt", "tcm_cols": {"child_idx": "coin_idx", "parent_tb": "array_id", "parent_idx": "array_idx"}}, "evt": {"tiers": ["evt"]}}}`;

export function bad(message: string, path?: string): LoaderError {
  return new LoaderError("LOADER_BAD_CONFIG", `loader config${path ? ` ${path}` : ""}: ${message}; a valid example: ${EXAMPLE}`, {
    path,
  });
}

/** Validate a configuration object; `configDir` is what `$_` expands to. */
/** Options of {@link loaderConfigFromObject}. */
export interface LoaderConfigOptions {
  /** What `$_` stands for in a `filedb` path (default `""`). */
  readonly configDir?: string;
  /** Environment for `$VAR` / `${VAR}` in a `filedb` path (default: none; variables stay as they are). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Validate a loader configuration object (any platform).
 * @throws LoaderError `LOADER_BAD_CONFIG`
 */
export function loaderConfigFromObject(raw: Record<string, unknown>, options: LoaderConfigOptions = {}): LoaderConfig {
  const configDir = options.configDir ?? "";
  return parseLoaderConfig(raw, configDir, undefined, (text) => expandConfigText(text, configDir, options.env ?? {}));
}

/** Validate a configuration object; `expand` expands a `filedb` path. @internal */
export function parseLoaderConfig(
  raw: Record<string, unknown>,
  configDir: string,
  path: string | undefined,
  expand: (text: string) => string,
): LoaderConfig {
  const levelsRaw = raw.levels;
  if (typeof levelsRaw !== "object" || levelsRaw === null || Array.isArray(levelsRaw)) {
    throw bad(`"levels" must be an object of level name → {tiers: [...]}, found ${JSON.stringify(levelsRaw)}`, path);
  }
  const levels: LevelConfig[] = [];
  for (const [name, value] of Object.entries(levelsRaw as Record<string, unknown>)) {
    if (typeof value !== "object" || value === null) throw bad(`level "${name}" must be an object`, path);
    const v = value as Record<string, unknown>;
    const tiers = v.tiers;
    if (!Array.isArray(tiers) || tiers.length === 0 || !tiers.every((t) => typeof t === "string" && t.length > 0)) {
      throw bad(`level "${name}" needs "tiers": a non-empty list of tier names, found ${JSON.stringify(tiers)}`, path);
    }
    const hasParent = v.parent !== undefined;
    const hasChild = v.child !== undefined;
    if (hasParent !== hasChild) throw bad(`level "${name}" must have both "parent" and "child" (a TCM level) or neither`, path);
    if (!hasParent) {
      levels.push({ name, tiers: tiers as string[] });
      continue;
    }
    if (typeof v.parent !== "string" || typeof v.child !== "string")
      throw bad(`level "${name}": "parent" and "child" must be level names`, path);
    const cols = (v.tcm_cols ?? {}) as Record<string, unknown>;
    if (typeof cols !== "object" || cols === null) throw bad(`level "${name}": "tcm_cols" must be an object`, path);
    const str = (key: string, fallback: string): string => {
      const x = cols[key];
      if (x === undefined) return fallback;
      if (typeof x !== "string" || x.length === 0) throw bad(`level "${name}": tcm_cols.${key} must be a field name`, path);
      return x;
    };
    levels.push({
      name,
      tiers: tiers as string[],
      parent: v.parent,
      child: v.child,
      tcmColumns: {
        parentTable: str("parent_tb", "array_id"),
        parentIdx: str("parent_idx", "array_idx"),
        childIdx: str("child_idx", "coin_idx"),
      },
    });
  }
  if (levels.length === 0) throw bad(`"levels" is empty`, path);
  const byName = new Map(levels.map((l) => [l.name, l]));
  for (const l of levels) {
    if (l.parent === undefined) continue;
    for (const role of ["parent", "child"] as const) {
      const other = byName.get(l[role] as string);
      if (!other) throw bad(`TCM level "${l.name}": ${role} "${l[role]}" is not a level`, path);
      if (other.parent !== undefined) throw bad(`TCM level "${l.name}": ${role} "${other.name}" is itself a TCM level`, path);
    }
    if (l.parent === l.child) throw bad(`TCM level "${l.name}": parent and child are the same level`, path);
  }
  if (levels[0]?.parent !== undefined)
    throw bad(`the first level ("${levels[0]?.name}") is the low level and must not be a TCM level`, path);
  let filedb: string | Record<string, unknown> | undefined;
  if (typeof raw.filedb === "string") filedb = expand(raw.filedb);
  else if (typeof raw.filedb === "object" && raw.filedb !== null && !Array.isArray(raw.filedb))
    filedb = raw.filedb as Record<string, unknown>;
  else if (raw.filedb !== undefined) throw bad(`"filedb" must be a path or a FileDB config object`, path);
  return { levels, ...(filedb === undefined ? {} : { filedb }), configDir, raw };
}
