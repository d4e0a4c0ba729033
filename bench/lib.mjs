// Helpers for *.bench.mjs files: the machine-readable figure line that `bench/run.mjs` collects, and
// the checkout whose build is measured (DAQKIT_BENCH_ROOT, default this one) for benches that spawn
// built files (the CLI) by path. Imports of packages need nothing: bench/preload.mjs redirects them.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The checkout whose build a bench measures: DAQKIT_BENCH_ROOT, or this one. */
export const benchRoot = process.env.DAQKIT_BENCH_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Print one figure as `@@bench {"workload":…,"metric":…,"value":…,"better":…}` (one line; the
 * human-readable lines stay as they are). `workload` is `<pkg>.<name>`; `better` "higher" or "lower".
 */
export function emit(workload, metric, value, better) {
  if (better !== "higher" && better !== "lower") throw new Error(`emit: better must be "higher" or "lower", not ${better}`);
  if (!Number.isFinite(value)) return; // a figure that could not be measured is left out, not printed as null
  console.log(`@@bench ${JSON.stringify({ workload, metric, value, better })}`);
}

const checkout = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * An esbuild plugin for benches that bundle browser code from this checkout: `@daqkit/*` imports
 * resolve in DAQKIT_BENCH_ROOT's checkout (the build measured), as bench/resolve-hook.mjs does for
 * Node imports. Does nothing when the measured build is this checkout.
 */
export function esbuildBenchRoot() {
  return {
    name: "daqkit-bench-root",
    setup(build) {
      if (benchRoot === checkout) return;
      build.onResolve({ filter: /^@daqkit\// }, async (args) => {
        if (args.pluginData?.daqkitBenchRoot || !args.resolveDir.startsWith(checkout) || args.resolveDir.startsWith(benchRoot))
          return undefined;
        let resolveDir = join(benchRoot, relative(checkout, args.resolveDir));
        while (!existsSync(resolveDir) && resolveDir.length > benchRoot.length) resolveDir = dirname(resolveDir);
        const r = await build.resolve(args.path, { kind: args.kind, resolveDir, pluginData: { daqkitBenchRoot: true } });
        return r.errors.length ? { errors: r.errors } : { path: r.path, sideEffects: r.sideEffects };
      });
    },
  };
}

/**
 * `env` without the harness's preload in NODE_OPTIONS: for benches that time the start-up of Node
 * processes they spawn (the preload, and with --baseline its resolve hook, would be timed too).
 */
export function envWithoutPreload(env = process.env) {
  const out = { ...env };
  if (out.NODE_OPTIONS) {
    const rest = out.NODE_OPTIONS.split(/\s+/)
      .filter((o) => o && !/^--import=.*\/bench\/preload\.mjs$/.test(o))
      .join(" ");
    if (rest) out.NODE_OPTIONS = rest;
    else delete out.NODE_OPTIONS;
  }
  return out;
}

/**
 * File URL of a workspace package's entry in the measured build (DAQKIT_BENCH_ROOT): `subpath` from
 * its package.json exports (`"./node"`), or its main entry where that build has no such subpath
 * (builds before the platform split). For code outside the packages (bench/*.mjs, generated scripts).
 */
export function benchPackageUrl(pkg, subpath = ".") {
  const dir = join(benchRoot, pkg === "cli" ? "apps/cli" : `packages/${pkg}`);
  const json = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const entry = json.exports?.[subpath] ?? json.exports?.["."] ?? json.main;
  const target = typeof entry === "string" ? entry : (entry?.import ?? entry?.default);
  if (typeof target !== "string") throw new Error(`benchPackageUrl: no entry ${subpath} in ${join(dir, "package.json")}`);
  return pathToFileURL(join(dir, target)).href;
}
