import { describe, expect, test } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { publishedExports, stale } from "../scripts/publish-config.mjs";

/**
 * Issue 13: the published manifests (what `pnpm pack` writes from `publishConfig`) carry no
 * `@daqkit/source` condition and a `default` condition for require(esm). `publishConfig.exports` is
 * derived from `exports` by scripts/publish-config.mjs; run it after changing an export.
 */
describe("published manifests", () => {
  test("every package's publishConfig.exports is derived from its exports (node scripts/publish-config.mjs)", () => {
    expect((stale() as { path: string }[]).map((m) => m.path)).toEqual([]);
  });

  test("the derivation drops the source condition and adds default = import", () => {
    expect(
      publishedExports({
        ".": { "@daqkit/source": "./src/index.ts", types: "./dist/index.d.ts", import: "./dist/index.js" },
        "./package.json": "./package.json",
      }),
    ).toEqual({
      ".": { types: "./dist/index.d.ts", import: "./dist/index.js", default: "./dist/index.js" },
      "./package.json": "./package.json",
    });
  });
});
