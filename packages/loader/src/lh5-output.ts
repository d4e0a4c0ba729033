import { withAtomicPath } from "@daqkit/io/node";
import { arrowToLgdo, writeLh5 } from "@daqkit/lh5/node";
import type { Table } from "apache-arrow";
import { LoaderError } from "./errors.js";

/**
 * Write Arrow tables as LH5 tables (one per name, at the file's root) to `path`, replacing the file
 * atomically (`@daqkit/io`'s atomic writer: a temporary name in the same directory, fsync, rename;
 * temporaries left by dead writers are removed). LH5 has no
 * validity mask: null floats are written as NaN (the loader already stores NaN there), null
 * integers as 0.
 * @throws LoaderError `LOADER_IO` (the lh5 error is the `cause`).
 */
export async function writeArrowTablesToLh5(path: string, tables: readonly (readonly [string, Table])[]): Promise<void> {
  try {
    await withAtomicPath(
      path,
      async (tmp) => {
        let first = true;
        for (const [name, table] of tables) {
          await writeLh5(tmp, name, arrowToLgdo(table), { mode: first ? "w" : "a" });
          first = false;
        }
        if (first) throw new Error("nothing to write");
      },
      { legacyTemporary: /^(\d+)\.\d+\.tmp$/ },
    );
  } catch (cause) {
    throw new LoaderError("LOADER_IO", `loader: cannot write ${path}: ${(cause as Error).message}`, { path, cause });
  }
}
