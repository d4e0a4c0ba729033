import { lazyModule } from "@daqkit/io";
/** The local file system as a {@link FileDbHost} (Node). */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { FileDbHost } from "./file-host.js";
import { statIfExists, statSizes } from "./stat-files.js";
import { walkFiles } from "./walk.js";

// @daqkit/lh5 is imported on first use (a scan that never opens LH5 files does not load h5wasm), once.
const lh5Node = lazyModule(() => import("@daqkit/lh5/node"));

/** The local file system; relative paths are taken from the working directory as the last resort. */
export const nodeFileHost: FileDbHost = {
  isDirectory: (path) => statIfExists(path)?.isDirectory() ?? false,
  walkFiles: (dir, visit) => walkFiles(dir, visit),
  statSizes,
  resolveDirectory: (dir, bases) => {
    const tried = isAbsolute(dir) ? [dir] : [...bases.map((b) => join(b, dir)), resolve(dir)];
    const found = tried.find((c) => existsSync(c) && statSync(c).isDirectory());
    return { found: found === undefined ? undefined : resolve(found), tried };
  },
  openLh5: async (path, options) => (lh5Node.loaded ?? (await lh5Node.load())).openLh5(path, options),
  openLh5Links: async (path) => (lh5Node.loaded ?? (await lh5Node.load())).openLh5Links(path),
};
