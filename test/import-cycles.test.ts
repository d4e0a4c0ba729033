import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { importCycles, runtimeImportGraph } from "./support/import-graph.js";

/**
 * Issue 14 ("code that is easy to change"): no package has a runtime import cycle between its own
 * modules (a cycle makes load order matter and lets a module see another half-initialised). The graph
 * is read from each package's `src` with the TypeScript parser; type-only imports do not count.
 */
const root = join(import.meta.dirname, "..");
const dirs = ["packages", "apps"].flatMap((base) => readdirSync(join(root, base)).map((name) => `${base}/${name}`));

describe("no runtime import cycle between a package's modules", () => {
  test("the cycle finder finds cycles (and only them)", () => {
    const graph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts", "d.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", []],
      ["e.ts", ["e.ts"]],
    ]);
    expect(importCycles(graph)).toEqual([
      ["a.ts", "b.ts", "c.ts", "a.ts"],
      ["e.ts", "e.ts"],
    ]);
    expect(
      importCycles(
        new Map([
          ["a.ts", ["b.ts"]],
          ["b.ts", []],
        ]),
      ),
    ).toEqual([]);
  });
  for (const dir of dirs) {
    test(dir, () => {
      expect(importCycles(runtimeImportGraph(join(root, dir, "src")))).toEqual([]);
    });
  }
});
