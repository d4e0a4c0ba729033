import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { GROUPS } from "../src/commands/index.js";
import { createProgram } from "../src/program.js";
import { daqkit } from "./run.js";

// Structural checks of lazy command loading (the time it saves is measured in bench/startup.bench.mjs).
const dist = join(import.meta.dirname, "../dist/");
const bin = join(dist, "index.js");
const trace = join(import.meta.dirname, "support/trace-imports.mjs");

/** The modules `node dist/index.js ARGS` resolves (as file URLs / node: names). */
function modulesLoadedBy(...args: string[]): { status: number | null; stdout: string; modules: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "daqkit-trace-"));
  try {
    const file = join(dir, "trace.txt");
    const r = spawnSync(process.execPath, ["--import", trace, bin, ...args], {
      encoding: "utf8",
      env: { ...process.env, DAQKIT_TRACE_IMPORTS: file },
    });
    const modules = existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
    return { status: r.status, stdout: r.stdout, modules };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The daqkit packages (and the heavy runtimes) among the modules. The built CLI bundles the daqkit packages
 * and apache-arrow into its dist/ chunks (tsup.config.ts), so a loaded chunk of dist/ counts with the modules
 * bundled into it: esbuild starts each with a `// ../../packages/lh5/dist/…` path comment.
 */
function daqkitPackages(modules: string[]): string[] {
  const names = new Set<string>();
  const paths = [...modules];
  for (const m of modules) {
    if (!m.startsWith("file:") || !m.endsWith(".js")) continue;
    const file = fileURLToPath(m);
    if (!file.startsWith(dist)) continue;
    for (const c of readFileSync(file, "utf8").matchAll(/^\/\/ (\.\.\/\.\.\/\S+)$/gm)) paths.push(`/${c[1]}`);
  }
  for (const m of paths) {
    const pkg = /\/packages\/([^/]+)\//.exec(m)?.[1] ?? /\/@daqkit\/([^/]+)\//.exec(m)?.[1];
    if (pkg) names.add(pkg);
    for (const heavy of ["h5wasm", "parquet-wasm", "apache-arrow", "vega", "vega-lite", "resvg-wasm"])
      if (m.includes(`/${heavy}/`)) names.add(heavy);
  }
  return [...names].sort();
}

describe("lazy command loading", () => {
  it.skipIf(!existsSync(bin))("--version and --help load no daqkit package (nor h5wasm, parquet-wasm, apache-arrow)", () => {
    const version = modulesLoadedBy("--version");
    expect(version.status).toBe(0);
    expect(version.modules.length).toBeGreaterThan(0); // the trace works
    expect(daqkitPackages(version.modules)).toEqual([]);
    const help = modulesLoadedBy("--help");
    expect(help.status).toBe(0);
    expect(daqkitPackages(help.modules)).toEqual([]);
    for (const g of GROUPS) expect(help.stdout).toContain(g.name);
  });

  it.skipIf(!existsSync(bin))("a command loads its own packages only: `time key` loads timestamps, not lh5 or h5wasm", () => {
    const r = modulesLoadedBy("time", "key", "20220716T105236Z");
    expect(r.status).toBe(0);
    const pkgs = daqkitPackages(r.modules);
    expect(pkgs).toContain("timestamps");
    for (const other of ["lh5", "gen2-bin", "docmodel", "runs", "loader", "filedb", "rawhdf5", "h5wasm", "parquet-wasm"]) {
      expect(pkgs).not.toContain(other);
    }
  });

  it.skipIf(!existsSync(bin))("`plot --help` loads no format package and no plotting library (they load when a picture is drawn)", () => {
    const r = modulesLoadedBy("plot", "--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("gen2-image");
    expect(daqkitPackages(r.modules)).toEqual([]);
  });

  it("the built binary exists (run `pnpm build`; pnpm test builds first)", () => {
    if (!existsSync(bin) && process.env.CI === "true") throw new Error("apps/cli/dist/index.js is missing");
    if (!existsSync(bin)) console.warn("skipped: apps/cli/dist/index.js is missing, run pnpm build");
  });

  it("each placeholder's description is the group's own, and `daqkit GROUP --help` is complete", async () => {
    const full = await createProgram();
    for (const g of GROUPS) {
      const real = full.commands.find((c) => c.name() === g.name)!;
      expect(real.description()).toBe(g.description);
      const help = await daqkit(g.name, "--help");
      expect(help.code).toBe(0);
      for (const sub of real.commands) expect(help.stdout).toContain(sub.name());
      for (const o of real.options) expect(help.stdout).toContain(o.long!);
    }
    expect(full.commands.map((c) => c.name())).toEqual(GROUPS.map((g) => g.name));
    const top = await daqkit("--help");
    for (const g of GROUPS) expect(top.stdout).toContain(g.description.slice(0, 30));
    // `help GROUP` loads the group too
    expect((await daqkit("help", "gen2")).stdout).toContain("convert-all");
    // an unknown command still gets commander's suggestion
    const typo = await daqkit("gen3");
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("gen2");
  });
});
