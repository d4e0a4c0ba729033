/** Loader configurations from files (Node): `file.json`, `file.json[a/b]`, a directory's `config.json`. */
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { LoaderError } from "./errors.js";
import { EXAMPLE, type LoaderConfig, parseLoaderConfig } from "./loader-config.js";

/**
 * Expand `$_`/`${_}` (the config directory), `$VAR`/`${VAR}` (environment; unknown ones are kept as
 * is) and a leading `~`, in that order (pygama: `Template.safe_substitute`, `expandvars`, `expanduser`).
 */
export function expandConfigPath(text: string, configDir: string): string {
  let out = text.replace(/\$(?:\{_\}|_(?![A-Za-z0-9_]))/g, () => configDir);
  out = out.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, a, b) => {
    const value = process.env[(a ?? b) as string];
    return value === undefined ? whole : value;
  });
  if (out === "~" || out.startsWith("~/")) out = homedir() + out.slice(1);
  return out;
}

/**
 * Read a loader configuration from a file or take it from an object, and validate it.
 *
 * String forms (pygama's test_init_variants): `path/file.json`, `path/file.json[a/b]` (use
 * `config.a.b`), a directory (→ `dir/config.json`) and `dir[a/b]`. For object configs, `$_` is `cwd`.
 *
 * @throws LoaderError `LOADER_CONFIG_NOT_FOUND` (file or sub-path missing), `LOADER_BAD_CONFIG`.
 */
export function readLoaderConfig(source: string | Record<string, unknown>, options: { cwd?: string } = {}): LoaderConfig {
  const cwd = options.cwd ?? process.cwd();
  if (typeof source !== "string") return parseLoaderConfig(source, cwd, undefined, (text) => expandConfigPath(text, cwd));
  let path = source;
  let subPath: string[] = [];
  const m = /^(.*)\[([^\]]*)\]$/.exec(source);
  if (m) {
    path = m[1] as string;
    subPath = (m[2] as string).split("/").filter((s) => s.length > 0);
  }
  path = resolve(cwd, path);
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch (cause) {
    throw new LoaderError("LOADER_CONFIG_NOT_FOUND", `loader config: ${path} does not exist`, { path, cause });
  }
  if (isDir) path = join(path, "config.json");
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    const missing = (cause as { code?: string }).code === "ENOENT";
    throw new LoaderError(
      missing ? "LOADER_CONFIG_NOT_FOUND" : "LOADER_BAD_CONFIG",
      missing ? `loader config: ${path} does not exist` : `loader config: ${path} is not valid JSON: ${(cause as Error).message}`,
      { path, cause },
    );
  }
  for (const key of subPath) {
    if (typeof parsed !== "object" || parsed === null || !(key in parsed)) {
      throw new LoaderError("LOADER_CONFIG_NOT_FOUND", `loader config: ${path} has no entry "${subPath.join("/")}" (missing "${key}")`, {
        path,
      });
    }
    parsed = (parsed as Record<string, unknown>)[key];
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new LoaderError("LOADER_BAD_CONFIG", `loader config: ${path} must hold a JSON object, e.g. ${EXAMPLE}`, { path });
  }
  const dir = dirname(path);
  return parseLoaderConfig(parsed as Record<string, unknown>, dir, path, (text) => expandConfigPath(text, dir));
}
