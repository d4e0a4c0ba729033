import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ByteSource } from "./byte-source.js";
import { type DirectoryEntry, type DirectoryListing, type DirectorySource, entryPathSegments, sortEntries } from "./directory-source.js";
import { IoError } from "./errors.js";
import { fileSystemError, openFileSource } from "./node-file-source.js";

async function walk(root: string, relative: string, recursive: boolean, out: DirectoryEntry[]): Promise<void> {
  const dir = relative === "" ? root : join(root, relative);
  let dirents: Dirent[];
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    throw fileSystemError(dir, "listing the directory", cause);
  }
  const subdirs: string[] = [];
  for (const d of dirents) {
    const path = relative === "" ? d.name : `${relative}/${d.name}`;
    if (!d.isFile() && !d.isDirectory() && !d.isSymbolicLink()) continue;
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(join(root, path));
    } catch (cause) {
      // A dangling symbolic link, or an entry removed while listing: not an entry.
      if ((cause as { code?: unknown }).code === "ENOENT") continue;
      throw fileSystemError(join(root, path), "stat", cause);
    }
    if (st.isFile()) out.push({ path, kind: "file", size: st.size, mtimeMs: st.mtimeMs });
    else if (st.isDirectory() && !d.isSymbolicLink()) {
      out.push({ path, kind: "directory", size: 0, mtimeMs: st.mtimeMs });
      subdirs.push(path);
    }
  }
  if (recursive) for (const s of subdirs) await walk(root, s, true, out);
}

/**
 * A directory source over a local directory (Node only). Checks now that `path` is a directory
 * (`IO_NOT_FOUND` otherwise). Links to files are files; links to directories are not followed.
 */
export async function openDirectorySource(path: string): Promise<DirectorySource> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (cause) {
    throw fileSystemError(path, "stat", cause);
  }
  if (!isDirectory) throw new IoError("IO_NOT_FOUND", `io: ${path}: not a directory`, { path });
  return {
    name: path,
    async list(options) {
      const relative = entryPathSegments(options?.under ?? "", path).join("/");
      const out: DirectoryEntry[] = [];
      await walk(path, relative, options?.recursive ?? false, out);
      return sortEntries(out);
    },
    async open(relative): Promise<ByteSource> {
      const segments = entryPathSegments(relative, path);
      if (segments.length === 0) throw new IoError("IO_INVALID_PATH", `io: ${path}: cannot open the root as a file`, { path });
      return openFileSource(join(path, ...segments));
    },
  };
}

/**
 * The {@link DirectoryListing} of a local directory (every entry, recursively), the JSON a server
 * publishes (as `.daqkit-listing.json` at the directory's URL) for `openHttpDirectory`.
 * The listing file itself, if present, is left out.
 */
export async function directoryListing(path: string): Promise<DirectoryListing> {
  const source = await openDirectorySource(path);
  const entries = (await source.list({ recursive: true })).filter((e) => e.path !== ".daqkit-listing.json");
  return { format: "daqkit-listing", version: 1, entries };
}
