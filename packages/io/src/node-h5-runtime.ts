import { existsSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { H5_PLUGIN_FILTER_IDS, type H5Namespace, type H5Runtime, openReadOnly, uniqueName } from "./h5-runtime.js";
import { IoError } from "./errors.js";

let nodeRuntime: Promise<H5Runtime> | undefined;

/**
 * Load h5wasm's Node build (`h5wasm/node`, NODERAWFS: paths are host paths, nothing copied) once,
 * with the throwing error handler and h5wasm-plugins' local filters. Memoised; cleared on failure.
 * `openBytes` writes a private temp file (removed on close).
 */
export function loadH5RuntimeNode(): Promise<H5Runtime> {
  nodeRuntime ??= (async (): Promise<H5Runtime> => {
    const h5 = (await import("h5wasm/node")) as unknown as H5Namespace;
    const module = await h5.ready;
    module.activate_throwing_error_handler();
    const pluginFilters = new Set<number>();
    try {
      const plugins = await import("h5wasm-plugins");
      plugins.install_local_plugins(module);
      const dir = decodeURIComponent(plugins.base_url.replace(/^file:\/\//, ""));
      for (const [name, id] of Object.entries(H5_PLUGIN_FILTER_IDS)) {
        if (existsSync(`${dir}/plugins/libH5Z${name}.so`)) pluginFilters.add(id);
      }
    } catch {
      // No plugins: readers report the missing filter with a coded error.
    }
    return {
      h5,
      kind: "node",
      pluginFilters,
      openBytes(bytes, name = "bytes") {
        const path = join(tmpdir(), `daqkit-${uniqueName("h5")}`);
        try {
          writeFileSync(path, bytes);
        } catch (cause) {
          throw new IoError("IO_FAILED", `io: ${name}: writing a temporary copy failed`, { path, cause });
        }
        return openReadOnly(h5, path, name, () => rmSync(path, { force: true }));
      },
      openBlob(_blob, name = "blob") {
        throw new IoError("IO_UNSUPPORTED", `io: ${name}: opening a Blob is for browsers (Web Worker); in Node use openPath or openBytes`, {
          path: name,
        });
      },
      openPath(path) {
        if (!existsSync(path)) throw new IoError("IO_NOT_FOUND", `io: ${path}: no such file`, { path });
        return openReadOnly(h5, path, path, () => undefined);
      },
    };
  })().catch((error: unknown) => {
    nodeRuntime = undefined;
    throw error;
  });
  return nodeRuntime;
}
