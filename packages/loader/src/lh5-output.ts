import { rm, rename } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { arrowToLgdo, writeLh5 } from "@daqkit/lh5";
import type { Table } from "apache-arrow";
import { LoaderError } from "./errors.js";

/**
 * Write Arrow tables as LH5 tables (one per name, at the file's root) to `path`, replacing the file
 * atomically (written under a temporary name in the same directory, then renamed). LH5 has no
 * validity mask: null floats are written as NaN (the loader already stores NaN there), null
 * integers as 0.
 * @throws LoaderError `LOADER_IO` (the lh5 error is the `cause`).
 */
export async function writeArrowTablesToLh5(path: string, tables: readonly (readonly [string, Table])[]): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    let first = true;
    for (const [name, table] of tables) {
      await writeLh5(tmp, name, arrowToLgdo(table), { mode: first ? "w" : "a" });
      first = false;
    }
    if (first) throw new Error("nothing to write");
    await rename(tmp, path);
  } catch (cause) {
    await rm(tmp, { force: true });
    throw new LoaderError("LOADER_IO", `loader: cannot write ${path}: ${(cause as Error).message}`, { path, cause });
  }
}
