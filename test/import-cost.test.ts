import { readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { describe, expect, test } from "vitest";

/**
 * Start-up cost: importing apache-arrow takes ~0.1 s of CPU. A package whose main entry never builds an
 * Arrow table must not load it when imported (before the platform layer, `@daqkit/rawhdf5` imported
 * in 5 ms; when `@daqkit/io`'s main entry imported apache-arrow for its type map it took ~120 ms).
 * Lazy `import("apache-arrow")` inside a function is fine: only static imports are counted.
 */
const root = join(import.meta.dirname, "..");
const ARROW_FREE = ["io", "rawhdf5", "timestamps"];

async function staticImportsOf(pkg: string): Promise<string[]> {
  const manifest = JSON.parse(readFileSync(join(root, "packages", pkg, "package.json"), "utf8")) as {
    exports: Record<string, Record<string, string>>;
  };
  const result = await build({
    entryPoints: [join(root, "packages", pkg, manifest.exports["."]!["@daqkit/source"]!)],
    bundle: true,
    write: false,
    metafile: true,
    // Node loads every module of the import graph, so count them all (no tree shaking of unused modules).
    treeShaking: false,
    ignoreAnnotations: true,
    platform: "browser",
    format: "esm",
    outdir: "out",
    conditions: ["@daqkit/source"],
    external: ["apache-arrow", "parquet-wasm", "h5wasm", "h5wasm-plugins"],
    logLevel: "silent",
  });
  const out = Object.values(result.metafile.outputs);
  return out.flatMap((o) => o.imports.filter((i) => i.external && i.kind === "import-statement").map((i) => i.path)).sort();
}

describe("main entries that build no Arrow table do not load apache-arrow", () => {
  for (const pkg of ARROW_FREE) {
    test(`@daqkit/${pkg}`, async () => {
      expect(await staticImportsOf(pkg)).not.toContain("apache-arrow");
    });
  }
  test("the check sees a static apache-arrow import (lh5 builds Arrow tables)", async () => {
    expect(await staticImportsOf("lh5")).toContain("apache-arrow");
  });
});
