import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";
// @ts-expect-error: a plain .mjs script without types
import { writeThirdPartyNotices } from "../../scripts/third-party-notices.mjs";

const here = dirname(fileURLToPath(import.meta.url));
/** The plugins `loadH5Runtime` installs by default (io's DEFAULT_PLUGINS). */
const PLUGINS = ["zstd", "lz4", "bshuf", "blosc", "lzf"];

/**
 * The HDF5 compression filters (h5wasm-plugins' `.so` files, a dependency of @daqkit/io) are fetched
 * at run time by `loadH5Runtime({ pluginBaseUrl })`; the bundler does not see them, so they are
 * copied beside the app as `h5wasm-plugins/`.
 */
function h5wasmPlugins(): Plugin {
  const io = realpathSync(join(here, "node_modules/@daqkit/io"));
  const candidates = [join(io, "node_modules/h5wasm-plugins/plugins"), join(io, "dist/h5wasm-plugins/plugins")];
  const from = candidates.find((c) => existsSync(c));
  let outDir = join(here, "dist");
  return {
    name: "daqkit-h5wasm-plugins",
    configResolved(config) {
      outDir = config.build.outDir.startsWith("/") ? config.build.outDir : join(config.root, config.build.outDir);
    },
    writeBundle() {
      if (!from) throw new Error(`viewer: h5wasm-plugins not found (looked in ${candidates.join(", ")})`);
      const to = join(outDir, "h5wasm-plugins");
      mkdirSync(to, { recursive: true });
      // the filters loadH5Runtime installs by default, and the licences beside them
      for (const name of PLUGINS) cpSync(join(from, `libH5Z${name}.so`), join(to, `libH5Z${name}.so`));
      for (const name of ["LICENSE", "COPYING"]) {
        const licence = join(from, "..", name);
        if (existsSync(licence)) cpSync(licence, join(to, name));
      }
    },
    configureServer(server) {
      if (!from) return;
      server.middlewares.use("/h5wasm-plugins/", (req, res, next) => {
        const file = join(from, (req.url ?? "").split("?")[0]!.replace(/^\/+/, ""));
        if (!file.startsWith(from) || !existsSync(file)) return next();
        res.setHeader("content-type", "application/octet-stream");
        res.end(readFileSync(file));
      });
    },
  };
}

/**
 * The app bundles React, h5web and the other libraries it uses, and their licences require their notices to
 * travel with it: every module id of the app's build and of its workers' builds is collected, and
 * dist/THIRD-PARTY-NOTICES.md is written from them (scripts/third-party-notices.mjs).
 */
const bundledModules = new Set<string>();
function collectModules(): Plugin {
  return {
    name: "daqkit-collect-modules",
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle))
        if (chunk.type === "chunk") for (const id of Object.keys(chunk.modules)) bundledModules.add(id);
    },
  };
}
function thirdPartyNotices(): Plugin {
  let outDir = join(here, "dist");
  return {
    ...collectModules(),
    name: "daqkit-third-party-notices",
    apply: "build",
    configResolved(config) {
      outDir = config.build.outDir.startsWith("/") ? config.build.outDir : join(config.root, config.build.outDir);
    },
    writeBundle() {
      writeThirdPartyNotices({
        inputs: bundledModules,
        base: here,
        out: join(outDir, "THIRD-PARTY-NOTICES.md"),
        what: "The daqkit viewer app",
      });
    },
  };
}

// Our packages' sources (the `@daqkit/source` condition), as vitest and the browser tests use them.
const conditions = ["@daqkit/source", "browser", "module", "import", "development|production"];

export default defineConfig({
  base: "./",
  plugins: [react(), h5wasmPlugins(), thirdPartyNotices()],
  resolve: { conditions },
  worker: { format: "es", plugins: () => [collectModules()] },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 8000 },
});
