/// <reference path="./h5wasm-plugins.d.ts" />
import { existsSync } from "node:fs";
import type * as H5 from "h5wasm/node";

/** The loaded h5wasm namespace plus the set of HDF5 filter ids it can decode. */
export interface H5Runtime {
  readonly h5: typeof H5;
  /** Filter ids available without plugins (HDF5 core filters). */
  readonly builtinFilters: ReadonlySet<number>;
  /** Filter ids available through h5wasm-plugins (empty when the plugins failed to load). */
  readonly pluginFilters: ReadonlySet<number>;
}

/** HDF5 core filters compiled into h5wasm: deflate, shuffle, fletcher32, szip, nbit, scaleoffset. */
const BUILTIN_FILTERS: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6]);

/** Registered HDF5 filter ids of the h5wasm-plugins 0.2.1 shared objects. */
const PLUGIN_FILTER_IDS: Readonly<Record<string, number>> = {
  bshuf: 32008,
  blosc: 32001,
  blosc2: 32026,
  bz2: 307,
  jpeg: 32019,
  lz4: 32004,
  lzf: 32000,
  zfp: 32013,
  zstd: 32015,
  bitgroom: 32022,
  bitround: 32023,
};

/** Human names for filter ids, used in error messages. */
export const FILTER_NAMES: Readonly<Record<number, string>> = {
  1: "gzip",
  2: "shuffle",
  3: "fletcher32",
  4: "szip",
  5: "nbit",
  6: "scaleoffset",
  ...Object.fromEntries(Object.entries(PLUGIN_FILTER_IDS).map(([k, v]) => [v, k])),
};

let runtime: Promise<H5Runtime> | undefined;

async function load(): Promise<H5Runtime> {
  const h5 = await import("h5wasm/node");
  const module = await h5.ready;
  module.activate_throwing_error_handler();
  const pluginFilters = new Set<number>();
  try {
    // h5wasm-plugins ships no types; it adds its folder of .so filters to the plugin search path.
    const plugins = (await import("h5wasm-plugins")) as unknown as {
      install_local_plugins(m: unknown): void;
      base_url: string;
    };
    plugins.install_local_plugins(module);
    const dir = decodeURIComponent(plugins.base_url.replace(/^file:\/\//, ""));
    for (const [name, id] of Object.entries(PLUGIN_FILTER_IDS)) {
      if (existsSync(`${dir}/plugins/libH5Z${name}.so`)) pluginFilters.add(id);
    }
  } catch {
    // No plugins: zstd/lzf datasets raise LH5_FILTER_UNAVAILABLE instead of returning garbage.
  }
  return { h5, builtinFilters: BUILTIN_FILTERS, pluginFilters };
}

/** Load h5wasm once (memoised; the cache is cleared if loading fails). */
export function h5ready(): Promise<H5Runtime> {
  if (!runtime) {
    runtime = load().catch((error: unknown) => {
      runtime = undefined;
      throw error;
    });
  }
  return runtime;
}
