import { type Stats, statSync } from "node:fs";
import { FileDbError } from "./errors.js";

/** statSync's options, made once (not an object per call of a 20 000-file scan). */
const NO_THROW = { throwIfNoEntry: false } as const;

/**
 * `stat` of a path, or `undefined` when nothing can be there: it does not exist, a component is not a
 * directory, the name is too long, or it loops (a template can produce any of these).
 * @throws FileDbError `FILEDB_UNREADABLE` for other file-system errors (e.g. no permission)
 */
export function statIfExists(path: string): Stats | undefined {
  try {
    return statSync(path, NO_THROW);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOTDIR" || code === "ENAMETOOLONG" || code === "ELOOP") return undefined;
    throw new FileDbError("FILEDB_UNREADABLE", `filedb: cannot stat ${path}: ${(error as Error).message}`, { path, cause: error });
  }
}

/**
 * Sizes in bytes of `paths`, -1 where a path does not exist. One `statSync` each: Node builds a
 * `Stats` object (with four `Date`s, ≈ 1 KB of garbage) per call and has no cheaper public way to
 * a file's size. Tried and not used: a helper thread splitting the calls (its start-up costs about
 * as much CPU as the stats; no gain on the shared 2-core machine) and concurrent `fs.stat` over the
 * libuv pool (the pool runs the system calls, but the main thread still builds every `Stats` in its
 * callback, so its own time is no lower than the synchronous calls', and the process uses ≈ 1.8× the CPU).
 */
export function statSizes(paths: readonly string[]): Float64Array {
  const sizes = new Float64Array(paths.length);
  for (let i = 0; i < paths.length; i++) {
    const st = statIfExists(paths[i]!);
    sizes[i] = st ? st.size : -1;
  }
  return sizes;
}
