import { H5_PLUGIN_FILTER_IDS } from "@daqkit/io";

/** HDF5 core filters compiled into h5wasm: deflate, shuffle, fletcher32, szip, nbit, scaleoffset. */
export const BUILTIN_FILTERS: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6]);

/** Human names for filter ids, used in error messages and `FilterInfo`. */
export const FILTER_NAMES: Readonly<Record<number, string>> = {
  1: "gzip",
  2: "shuffle",
  3: "fletcher32",
  4: "szip",
  5: "nbit",
  6: "scaleoffset",
  ...Object.fromEntries(Object.entries(H5_PLUGIN_FILTER_IDS).map(([k, v]) => [v, k])),
};
