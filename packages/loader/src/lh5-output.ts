import type { Table } from "apache-arrow";
import { LoaderError } from "./errors.js";

/**
 * Write Arrow tables as LH5 tables (one per name) to `path`, atomically (temporary file + rename).
 * @throws LoaderError `LOADER_IO`.
 */
export async function writeArrowTablesToLh5(path: string, tables: readonly (readonly [string, Table])[]): Promise<void> {
  void tables;
  throw new LoaderError("LOADER_IO", `loader: writing LH5 output (${path}) needs the @daqkit/lh5 writer, which is not available yet`, { path });
}
