import { defineConfig } from "tsup";
import shared from "../../tsup.shared.js";

// The shared build plus the Node entry (`@daqkit/loader/node`), and the worker script of the parallel
// loader (dist/load-worker.js) as one bundled file: a worker imports it on start, and as an unbundled
// module graph (apache-arrow alone is some 200 files) the import cost ~150 ms of CPU per worker, the
// bundle (tree-shaken: a worker never builds Arrow tables) ~35 ms. `@daqkit/io/node` stays external: it
// owns the h5wasm runtime and finds h5wasm and its vendored plugins beside its own files. The
// browser-only lazy imports of `@daqkit/io`'s main entry (h5wasm's ESM build, parquet-wasm, the
// plugins' URL) are never reached in a worker thread and stay external. Both builds write dist/; the
// first one's clean keeps the worker files.
export default defineConfig([
  { ...(shared as object), entry: ["src/index.ts", "src/node.ts"], clean: ["!load-worker.js", "!load-worker.js.map"] },
  {
    entry: ["src/load-worker.ts"],
    format: ["esm"],
    dts: false,
    sourcemap: true,
    clean: false,
    target: "node20",
    platform: "node",
    splitting: false,
    external: ["@daqkit/io/node", "h5wasm", "h5wasm-plugins", "parquet-wasm", "./h5wasm-plugins/index.mjs"],
    noExternal: [/^@daqkit\/(?!io\/node$)/, /^apache-arrow(\/|$)/],
  },
]);
