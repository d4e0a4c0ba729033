import { cp, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { defineConfig, type Options } from "tsup";

/**
 * The one build configuration every library package uses: ESM + .d.ts, nothing bundled. Declarations
 * marked `@internal` are left out of the published types (`stripInternal`).
 */
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm"],
  dts: { compilerOptions: { stripInternal: true } },
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
});

/**
 * Ship h5wasm-plugins inside a package's dist (issue 13: h5wasm installs once in a consumer project).
 * h5wasm-plugins 0.2.1 declares an (optional) peer `h5wasm@^0.8.8`; as a dependency, npm satisfies that
 * peer with a second, old h5wasm at the top and nests ours under every package. So it is a
 * devDependency: its module and its `.so` filters (with its licence) are copied to
 * `dist/h5wasm-plugins/`, and the built code imports `./h5wasm-plugins/index.mjs` instead (its
 * `base_url` is that folder, so the filters are found beside it).
 */
export const vendorH5wasmPlugins: Pick<Options, "esbuildPlugins" | "onSuccess"> = {
  esbuildPlugins: [
    {
      name: "vendored-h5wasm-plugins",
      setup(build) {
        build.onResolve({ filter: /^h5wasm-plugins$/ }, () => ({ path: "./h5wasm-plugins/index.mjs", external: true }));
      },
    },
  ],
  async onSuccess() {
    const from = dirname(createRequire(join(process.cwd(), "package.json")).resolve("h5wasm-plugins/package.json"));
    const to = join(process.cwd(), "dist/h5wasm-plugins");
    await mkdir(join(to, "plugins"), { recursive: true });
    for (const file of ["index.mjs", "LICENSE", "COPYING"]) await cp(join(from, file), join(to, file));
    await cp(join(from, "plugins"), join(to, "plugins"), { recursive: true });
  },
};
