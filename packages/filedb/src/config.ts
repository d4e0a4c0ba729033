/**
 * FileDB configuration: validation, `$_` / environment-variable / `~` expansion, `data_dir`
 * resolution (spec filedb-loader §1.1–§1.2).
 * This module is platform-neutral; the path-based resolution (`data_dir` on the local disk, config
 * files) is in `node-config.ts` (`@daqkit/filedb/node`).
 */
import { FileDbError } from "./errors.js";
import { compileTemplate, type Template, type TemplateFieldType } from "./template.js";

export interface FileDbConfig {
  /** Root directory of all tiers (variables expanded, then globbed; must match exactly one path). */
  data_dir: string;
  /** Tier name → directory below `data_dir`. Key order = tier order (first = lowest, scanned tier). */
  tier_dirs: Record<string, string>;
  /** Tier name → file-name template relative to the tier directory. */
  file_format: Record<string, string>;
  /** Tier name → table-path template inside the tier file (at most one field). */
  table_format: Record<string, string>;
  /** Optional: tier name → table ids (used with `columns` instead of opening files). */
  tables?: Record<string, (number | string)[]>;
  /** Optional: tier name → column names (used with `tables`). */
  columns?: Record<string, string[]>;
  /** Optional: column used to sort rows; default `"timestamp"` (parsed as a cycle key). */
  sortby?: string;
  [key: string]: unknown;
}

/** Options for {@link resolveFileDbConfig} and {@link readFileDbConfig}. */
export interface ResolvedFileDbConfig {
  /**
   * The config to store with a database: as given, but with `data_dir` replaced by the resolved
   * absolute path and `tier_dirs` values variable-expanded (so it can be re-resolved anywhere, B13).
   */
  readonly config: FileDbConfig;
  /** Absolute, resolved `data_dir`. */
  readonly dataDir: string;
  /** Tier names in order (first = lowest tier, most significant `file_status` bit). */
  readonly tiers: readonly string[];
  /** Tier name → absolute tier directory. */
  readonly tierDirs: Readonly<Record<string, string>>;
  /** Tier name → compiled file-name template. */
  readonly fileTemplates: Readonly<Record<string, Template>>;
  /** Tier name → compiled table template. */
  readonly tableTemplates: Readonly<Record<string, Template>>;
  /** Key fields: the lowest tier's template fields, sorted alphabetically (pygama column order). */
  readonly keyFields: readonly string[];
  /** Key field → `"d"` (integer) or `"s"` (string). */
  readonly keyTypes: Readonly<Record<string, TemplateFieldType>>;
  /** Sort column (default `"timestamp"`). */
  readonly sortby: string;
}

const EXAMPLE = `{
  "data_dir": "$_/../data/tier",
  "tier_dirs": { "raw": "/raw", "dsp": "/dsp" },
  "file_format": {
    "raw": "/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-{timestamp}-tier_raw.lh5",
    "dsp": "/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-{timestamp}-tier_dsp.lh5"
  },
  "table_format": { "raw": "ch{ch:07d}/raw", "dsp": "ch{ch:07d}/dsp" }
}`;

export function badConfig(what: string, path?: string, cause?: unknown): FileDbError {
  return new FileDbError(
    "FILEDB_BAD_CONFIG",
    `filedb: invalid config${path ? ` ${path}` : ""}: ${what}\nA valid config looks like:\n${EXAMPLE}`,
    { path, cause },
  );
}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "string" ? `the string ${JSON.stringify(v)}` : `a ${typeof v}`;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function stringMap(config: Record<string, unknown>, key: string, path?: string): Record<string, string> {
  const v = config[key];
  if (!isPlainObject(v)) throw badConfig(`"${key}" must be an object of tier name → string, found ${describe(v)}`, path);
  for (const [tier, s] of Object.entries(v)) {
    if (typeof s !== "string") throw badConfig(`"${key}.${tier}" must be a string, found ${describe(s)}`, path);
  }
  return v as Record<string, string>;
}

/**
 * Expand `$_`/`${_}` (config directory), then `$VAR`/`${VAR}` from `env` (unknown variables are
 * left as they are, like Python's `os.path.expandvars`), then a leading `~` when `home` is given.
 */
export function expandConfigText(
  text: string,
  configDir: string,
  env: Readonly<Record<string, string | undefined>>,
  home?: string,
): string {
  let s = text.replace(/\$(?:\{_\}|_(?![A-Za-z0-9_]))/g, () => configDir);
  s = s.replace(/\$(?:\{([^}]+)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (all, braced: string | undefined, bare: string | undefined) => {
    const value = env[(braced ?? bare)!];
    return value === undefined ? all : value;
  });
  if (home !== undefined && (s === "~" || s.startsWith("~/"))) s = home + s.slice(1);
  return s;
}

export interface ResolveInDirectoryOptions {
  /** Environment for `$VAR` / `${VAR}` expansion in `tier_dirs` (default: none, variables stay as they are). */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Validate a config for a database whose data directory is an `@daqkit/io` directory source (any
 * platform): `data_dir` is not used (the source is the data directory); tier directories are paths
 * relative to the source's root (`/raw` → `raw`). `dataDir` is `""`.
 * @throws FileDbError `FILEDB_BAD_CONFIG`, `FILEDB_BAD_TEMPLATE` (as {@link resolveFileDbConfig})
 */
export function resolveFileDbConfigInDirectory(input: unknown, options: ResolveInDirectoryOptions = {}): ResolvedFileDbConfig {
  const v = validateFileDbConfig(input, undefined, "");
  const tierDirsExpanded: Record<string, string> = {};
  const tierDirs: Record<string, string> = {};
  for (const tier of v.tiers) {
    const t = expandConfigText(v.tierDirsIn[tier]!, "", options.env ?? {});
    tierDirsExpanded[tier] = t;
    tierDirs[tier] = t
      .split("/")
      .filter((x) => x !== "" && x !== ".")
      .join("/");
  }
  const config: FileDbConfig = { ...(v.input as FileDbConfig), tier_dirs: tierDirsExpanded };
  return { ...v.resolved, config, dataDir: "", tierDirs };
}

/** The platform-neutral checks of a config (everything but `data_dir`'s location). @internal */
export function validateFileDbConfig(
  input: unknown,
  path: string | undefined,
  dataDirOverride: string | undefined,
): {
  input: Record<string, unknown>;
  tiers: string[];
  tierDirsIn: Record<string, string>;
  resolved: Omit<ResolvedFileDbConfig, "config" | "dataDir" | "tierDirs">;
} {
  if (!isPlainObject(input)) throw badConfig(`the config must be a JSON object, found ${describe(input)}`, path);
  const dataDirText = dataDirOverride ?? input.data_dir;
  if (typeof dataDirText !== "string" || (dataDirText === "" && dataDirOverride === undefined)) {
    throw badConfig(`"data_dir" must be a non-empty string, found ${describe(dataDirText)}`, path);
  }
  const tierDirsIn = stringMap(input, "tier_dirs", path);
  const tiers = Object.keys(tierDirsIn);
  if (tiers.length === 0) throw badConfig(`"tier_dirs" must name at least one tier`, path);
  if (tiers.length > 31) throw badConfig(`at most 31 tiers are supported (file_status bits), found ${tiers.length}`, path);
  const fileFormat = stringMap(input, "file_format", path);
  const tableFormat = stringMap(input, "table_format", path);
  for (const [key, map] of [
    ["file_format", fileFormat],
    ["table_format", tableFormat],
  ] as const) {
    for (const tier of tiers)
      if (!(tier in map)) throw badConfig(`"${key}" has no entry for tier "${tier}" (tiers: ${tiers.join(", ")})`, path);
    for (const tier of Object.keys(map)) {
      if (!tierDirsIn[tier]) throw badConfig(`"${key}.${tier}" names a tier that is not in "tier_dirs" (tiers: ${tiers.join(", ")})`, path);
    }
  }
  const fileTemplates: Record<string, Template> = {};
  const tableTemplates: Record<string, Template> = {};
  for (const tier of tiers) {
    fileTemplates[tier] = compileTemplate(fileFormat[tier]!);
    tableTemplates[tier] = compileTemplate(tableFormat[tier]!);
    if (tableTemplates[tier].names.length > 1 || tableTemplates[tier].fields.length > 1) {
      throw badConfig(`"table_format.${tier}" = ${JSON.stringify(tableFormat[tier])}: tables can only have one identifier field`, path);
    }
  }
  const low = fileTemplates[tiers[0]!]!;
  if (low.names.length === 0) throw badConfig(`"file_format.${tiers[0]}" has no {field}: cannot tell cycles apart`, path);
  const keyTypes: Record<string, TemplateFieldType> = {};
  for (const f of low.fields) keyTypes[f.name] = f.type;
  for (const tier of tiers.slice(1)) {
    for (const f of fileTemplates[tier]!.fields) {
      if (!(f.name in keyTypes)) {
        throw badConfig(
          `"file_format.${tier}" uses field "${f.name}", which is not in the lowest tier's template "file_format.${tiers[0]}"`,
          path,
        );
      }
    }
  }
  for (const key of ["tables", "columns"] as const) {
    const v = input[key];
    if (v === undefined) continue;
    if (!isPlainObject(v)) throw badConfig(`"${key}" must be an object of tier name → array, found ${describe(v)}`, path);
    for (const [tier, list] of Object.entries(v)) {
      if (!tierDirsIn[tier]) throw badConfig(`"${key}.${tier}" names a tier that is not in "tier_dirs"`, path);
      const ok =
        Array.isArray(list) &&
        list.every((x) => typeof x === "string" || (key === "tables" && typeof x === "number" && Number.isInteger(x)));
      if (!ok) throw badConfig(`"${key}.${tier}" must be an array of ${key === "tables" ? "integers or strings" : "strings"}`, path);
    }
  }
  const sortby = input.sortby === undefined ? "timestamp" : input.sortby;
  if (typeof sortby !== "string" || sortby === "") throw badConfig(`"sortby" must be a column name, found ${describe(sortby)}`, path);

  return {
    input,
    tiers,
    tierDirsIn,
    resolved: { tiers, fileTemplates, tableTemplates, keyFields: [...low.names].sort(), keyTypes, sortby },
  };
}
