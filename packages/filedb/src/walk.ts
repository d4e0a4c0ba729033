import { type Dirent, readdirSync } from "node:fs";
import { join } from "node:path";
import { statIfExists } from "./stat-files.js";

/**
 * Every regular file below `dir` (recursive; symbolic links to files count as files, links to
 * directories are not followed, as Python's `os.walk`). Calls `visit(relativeDir, name)` where
 * `relativeDir` is `""` for `dir` itself and `"/a/b"` below it. Entries are visited in sorted order.
 */
export function walkFiles(dir: string, visit: (relativeDir: string, name: string) => void, relativeDir = ""): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const subdirs: string[] = [];
  for (const e of entries) {
    if (e.isFile()) visit(relativeDir, e.name);
    else if (e.isDirectory()) subdirs.push(e.name);
    else if (e.isSymbolicLink()) {
      const s = statIfExists(join(dir, e.name));
      if (s?.isFile()) visit(relativeDir, e.name);
    }
  }
  for (const name of subdirs) walkFiles(join(dir, name), visit, `${relativeDir}/${name}`);
}
