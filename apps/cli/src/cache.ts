import { createHash } from "node:crypto";
import { readdir, readFile, rm, stat, writeFile, mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

/**
 * The daqkit cache: `$XDG_CACHE_HOME/daqkit` when XDG_CACHE_HOME is an absolute path, else
 * `~/.cache/daqkit` (the XDG default; on Windows `%LOCALAPPDATA%\daqkit\cache`). Never the system temp folder.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, "daqkit");
  if (process.platform === "win32" && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, "daqkit", "cache");
  return join(homedir(), ".cache", "daqkit");
}

/** One cached item: `gen2/<hash>` holds the Parquet cache of one bin directory. */
export interface CacheEntry {
  kind: string;
  path: string;
  /** The directory the entry was made from, when recorded. */
  source: string | null;
  bytes: number;
  files: number;
  /** Last modification of any file in the entry (ISO). */
  modified: string;
}

/** The `gen2 read` Parquet cache directory of a bin directory (one per absolute path), recording its source. */
export async function gen2CacheDir(binDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const source = resolve(binDir);
  const dir = join(cacheRoot(env), "gen2", createHash("sha256").update(source).digest("hex").slice(0, 16));
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}.source`, `${source}\n`);
  return dir;
}

async function du(path: string): Promise<{ bytes: number; files: number; mtimeMs: number }> {
  const s = await stat(path);
  if (!s.isDirectory()) return { bytes: s.size, files: 1, mtimeMs: s.mtimeMs };
  let bytes = 0;
  let files = 0;
  let mtimeMs = s.mtimeMs;
  for (const name of await readdir(path)) {
    const sub = await du(join(path, name));
    bytes += sub.bytes;
    files += sub.files;
    mtimeMs = Math.max(mtimeMs, sub.mtimeMs);
  }
  return { bytes, files, mtimeMs };
}

/** Every entry of the cache under `root`, oldest first. */
export async function listCache(root: string): Promise<CacheEntry[]> {
  const entries: CacheEntry[] = [];
  let kinds: string[];
  try {
    kinds = await readdir(root);
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return [];
    throw error;
  }
  for (const kind of kinds.sort()) {
    const kindDir = join(root, kind);
    if (!(await stat(kindDir)).isDirectory()) continue;
    for (const name of (await readdir(kindDir)).sort()) {
      if (name.endsWith(".source")) continue;
      const path = join(kindDir, name);
      const size = await du(path);
      const source = await readFile(`${path}.source`, "utf8").then(
        (t) => t.trim(),
        () => null,
      );
      entries.push({ kind, path, source, bytes: size.bytes, files: size.files, modified: new Date(size.mtimeMs).toISOString() });
    }
  }
  return entries.sort((a, b) => a.modified.localeCompare(b.modified) || a.path.localeCompare(b.path));
}

/** Remove cache entries: all, or those last modified before `olderThan`. Returns the removed entries. */
export async function cleanCache(root: string, olderThan?: Date): Promise<CacheEntry[]> {
  const removed: CacheEntry[] = [];
  for (const entry of await listCache(root)) {
    if (olderThan !== undefined && Date.parse(entry.modified) >= olderThan.getTime()) continue;
    await rm(entry.path, { recursive: true, force: true });
    await rm(`${entry.path}.source`, { force: true });
    removed.push(entry);
  }
  return removed;
}
