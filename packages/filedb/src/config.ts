/**
 * FileDB configuration: validation, `$_` / environment-variable / `~` expansion, `data_dir`
 * resolution (spec filedb-loader §1.1–§1.2).
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { FileDbError } from "./errors.js";
import { compileTemplate, type Template, type TemplateFieldType } from "./template.js";

/** A FileDB config as written in JSON (pygama.flow's format). Unknown keys are kept. */
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
export interface ResolveConfigOptions {
  /** Directory substituted for `$_` / `${_}` (default: the config file's directory, else `cwd`). */
  configDir?: string;
  /** Base for a relative `data_dir` (default `process.cwd()`, as pygama). */
  cwd?: string;
  /** Environment for `$VAR` / `${VAR}` expansion (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Replace `data_dir` (before expansion), e.g. to point a config at a copy of the data. */
  dataDir?: string;
  /** Do not check that `data_dir` exists (used when reloading a saved database). */
  allowMissingDataDir?: boolean;
}

/** A validated config with everything resolved. */
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

function badConfig(what: string, path?: string, cause?: unknown): FileDbError {
  return new FileDbError(
    "FILEDB_BAD_CONFIG",
    `filedb: invalid config${path ? ` ${path}` : ""}: ${what}\nA valid config looks like:\n${EXAMPLE}`,
    { path, cause },
  );
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "string" ? `the string ${JSON.stringify(v)}` : `a ${typeof v}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
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
 * left as they are, like Python's `os.path.expandvars`), then a leading `~`.
 */
export function expandVariables(
  text: string,
  configDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: { home?: boolean } = {},
): string {
  let s = text.replace(/\$(?:\{_\}|_(?![A-Za-z0-9_]))/g, () => configDir);
  s = s.replace(/\$(?:\{([^}]+)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (all, braced: string | undefined, bare: string | undefined) => {
    const value = env[(braced ?? bare)!];
    return value === undefined ? all : value;
  });
  if (options.home !== false && (s === "~" || s.startsWith("~/"))) s = homedir() + s.slice(1);
  return s;
}

function hasGlob(s: string): boolean {
  return /[*?[]/.test(s);
}

function globToRegExp(component: string): RegExp {
  let re = "";
  for (let i = 0; i < component.length; i++) {
    const c = component[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = component.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        let body = component.slice(i + 1, end);
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** Expand a path with `*`, `?`, `[…]` wildcards (per component, no `**`); sorted matches. */
export function globPaths(pattern: string): string[] {
  const absolute = resolve(pattern);
  if (!hasGlob(absolute)) {
    try {
      statSync(absolute);
      return [absolute];
    } catch {
      return [];
    }
  }
  const parts = absolute.split("/").filter((p) => p !== "");
  let current = ["/"];
  for (const part of parts) {
    const next: string[] = [];
    for (const base of current) {
      if (!hasGlob(part)) {
        const p = join(base, part);
        try {
          statSync(p);
          next.push(p);
        } catch {
          // no match below this base
        }
        continue;
      }
      const re = globToRegExp(part);
      let entries: string[];
      try {
        entries = readdirSync(base);
      } catch {
        continue;
      }
      for (const e of entries.sort()) if (re.test(e) && (part.startsWith(".") || !e.startsWith("."))) next.push(join(base, e));
    }
    current = next;
  }
  return current.sort();
}

/**
 * Validate a config object and resolve its paths and templates.
 *
 * Checks: the four required keys and their types; every tier of `tier_dirs` has a `file_format`
 * and a `table_format`; every tier's file template only uses fields of the lowest tier's template;
 * each table template has at most one field; `tables`/`columns` (optional) are objects of arrays;
 * `data_dir` (after expansion and globbing) names exactly one existing directory.
 *
 * @throws FileDbError `FILEDB_BAD_CONFIG` (the message shows a valid example),
 *   `FILEDB_BAD_TEMPLATE` for a template that does not compile, `FILEDB_DIR_NOT_FOUND` when
 *   `data_dir` matches no directory (or more than one).
 */
export function resolveFileDbConfig(input: unknown, options: ResolveConfigOptions = {}, path?: string): ResolvedFileDbConfig {
  const cwd = options.cwd ?? process.cwd();
  const configDir = options.configDir ?? (path ? dirname(resolve(cwd, path)) : cwd);
  const env = options.env ?? process.env;
  const v = validateFileDbConfig(input, path, options.dataDir);
  const dataDirText = options.dataDir ?? (v.input.data_dir as string);
  const { tiers, tierDirsIn } = v;
  const expanded = expandVariables(dataDirText, configDir, env);
  const matches = globPaths(isAbsolute(expanded) ? expanded : resolve(cwd, expanded));
  let dataDir: string;
  if (matches.length === 1 && statSync(matches[0]!).isDirectory()) dataDir = matches[0]!;
  else if (options.allowMissingDataDir && matches.length === 0 && !hasGlob(expanded)) dataDir = resolve(cwd, expanded);
  else {
    throw new FileDbError(
      "FILEDB_DIR_NOT_FOUND",
      matches.length === 0
        ? `filedb: data_dir ${JSON.stringify(dataDirText)} (resolved to ${resolve(cwd, expanded)}) does not exist`
        : matches.length > 1
          ? `filedb: data_dir ${JSON.stringify(dataDirText)} matches ${matches.length} paths, expected exactly one: ${matches.slice(0, 5).join(", ")}`
          : `filedb: data_dir ${matches[0]} is not a directory`,
      { path: resolve(cwd, expanded) },
    );
  }
  const tierDirsExpanded: Record<string, string> = {};
  const tierDirs: Record<string, string> = {};
  for (const tier of tiers) {
    const t = expandVariables(tierDirsIn[tier]!, configDir, env);
    tierDirsExpanded[tier] = t;
    tierDirs[tier] = join(dataDir, t.replace(/^\/+/, ""));
  }
  const config: FileDbConfig = { ...(v.input as FileDbConfig), data_dir: dataDir, tier_dirs: tierDirsExpanded };
  return { ...v.resolved, config, dataDir, tierDirs };
}

/** Options of {@link resolveFileDbConfigInDirectory}. */
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
    const t = expandVariables(v.tierDirsIn[tier]!, "", options.env ?? {}, { home: false });
    tierDirsExpanded[tier] = t;
    tierDirs[tier] = t.split("/").filter((x) => x !== "" && x !== ".").join("/");
  }
  const config: FileDbConfig = { ...(v.input as FileDbConfig), tier_dirs: tierDirsExpanded };
  return { ...v.resolved, config, dataDir: "", tierDirs };
}

/** The platform-neutral checks of a config (everything but `data_dir`'s location). */
function validateFileDbConfig(
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
    for (const tier of tiers) if (!(tier in map)) throw badConfig(`"${key}" has no entry for tier "${tier}" (tiers: ${tiers.join(", ")})`, path);
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
        throw badConfig(`"file_format.${tier}" uses field "${f.name}", which is not in the lowest tier's template "file_format.${tiers[0]}"`, path);
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

/**
 * Read a JSON config file and resolve it (`$_` = the file's directory).
 * @throws FileDbError `FILEDB_NOT_FOUND` if the file cannot be read, `FILEDB_BAD_CONFIG` for
 *   invalid JSON or content, plus the codes of {@link resolveFileDbConfig}.
 */
export function readFileDbConfig(path: string, options: ResolveConfigOptions = {}): ResolvedFileDbConfig {
  const cwd = options.cwd ?? process.cwd();
  const absolute = resolve(cwd, path);
  let text: string;
  try {
    text = readFileSync(absolute, "utf8");
  } catch (cause) {
    throw new FileDbError("FILEDB_NOT_FOUND", `filedb: cannot read config file ${absolute}: ${(cause as Error).message}`, { path: absolute, cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw badConfig(`not valid JSON (${(cause as Error).message})`, absolute, cause);
  }
  return resolveFileDbConfig(json, { ...options, configDir: options.configDir ?? dirname(absolute) }, absolute);
}
