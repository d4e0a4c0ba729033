/// <reference path="./h5wasm-plugins.d.ts" />
import type * as H5 from "h5wasm";
import { IoError } from "./errors.js";

/** The h5wasm namespace (`h5wasm` in browsers, `h5wasm/node` in Node: same API). */
export type H5Namespace = typeof H5;

/** An HDF5 file opened through an {@link H5Runtime}. `close()` closes it and frees what was made for it. */
export interface H5OpenFile {
  readonly file: H5.File;
  /** The name given for messages (path, `File` name…). */
  readonly name: string;
  close(): void;
}

/** A loaded h5wasm build with the throwing error handler active (the one policy of daqkit). */
export interface H5Runtime {
  readonly h5: H5Namespace;
  /** `"browser"`: the ESM/MEMFS build; `"node"`: the NODERAWFS build (paths are host paths). */
  readonly kind: "browser" | "node";
  /** HDF5 filter ids decodable through h5wasm-plugins (zstd 32015, lz4 32004, bitshuffle 32008…). */
  readonly pluginFilters: ReadonlySet<number>;
  /** Open bytes read-only (browser: a MEMFS copy; Node: a private temp file, removed on close). */
  openBytes(bytes: Uint8Array, name?: string): H5OpenFile;
  /**
   * Open a `Blob`/`File` read-only without copying it into memory: mounted through WORKERFS, which
   * reads slices on demand. Only inside a Web Worker (browser runtime); `IO_UNSUPPORTED` elsewhere
   * (in a page's main thread use `openBytes`, or run the reader in a worker).
   */
  openBlob(blob: Blob, name?: string): H5OpenFile;
  /** Open a host path read-only (Node runtime only; `IO_UNSUPPORTED` in browsers). */
  openPath(path: string): H5OpenFile;
}

/** Registered HDF5 filter ids of the h5wasm-plugins 0.2.1 filters. */
export const H5_PLUGIN_FILTER_IDS: Readonly<Record<string, number>> = {
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

/**
 * The one-line reason of an HDF5-DIAG stack: the innermost `#NNN: … major: … minor: …` record's
 * description, without file and line; the first non-empty line when the text is not a stack.
 */
export function summarizeHdf5Diagnostic(text: string): string {
  const lines = text.split("\n").map((l) => l.trim());
  const records = lines.filter((l) => /^#\d+:/.test(l));
  if (records.length === 0) return lines.find((l) => l !== "") ?? "HDF5 error";
  const last = records[records.length - 1]!;
  const reason = last.replace(/^#\d+:\s*\S+\s+line\s+\d+\s+in\s+/, "");
  const minor = lines.slice(lines.indexOf(last) + 1).find((l) => l.startsWith("minor:"));
  return minor ? `${reason} (${minor.slice(6).trim()})` : reason;
}

/**
 * Turn an error thrown by h5wasm (its message holds the HDF5-DIAG text) into `IO_HDF5_FAILED`: the
 * message is `io: <name>: <what>: <one-line reason>`, the original error (full text) is `cause`.
 * An `IoError` passes through unchanged.
 */
export function hdf5Error(error: unknown, name: string, what: string): IoError {
  if (IoError.isInstance(error)) return error;
  const text = error instanceof Error ? error.message : String(error);
  return new IoError("IO_HDF5_FAILED", `io: ${name}: ${what}: ${summarizeHdf5Diagnostic(text)}`, { path: name, cause: error });
}

/** Open `fsPath` read-only with `h5`, mapping failures to `IO_HDF5_FAILED`. */
export function openReadOnly(h5: H5Namespace, fsPath: string, name: string, cleanup: () => void): H5OpenFile {
  let file: H5.File;
  try {
    file = new h5.File(fsPath, "r");
  } catch (error) {
    cleanup();
    throw hdf5Error(error, name, "opening as HDF5");
  }
  let closed = false;
  return {
    file,
    name,
    close() {
      if (closed) return;
      closed = true;
      try {
        file.close();
      } finally {
        cleanup();
      }
    },
  };
}

let counter = 0;
/** A fresh file name for a runtime-private copy. */
export function uniqueName(prefix: string): string {
  counter++;
  return `${prefix}-${counter}-${Math.random().toString(36).slice(2, 10)}.h5`;
}

/** Options of {@link loadH5Runtime}. */
export interface H5RuntimeOptions {
  /**
   * Where the h5wasm-plugins `.so` files are served (`<base>/libH5Zzstd.so`…). Default: the
   * `plugins/` folder beside h5wasm-plugins' own module URL, which works when the page serves
   * `node_modules` as is. Set it when a bundler moves the files.
   */
  readonly pluginBaseUrl?: string;
  /** Plugins to install (default zstd, lz4, bshuf, blosc, lzf). */
  readonly plugins?: readonly string[];
}

const DEFAULT_PLUGINS = ["zstd", "lz4", "bshuf", "blosc", "lzf"];

let browserRuntime: Promise<H5Runtime> | undefined;

/**
 * Load h5wasm's browser (ESM, MEMFS) build once, activate the throwing error handler and install the
 * compression plugins by fetching them into the plugin search path. Memoised; the cache is cleared
 * when loading fails. A plugin that cannot be fetched is left out of `pluginFilters` (datasets that
 * need it fail with a coded error from the reader instead of returning garbage). In Node, use
 * `loadH5RuntimeNode` from `@daqkit/io/node` (paths, no copies).
 */
export function loadH5Runtime(options: H5RuntimeOptions = {}): Promise<H5Runtime> {
  browserRuntime ??= (async (): Promise<H5Runtime> => {
    const h5 = (await import("h5wasm")) as H5Namespace;
    const module = await h5.ready;
    module.activate_throwing_error_handler();
    const pluginFilters = new Set<number>();
    let base = options.pluginBaseUrl;
    if (base === undefined) {
      try {
        base = `${(await import("h5wasm-plugins")).base_url}/plugins`;
      } catch {
        base = undefined;
      }
    }
    if (base !== undefined) {
      const dir = module.get_plugin_search_paths()[0]!;
      module.FS.mkdirTree(dir);
      await Promise.all(
        (options.plugins ?? DEFAULT_PLUGINS).map(async (name) => {
          try {
            const response = await fetch(`${base}/libH5Z${name}.so`);
            if (!response.ok) return;
            module.FS.writeFile(`${dir}/libH5Z${name}.so`, new Uint8Array(await response.arrayBuffer()));
            const id = H5_PLUGIN_FILTER_IDS[name];
            if (id !== undefined) pluginFilters.add(id);
          } catch {
            // Unavailable plugin: see the doc comment.
          }
        }),
      );
    }
    module.FS.mkdirTree("/daqkit-mem");
    return {
      h5,
      kind: "browser",
      pluginFilters,
      openBytes(bytes, name = "bytes") {
        const fsPath = `/daqkit-mem/${uniqueName("b")}`;
        module.FS.writeFile(fsPath, bytes);
        return openReadOnly(h5, fsPath, name, () => module.FS.unlink(fsPath));
      },
      openBlob(blob, name = (blob as { name?: string }).name ?? "blob") {
        if (typeof (globalThis as { FileReaderSync?: unknown }).FileReaderSync !== "function") {
          throw new IoError(
            "IO_UNSUPPORTED",
            `io: ${name}: opening a Blob without copying needs a Web Worker (WORKERFS); use openBytes in a page`,
            {
              path: name,
            },
          );
        }
        const mount = `/daqkit-wfs/${uniqueName("m").slice(0, -3)}`;
        const fs = module.FS as unknown as {
          mkdirTree(p: string): void;
          mount(type: unknown, opts: unknown, p: string): void;
          unmount(p: string): void;
          rmdir(p: string): void;
          filesystems: Record<string, unknown>;
        };
        fs.mkdirTree(mount);
        fs.mount(fs.filesystems.WORKERFS, { blobs: [{ name: "file.h5", data: blob }] }, mount);
        return openReadOnly(h5, `${mount}/file.h5`, name, () => {
          fs.unmount(mount);
          fs.rmdir(mount);
        });
      },
      openPath(path) {
        throw new IoError("IO_UNSUPPORTED", `io: ${path}: opening HDF5 files by path needs Node (loadH5RuntimeNode from @daqkit/io/node)`, {
          path,
        });
      },
    };
  })().catch((error: unknown) => {
    browserRuntime = undefined;
    throw error;
  });
  return browserRuntime;
}
