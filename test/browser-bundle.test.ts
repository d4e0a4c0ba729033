import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { build, type Plugin } from "esbuild";
import { describe, expect, test } from "vitest";
import { NOT_YET_BROWSER } from "./support/browser-ready.js";

/**
 * Issue 13: every package's main entry bundles for a browser (`esbuild --platform=browser`) with no
 * Node built-in in the output, directly or through a dependency.
 *
 * NOT_YET_BROWSER (test/support/browser-ready.ts) lists the packages whose main entry still imports Node built-ins (not migrated onto
 * `@daqkit/io` yet). The test asserts that they *still* fail, so migrating one makes this test fail
 * until it is removed from the set: the set can only shrink.
 */

const root = join(import.meta.dirname, "..");
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Bundle `entry` for the browser; the Node built-ins it reaches (recorded, kept external). */
async function nodeBuiltinsOf(entry: string): Promise<string[]> {
  const found = new Set<string>();
  const plugin: Plugin = {
    name: "record-node-builtins",
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        const bare = args.path.startsWith("node:") ? args.path : args.path.split("/")[0]!;
        if (BUILTINS.has(args.path) || BUILTINS.has(bare) || args.path.startsWith("node:")) {
          found.add(`${args.path} (from ${args.importer.replace(root, "").replace(/^.*node_modules\//, "")})`);
          return { path: args.path, external: true };
        }
        return undefined;
      });
    },
  };
  await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: "browser",
    format: "esm",
    conditions: ["@daqkit/source"],
    logLevel: "silent",
    plugins: [plugin],
  });
  return [...found].sort();
}

const packages = readdirSync(join(root, "packages")).map((dir) => {
  const manifest = JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8")) as {
    name: string;
    exports: Record<string, Record<string, string>>;
  };
  return { name: manifest.name, entry: join(root, "packages", dir, manifest.exports["."]!["@daqkit/source"]!) };
});

describe("main entries bundle for a browser", () => {
  test("the not-yet-migrated set names real packages", () => {
    for (const n of NOT_YET_BROWSER) expect(packages.map((p) => p.name)).toContain(n);
  });
  for (const { name, entry } of packages) {
    if (NOT_YET_BROWSER.has(name)) {
      test(`${name} still imports Node built-ins (remove it from NOT_YET_BROWSER once migrated)`, async () => {
        expect((await nodeBuiltinsOf(entry)).length).toBeGreaterThan(0);
      });
    } else {
      test(`${name} has no Node built-in`, async () => {
        expect(await nodeBuiltinsOf(entry)).toEqual([]);
      });
    }
  }
});
