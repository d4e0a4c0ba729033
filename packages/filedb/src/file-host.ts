/**
 * What a FileDb needs from the place its tier files live: walk a directory, tell whether a directory
 * exists, and the sizes of files. Two hosts: the local file system (`nodeFileHost`, Node) and a
 * listing of an `@daqkit/io` directory source taken once (`listingFileHost`, any platform). Paths
 * of a listing host are relative to the directory source's root, with `/` (`raw/cal/p03/…`).
 */
import type { DirectoryEntry } from "@daqkit/io";
import type { Lh5File, Lh5Links } from "@daqkit/lh5";

/**
 * How a FileDB opens an LH5 file: `runtime: "on-demand"` asks `@daqkit/lh5` not to load h5wasm until a
 * read needs it (host paths; see `OpenLh5Options.runtime`). Other sources load it at open.
 */
export interface OpenLh5FileOptions {
  readonly runtime?: "on-demand";
}

/** File-system operations of a FileDb (synchronous: a directory source is listed beforehand). */
export interface FileDbHost {
  /** True when `path` is an existing directory. */
  isDirectory(path: string): boolean;
  /**
   * Every regular file below `dir` (recursive, sorted by name; links to directories not followed):
   * `visit(relativeDir, name)` with `relativeDir` `""` for `dir` itself and `"/a/b"` below it.
   */
  walkFiles(dir: string, visit: (relativeDir: string, name: string) => void): void;
  /** Sizes in bytes of `paths`, -1 where a path is not a file. */
  statSizes(paths: readonly string[]): Float64Array;
  /**
   * The directory a `scanFiles(dirs)` argument names, tried as given and then inside each of
   * `bases` (first that exists), normalised; `tried` lists the candidates (for the error message).
   */
  resolveDirectory(dir: string, bases: readonly string[]): { found: string | undefined; tried: string[] };
  /**
   * Open the LH5 file at a host path (only the local-disk host of `@daqkit/filedb/node` has it;
   * a directory source's entries are opened through the source).
   */
  openLh5?(path: string, options?: OpenLh5FileOptions): Promise<Lh5File>;
  /** The fast link lister over the LH5 file at a host path (as {@link FileDbHost.openLh5}). */
  openLh5Links?(path: string): Promise<Lh5Links>;
}

/** `a/./b//c/` → `a/b/c`; `..` removes a segment (never above the root); no leading `/`. */
export function normalizeRelative(path: string): string {
  const out: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  return out.join("/");
}

/**
 * A host over one listing of a directory source (`source.list({ recursive: true })`): fast, and the
 * same answers until the listing is taken again (`FileDb.refreshDirectory`).
 */
export function listingFileHost(entries: readonly DirectoryEntry[]): FileDbHost {
  const files = new Map<string, number>();
  const directories = new Set<string>([""]);
  /** Directory → its direct files (names), in listing (= path) order. */
  const children = new Map<string, { files: string[]; dirs: string[] }>();
  const childrenOf = (dir: string) => {
    let c = children.get(dir);
    if (!c) {
      c = { files: [], dirs: [] };
      children.set(dir, c);
    }
    return c;
  };
  for (const e of entries) {
    const slash = e.path.lastIndexOf("/");
    const parent = slash < 0 ? "" : e.path.slice(0, slash);
    const name = e.path.slice(slash + 1);
    if (e.kind === "file") {
      files.set(e.path, e.size);
      childrenOf(parent).files.push(name);
    } else {
      directories.add(e.path);
      childrenOf(parent).dirs.push(name);
    }
  }
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const walk = (dir: string, visit: (relativeDir: string, name: string) => void, relativeDir: string): void => {
    const c = children.get(dir);
    if (!c) return;
    for (const name of [...c.files].sort(byName)) visit(relativeDir, name);
    for (const name of [...c.dirs].sort(byName)) walk(dir === "" ? name : `${dir}/${name}`, visit, `${relativeDir}/${name}`);
  };
  return {
    isDirectory: (path) => directories.has(normalizeRelative(path)),
    walkFiles: (dir, visit) => walk(normalizeRelative(dir), visit, ""),
    statSizes: (paths) => Float64Array.from(paths, (p) => files.get(normalizeRelative(p)) ?? -1),
    resolveDirectory: (dir, bases) => {
      const tried = [normalizeRelative(dir), ...bases.map((b) => normalizeRelative(`${b}/${dir}`))];
      return { found: tried.find((t) => directories.has(t)), tried };
    },
  };
}
