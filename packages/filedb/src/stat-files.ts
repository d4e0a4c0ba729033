import { type Stats, statSync } from "node:fs";
import { FileDbError } from "./errors.js";

/**
 * `stat` of a path, or `undefined` when nothing can be there: it does not exist, a component is not a
 * directory, the name is too long, or it loops (a template can produce any of these).
 * @throws FileDbError `FILEDB_UNREADABLE` for other file-system errors (e.g. no permission)
 */
export function statIfExists(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOTDIR" || code === "ENAMETOOLONG" || code === "ELOOP") return undefined;
    throw new FileDbError("FILEDB_UNREADABLE", `filedb: cannot stat ${path}: ${(error as Error).message}`, { path, cause: error });
  }
}

/**
 * Sizes in bytes of `paths`, -1 where a path does not exist. (A helper thread splitting the stat
 * calls was tried: no measurable gain on the shared 2-core machine, so it is not used.)
 */
export function statSizes(paths: readonly string[]): Float64Array {
  const sizes = new Float64Array(paths.length);
  for (let i = 0; i < paths.length; i++) {
    const st = statIfExists(paths[i]!);
    sizes[i] = st ? st.size : -1;
  }
  return sizes;
}
