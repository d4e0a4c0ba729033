import { type BlobLike, type ByteSource, blobSource } from "./byte-source.js";
import { IoError } from "./errors.js";
import { type HttpSourceOptions, openHttpSource } from "./http-source.js";

/** One entry of a {@link DirectorySource}. */
export interface DirectoryEntry {
  /** Path relative to the directory root, segments joined with `/` (never a leading `/`, never `.`/`..`). */
  readonly path: string;
  readonly kind: "file" | "directory";
  /** Size in bytes (0 for directories). */
  readonly size: number;
  /** Last modification time in milliseconds since the Unix epoch (0 when the platform does not know it). */
  readonly mtimeMs: number;
}

/** Options of {@link DirectorySource.list}. */
export interface ListOptions {
  /** List every level below (`true`) or only the direct children (`false`, the default). */
  readonly recursive?: boolean;
  /** List below this relative directory instead of the root (paths stay relative to the root). */
  readonly under?: string;
}

/**
 * A read-only directory tree: a Node directory, a browser folder (`FileSystemDirectoryHandle` or a
 * dropped/picked list of `File`s) or an HTTP listing. Entries are sorted by `path` (UTF-16 code
 * units). Symbolic links to files count as files; links to directories are not followed.
 */
export interface DirectorySource {
  /** A name for messages (the path, the URL or the folder's name). */
  readonly name: string;
  /** The entries below the root (or below `options.under`); `IO_NOT_FOUND` when `under` does not exist. */
  list(options?: ListOptions): Promise<DirectoryEntry[]>;
  /** Open the file at a relative path as a byte source; `IO_NOT_FOUND` when absent, `IO_INVALID_PATH` for `..`/absolute paths. */
  open(path: string): Promise<ByteSource>;
}

/**
 * Validate a relative entry path and return its segments (`""` → `[]`, the root). Throws
 * `IO_INVALID_PATH` for absolute paths, empty, `.` or `..` segments and backslashes.
 */
export function entryPathSegments(path: string, directoryName: string): string[] {
  if (path === "") return [];
  const segments = path.split("/");
  if (path.includes("\\") || segments.some((s) => s === "" || s === "." || s === "..")) {
    throw new IoError(
      "IO_INVALID_PATH",
      `io: ${directoryName}: invalid entry path ${JSON.stringify(path)}: expected a relative path like "a/b.lh5" without "", "." or ".." segments`,
      { path },
    );
  }
  return segments;
}

/** Sort entries by path in code-unit order (the order every directory source returns). */
export function sortEntries<T extends { readonly path: string }>(entries: T[]): T[] {
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Select from a complete recursive listing what `list(options)` returns. */
function selectEntries(all: readonly DirectoryEntry[], options: ListOptions | undefined, name: string): DirectoryEntry[] {
  const under = entryPathSegments(options?.under ?? "", name).join("/");
  if (under !== "" && !all.some((e) => e.path === under && e.kind === "directory")) {
    throw new IoError("IO_NOT_FOUND", `io: ${name}: no directory ${JSON.stringify(under)}`, { path: under });
  }
  const prefix = under === "" ? "" : `${under}/`;
  return all.filter((e) => {
    if (!e.path.startsWith(prefix)) return false;
    return options?.recursive ? true : !e.path.slice(prefix.length).includes("/");
  });
}

/** Add the directories implied by file paths (`a/b/c.bin` → `a`, `a/b`). */
function withParents(files: readonly DirectoryEntry[]): DirectoryEntry[] {
  const out = new Map<string, DirectoryEntry>();
  for (const f of files) {
    out.set(f.path, f);
    const parts = f.path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (!out.has(dir)) out.set(dir, { path: dir, kind: "directory", size: 0, mtimeMs: 0 });
    }
  }
  return sortEntries([...out.values()]);
}

/** A `File` as a dropped or picked folder gives it (`<input webkitdirectory>`, drag and drop). */
export interface FileLike extends BlobLike {
  readonly name: string;
  readonly lastModified?: number;
  /** `folder/sub/file.bin` for files of a picked folder; `""` otherwise. */
  readonly webkitRelativePath?: string;
}

/**
 * A directory source over a dropped or picked folder given as a list of `File`s. Each file's path is
 * its `webkitRelativePath` (or its `name` when that is empty); when every path starts with the same
 * folder name (the picked folder), that first segment is removed, so paths are relative to the folder.
 * Directories are implied by the file paths. Duplicate paths → `IO_INVALID_PATH`.
 */
export function fileListDirectory(files: Iterable<FileLike>, name = "files"): DirectorySource {
  const list = [...files];
  const rawPaths = list.map((f) => (f.webkitRelativePath ? f.webkitRelativePath : f.name));
  const firsts = new Set(rawPaths.map((p) => (p.includes("/") ? p.slice(0, p.indexOf("/")) : "")));
  const [commonRoot] = firsts;
  const strip = firsts.size === 1 && commonRoot !== "" && commonRoot !== undefined;
  const folderName = strip ? commonRoot : name;
  const byPath = new Map<string, FileLike>();
  const entries: DirectoryEntry[] = [];
  list.forEach((file, i) => {
    const path = strip ? rawPaths[i]!.slice(commonRoot!.length + 1) : rawPaths[i]!;
    entryPathSegments(path, folderName);
    if (byPath.has(path)) {
      throw new IoError("IO_INVALID_PATH", `io: ${folderName}: two files have the path ${JSON.stringify(path)}`, { path });
    }
    byPath.set(path, file);
    entries.push({ path, kind: "file", size: file.size, mtimeMs: file.lastModified ?? 0 });
  });
  const all = withParents(entries);
  return {
    name: folderName,
    list: async (options) => selectEntries(all, options, folderName),
    async open(path) {
      entryPathSegments(path, folderName);
      const file = byPath.get(path);
      if (!file) throw new IoError("IO_NOT_FOUND", `io: ${folderName}: no file ${JSON.stringify(path)}`, { path });
      return blobSource(file, `${folderName}/${path}`);
    },
  };
}

/** The parts of the File System Access API's `FileSystemDirectoryHandle` that are used. */
export interface DirectoryHandleLike {
  readonly kind: "directory";
  readonly name: string;
  values(): AsyncIterable<DirectoryHandleLike | FileHandleLike>;
  getDirectoryHandle(name: string): Promise<DirectoryHandleLike>;
  getFileHandle(name: string): Promise<FileHandleLike>;
}

/** The parts of `FileSystemFileHandle` that are used. */
export interface FileHandleLike {
  readonly kind: "file";
  readonly name: string;
  getFile(): Promise<FileLike>;
}

function handleError(directoryName: string, path: string, cause: unknown): IoError {
  const kind = (cause as { name?: unknown } | null)?.name;
  const missing = kind === "NotFoundError" || kind === "TypeMismatchError";
  return new IoError(missing ? "IO_NOT_FOUND" : "IO_FAILED", `io: ${directoryName}: ${JSON.stringify(path)}: ${String(cause)}`, {
    path,
    cause,
  });
}

/**
 * A directory source over a browser `FileSystemDirectoryHandle` (from `showDirectoryPicker()`, a
 * drop's `getAsFileSystemHandle()`, or the origin-private file system). Listing reads each file's
 * size and `lastModified`; opening gives a {@link blobSource} over the `File` (nothing copied).
 */
export function fileSystemHandleDirectory(root: DirectoryHandleLike): DirectorySource {
  const name = root.name;
  const resolveDirectory = async (segments: readonly string[], path: string): Promise<DirectoryHandleLike> => {
    let dir = root;
    try {
      for (const s of segments) dir = await dir.getDirectoryHandle(s);
    } catch (cause) {
      throw handleError(name, path, cause);
    }
    return dir;
  };
  const walk = async (dir: DirectoryHandleLike, prefix: string, recursive: boolean, out: DirectoryEntry[]): Promise<void> => {
    const children: (DirectoryHandleLike | FileHandleLike)[] = [];
    try {
      for await (const h of dir.values()) children.push(h);
    } catch (cause) {
      throw handleError(name, prefix, cause);
    }
    for (const h of children) {
      const path = `${prefix}${h.name}`;
      if (h.kind === "file") {
        let file: FileLike;
        try {
          file = await h.getFile();
        } catch (cause) {
          throw handleError(name, path, cause);
        }
        out.push({ path, kind: "file", size: file.size, mtimeMs: file.lastModified ?? 0 });
      } else {
        out.push({ path, kind: "directory", size: 0, mtimeMs: 0 });
        if (recursive) await walk(h, `${path}/`, true, out);
      }
    }
  };
  return {
    name,
    async list(options) {
      const segments = entryPathSegments(options?.under ?? "", name);
      const dir = await resolveDirectory(segments, options?.under ?? "");
      const out: DirectoryEntry[] = [];
      await walk(dir, segments.length === 0 ? "" : `${segments.join("/")}/`, options?.recursive ?? false, out);
      return sortEntries(out);
    },
    async open(path) {
      const segments = entryPathSegments(path, name);
      if (segments.length === 0) throw new IoError("IO_INVALID_PATH", `io: ${name}: cannot open the root as a file`, { path });
      const dir = await resolveDirectory(segments.slice(0, -1), path);
      let file: FileLike;
      try {
        file = await (await dir.getFileHandle(segments[segments.length - 1]!)).getFile();
      } catch (cause) {
        throw handleError(name, path, cause);
      }
      return blobSource(file, `${name}/${path}`);
    },
  };
}

/** The JSON document an HTTP directory source reads: every entry below the root, recursively. */
export interface DirectoryListing {
  readonly format: "daqkit-listing";
  readonly version: 1;
  /** All entries below the root (files and directories), sorted by path. */
  readonly entries: readonly DirectoryEntry[];
}

/** The file name under which a server publishes the listing of a directory (at its root). */
export const LISTING_FILE_NAME = ".daqkit-listing.json";

/**
 * Validate a parsed `daqkit-listing` document; throws `IO_BAD_LISTING` naming the listing, the entry
 * index, what was expected and what was found.
 */
export function parseDirectoryListing(value: unknown, listingName: string): DirectoryListing {
  const bad = (what: string): IoError => new IoError("IO_BAD_LISTING", `io: ${listingName}: ${what}`, { path: listingName });
  const doc = value as { format?: unknown; version?: unknown; entries?: unknown } | null;
  if (typeof doc !== "object" || doc === null || doc.format !== "daqkit-listing" || doc.version !== 1) {
    throw bad(`expected {"format":"daqkit-listing","version":1,"entries":[…]}, found ${JSON.stringify(value)?.slice(0, 80)}`);
  }
  if (!Array.isArray(doc.entries)) throw bad(`expected "entries" to be an array, found ${typeof doc.entries}`);
  const seen = new Set<string>();
  const entries = doc.entries.map((raw: unknown, i: number): DirectoryEntry => {
    const e = raw as Partial<DirectoryEntry> | null;
    const valid =
      typeof e === "object" &&
      e !== null &&
      typeof e.path === "string" &&
      (e.kind === "file" || e.kind === "directory") &&
      Number.isSafeInteger(e.size) &&
      (e.size as number) >= 0 &&
      typeof e.mtimeMs === "number" &&
      Number.isFinite(e.mtimeMs);
    if (!valid) {
      throw bad(
        `entry ${i}: expected {path: string, kind: "file"|"directory", size: integer ≥ 0, mtimeMs: number}, found ${JSON.stringify(raw)?.slice(0, 120)}`,
      );
    }
    try {
      entryPathSegments(e.path!, listingName);
    } catch (cause) {
      throw new IoError("IO_BAD_LISTING", `io: ${listingName}: entry ${i}: invalid path ${JSON.stringify(e.path)}`, {
        path: listingName,
        cause,
      });
    }
    if (e.path === "" || seen.has(e.path!)) throw bad(`entry ${i}: empty or duplicate path ${JSON.stringify(e.path)}`);
    seen.add(e.path!);
    return { path: e.path!, kind: e.kind!, size: e.size!, mtimeMs: e.mtimeMs! };
  });
  return { format: "daqkit-listing", version: 1, entries: withParents(entries) };
}

/** Options of {@link openHttpDirectory}. */
export interface HttpDirectoryOptions extends Omit<HttpSourceOptions, "size"> {
  /** The listing's URL (default `<base>/.daqkit-listing.json`, see {@link LISTING_FILE_NAME}). */
  readonly listingUrl?: string | URL;
}

/**
 * A directory source over HTTP: the server publishes a {@link DirectoryListing} (produced in Node by
 * `directoryListing` from `@daqkit/io/node`) and serves the files under `base` with `Range` support.
 * The listing is fetched once, now; files open as {@link openHttpSource} sources at `base` + the
 * entry path (each segment URL-encoded), with the listing's size (no size request per file).
 */
export async function openHttpDirectory(base: string | URL, options: HttpDirectoryOptions = {}): Promise<DirectorySource> {
  const baseUrl = new URL(String(base).endsWith("/") ? String(base) : `${String(base)}/`);
  const listingUrl = String(options.listingUrl ?? new URL(LISTING_FILE_NAME, baseUrl));
  const name = baseUrl.href;
  const doFetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(listingUrl, { headers: options.headers, signal: options.signal });
  } catch (cause) {
    throw new IoError("IO_FAILED", `io: ${listingUrl}: fetching the listing failed: ${String(cause)}`, { path: listingUrl, cause });
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new IoError(
      response.status === 404 ? "IO_NOT_FOUND" : "IO_FAILED",
      `io: ${listingUrl}: HTTP ${response.status} for the directory listing`,
      { path: listingUrl },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await response.text());
  } catch (cause) {
    throw new IoError("IO_BAD_LISTING", `io: ${listingUrl}: the listing is not JSON: ${String(cause)}`, { path: listingUrl, cause });
  }
  const listing = parseDirectoryListing(parsed, listingUrl);
  const sizes = new Map(listing.entries.filter((e) => e.kind === "file").map((e) => [e.path, e.size]));
  return {
    name,
    list: async (listOptions) => selectEntries(listing.entries, listOptions, name),
    async open(path) {
      const segments = entryPathSegments(path, name);
      const size = sizes.get(path);
      if (size === undefined) throw new IoError("IO_NOT_FOUND", `io: ${name}: no file ${JSON.stringify(path)} in the listing`, { path });
      // the listing gives the size: no size probe per file (the first read checks Range support)
      return openHttpSource(new URL(segments.map(encodeURIComponent).join("/"), baseUrl), { ...options, size });
    },
  };
}
