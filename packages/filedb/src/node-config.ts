/**
 * FileDB configuration on the local disk (Node): `data_dir` resolution (variables, `~`, wildcards,
 * relative to the working directory), config files (spec filedb-loader §1.1–§1.2).
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { badConfig, expandConfigText, type FileDbConfig, type ResolvedFileDbConfig, validateFileDbConfig } from "./config.js";
import { FileDbError } from "./errors.js";

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

/**
 * Expand `$_`/`${_}` (config directory), then `$VAR`/`${VAR}` from `env` (unknown variables are
 * left as they are, like Python's `os.path.expandvars`), then a leading `~`.
 */
export function expandVariables(text: string, configDir: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  return expandConfigText(text, configDir, env, homedir());
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
    throw new FileDbError("FILEDB_NOT_FOUND", `filedb: cannot read config file ${absolute}: ${(cause as Error).message}`, {
      path: absolute,
      cause,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw badConfig(`not valid JSON (${(cause as Error).message})`, absolute, cause);
  }
  return resolveFileDbConfig(json, { ...options, configDir: options.configDir ?? dirname(absolute) }, absolute);
}
