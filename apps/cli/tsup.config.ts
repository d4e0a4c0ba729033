import { cp, readdir, readFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "tsup";
// @ts-expect-error: a plain .mjs script without types
import { writeThirdPartyNotices } from "../../scripts/third-party-notices.mjs";

/** The built viewer (apps/viewer, built before the CLI by turbo) ships inside the CLI as dist/viewer/ (`daqkit view`). */
const VIEWER_DIST = new URL("../viewer/dist/", import.meta.url);
const CLI_VIEWER = new URL("./dist/viewer/", import.meta.url);
const DIST = fileURLToPath(new URL("./dist/", import.meta.url));
const require = createRequire(import.meta.url);

/**
 * The daqkit packages' worker scripts. A package starts its workers with `new URL("./NAME.js", import.meta.url)`;
 * bundled into the CLI, `import.meta.url` is a chunk in dist/, so each worker is built as dist/NAME.js too.
 */
const WORKERS = {
  "load-worker": "@daqkit/loader/dist/load-worker.js",
  "convert-worker": "@daqkit/gen2-bin/dist/convert-worker.js",
  // Browser-only (gen2-bin's split decode of a File in a cross-origin-isolated page); bundled gen2-bin code names it,
  // so it is built too: never started in Node.
  "web-split-worker": "@daqkit/gen2-bin/dist/web-split-worker.js",
} as const;

/** The worker script of `pkgFile` (a package's built file), found through the CLI's own dependencies. */
function packageFile(pkgFile: string): string {
  const [scope, name, ...rest] = pkgFile.split("/");
  return join(dirname(require.resolve(`${scope}/${name}/package.json`)), ...rest);
}

/**
 * Start-up (issue 19): every `daqkit` process, and so every shard of a cluster job, loads its command's
 * code before it does any work. Loaded from node_modules, apache-arrow is 146 ES modules (≈ 0.11 s of CPU
 * to resolve, read and link them) and each daqkit package a few more; bundled into a handful of chunks they
 * load in ≈ 0.02 s. So the CLI bundles the daqkit packages and apache-arrow (one copy, shared by all of them),
 * and keeps the packages that load WebAssembly or data files beside their code (h5wasm, parquet-wasm,
 * the plotting libraries) as ordinary dependencies. Commands still load lazily: each command group is its
 * own chunk, imported when it runs.
 */
export default defineConfig({
  entry: {
    index: "src/index.ts",
    "view-server": "src/view/server.ts",
    ...Object.fromEntries(Object.entries(WORKERS).map(([name, file]) => [name, packageFile(file)])),
  },
  format: ["esm"],
  dts: false,
  metafile: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
  noExternal: [/^@daqkit\//, /^apache-arrow(\/|$)/],
  esbuildPlugins: [
    {
      // @daqkit/io imports its vendored h5wasm-plugins (`./h5wasm-plugins/index.mjs`, whose filters sit beside it):
      // it stays a separate file, copied to dist/h5wasm-plugins/ below.
      name: "vendored-h5wasm-plugins",
      setup(build) {
        build.onResolve({ filter: /^\.\/h5wasm-plugins\/index\.mjs$/ }, () => ({ path: "./h5wasm-plugins/index.mjs", external: true }));
      },
    },
  ],
  async onSuccess() {
    await rm(CLI_VIEWER, { recursive: true, force: true });
    // source maps stay in apps/viewer/dist (22 of the 38 MB): the published CLI ships the app only
    if (existsSync(new URL("index.html", VIEWER_DIST))) {
      await cp(VIEWER_DIST, CLI_VIEWER, { recursive: true, filter: (source) => !String(source).endsWith(".map") });
    }
    await cp(packageFile("@daqkit/io/dist/h5wasm-plugins"), join(DIST, "h5wasm-plugins"), { recursive: true });
    // the code of other packages bundled into dist/ carries their notices (scripts/third-party-notices.mjs)
    const metafile = join(DIST, "metafile-esm.json");
    const { inputs } = JSON.parse(await readFile(metafile, "utf8")) as { inputs: Record<string, unknown> };
    await rm(metafile, { force: true });
    writeThirdPartyNotices({
      inputs: Object.keys(inputs),
      base: fileURLToPath(new URL(".", import.meta.url)),
      out: join(DIST, "THIRD-PARTY-NOTICES.md"),
      what: "The CLI's dist/",
    });
    // Every file the bundled code opens relative to itself must be in dist/: fail the build, not a later run.
    for (const name of await readdir(DIST)) {
      if (!name.endsWith(".js")) continue;
      const text = await readFile(join(DIST, name), "utf8");
      for (const m of text.matchAll(/new URL\("\.\/([^"]+)", import\.meta\.url\)/g)) {
        if (!existsSync(join(DIST, m[1] as string))) throw new Error(`dist/${name} opens ./${m[1]}, which the CLI build does not produce`);
      }
      for (const m of text.matchAll(/import\("\.\/([^"]+)"\)/g)) {
        if (!existsSync(join(DIST, m[1] as string)))
          throw new Error(`dist/${name} imports ./${m[1]}, which the CLI build does not produce`);
      }
    }
  },
});
