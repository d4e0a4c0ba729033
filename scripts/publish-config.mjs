#!/usr/bin/env node
// The published manifests of the workspace packages, derived from their `exports` (issue 13):
// `publishConfig.exports` is `exports` without the `@daqkit/source` condition (a workspace-only
// condition that points at src/, which is not published) and with a `default` condition equal to
// `import`, so `require()` of an ES module works on Node ≥ 20.19 (require(esm); no top-level await
// in any entry). `pnpm pack` / `pnpm publish` replace `exports` by `publishConfig.exports`.
//
//   node scripts/publish-config.mjs          write publishConfig into every manifest that needs it
//   node scripts/publish-config.mjs --check  exit 1 and list the manifests whose publishConfig is stale
//
// Run it after adding or changing an export (test/published-manifests.test.ts fails until you do).
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";

const root = join(import.meta.dirname, "..");
const SOURCE_CONDITION = "@daqkit/source";

/** `exports` as published: no source condition, `default` after `import`. */
export function publishedExports(exports) {
  if (typeof exports === "string" || exports === null) return exports;
  if (Array.isArray(exports)) return exports.map(publishedExports);
  const out = {};
  for (const [key, value] of Object.entries(exports)) {
    if (key === SOURCE_CONDITION) continue;
    out[key] = publishedExports(value);
  }
  if (typeof out.import === "string" && out.default === undefined) out.default = out.import;
  return out;
}

/** Every workspace manifest with `exports` (the CLI has a `bin` and no exports). */
export function manifests() {
  const out = [];
  for (const base of ["packages", "apps"]) {
    for (const name of readdirSync(join(root, base)).sort()) {
      const path = join(root, base, name, "package.json");
      if (!existsSync(path)) continue;
      const text = readFileSync(path, "utf8");
      const manifest = JSON.parse(text);
      if (manifest.private || manifest.exports === undefined) continue;
      out.push({ path, text, manifest });
    }
  }
  return out;
}

/** Manifests whose `publishConfig.exports` differs from the one derived from `exports`. */
export function stale() {
  return manifests().filter(({ manifest }) => !isDeepStrictEqual(manifest.publishConfig?.exports, publishedExports(manifest.exports)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const check = process.argv.includes("--check");
  const todo = stale();
  if (check) {
    for (const { path } of todo) console.error(`${path}: publishConfig.exports is stale (run node scripts/publish-config.mjs)`);
    process.exit(todo.length > 0 ? 1 : 0);
  }
  for (const { path, manifest } of todo) {
    manifest.publishConfig = { ...manifest.publishConfig, exports: publishedExports(manifest.exports) };
    writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(`updated ${path}`);
  }
}
