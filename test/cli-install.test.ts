import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

/**
 * The CLI installs like any npm package: `npm install` of its packed tarball alone — none of the @daqkit
 * libraries beside it — gives a working `daqkit`. Its dist bundles the daqkit packages and the pure-JS code
 * they use, so its manifest lists exactly what the bundle leaves to the installer (the WebAssembly packages,
 * the plotting libraries, commander), and it carries the notices of the code it bundles.
 *
 * Needs the built CLI (`pnpm test` builds first) and the npm registry or a warm npm cache. Locally a missing
 * piece skips with a message; under CI=true it is a failure.
 */

const root = join(import.meta.dirname, "..");
const cliDir = join(root, "apps/cli");
const SHARED = join(root, "../shared/testdata");
const DSP = join(SHARED, "lh5/prod-ref-l200/generated/tier/dsp/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_dsp.lh5");
const CI = process.env.CI === "true";
const built = existsSync(join(cliDir, "dist/index.js")) && existsSync(join(cliDir, "dist/viewer/index.html"));
if (!built) {
  if (CI) throw new Error("cli-install test: the CLI is not built (pnpm test builds it first)");
  console.warn("skipping the CLI install test: build the CLI first (pnpm build)");
}

const manifest = JSON.parse(readFileSync(join(cliDir, "package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
};
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** The package a bare import specifier names (`@scope/name/sub` → `@scope/name`). */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
}

/** Every package a built file of dist/ imports or resolves at run time (bare specifiers, Node built-ins left out). */
function distImports(dist: string): Set<string> {
  const found = new Set<string>();
  for (const name of readdirSync(dist)) {
    if (!name.endsWith(".js")) continue;
    const text = readFileSync(join(dist, name), "utf8");
    const patterns = [
      /\bfrom\s*"([@\w][\w.@/-]*)"/g,
      /\bimport\s*\(\s*"([@\w][\w.@/-]*)"\s*\)/g,
      /\bimport\s*"([@\w][\w.@/-]*)"/g,
      /\brequire\s*\(\s*"([@\w][\w.@/-]*)"\s*\)/g,
      /\bresolve\s*\(\s*"([@\w][\w.@/-]*)"\s*\)/g,
    ];
    for (const re of patterns)
      for (const m of text.matchAll(re)) {
        const spec = m[1] as string;
        if (!builtins.has(spec) && !spec.startsWith("node:")) found.add(packageName(spec));
      }
  }
  return found;
}

describe.skipIf(!built)("the CLI's manifest and notices", () => {
  test("its dependencies are exactly the packages its bundled dist imports (no @daqkit library, no unused one)", () => {
    const imported = [...distImports(join(cliDir, "dist"))].sort();
    expect(imported.length).toBeGreaterThan(0);
    expect(Object.keys(manifest.dependencies).sort()).toEqual(imported);
    expect(imported.filter((n) => n.startsWith("@daqkit/"))).toEqual([]);
  });

  test("dist carries the notices of the bundled third-party code, and the viewer app its own", () => {
    const cli = readFileSync(join(cliDir, "dist/THIRD-PARTY-NOTICES.md"), "utf8");
    expect(cli).toMatch(/^## apache-arrow [\d.]+ \(Apache-2\.0\)$/m);
    expect(cli).toContain("Apache License");
    expect(cli).toMatch(/^## utif2 /m); // a docmodel dependency, bundled with docmodel
    expect(cli).not.toMatch(/^## @daqkit\//m);
    for (const dep of Object.keys(manifest.dependencies)) expect(cli, dep).not.toMatch(new RegExp(`^## ${dep} `, "m"));
    const viewer = readFileSync(join(cliDir, "dist/viewer/THIRD-PARTY-NOTICES.md"), "utf8");
    expect(viewer).toMatch(/^## react [\d.]+ \(MIT\)$/m);
    expect(viewer).toMatch(/^## @h5web\/lib /m);
  });
});

let work = "";
let project = "";
let installError = "";

function run(cmd: string, args: string[], cwd: string, timeoutMs = 600_000): { status: number | null; out: string; stdout: string } {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    timeout: timeoutMs,
    env: { ...process.env, NO_COLOR: "1", npm_config_update_notifier: "false" },
  });
  return { status: r.status, stdout: r.stdout ?? "", out: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}

beforeAll(() => {
  if (!built) return;
  work = mkdtempSync(join(tmpdir(), "daqkit-cli-install-"));
  const tarballs = join(work, "tarballs");
  mkdirSync(tarballs);
  const packed = run("pnpm", ["pack", "--pack-destination", tarballs], cliDir);
  if (packed.status !== 0) throw new Error(`pnpm pack of the CLI failed:\n${packed.out}`);
  const tgz = readdirSync(tarballs).find((f) => f.endsWith(".tgz"));
  if (!tgz) throw new Error("pnpm pack wrote no CLI tarball");
  project = join(work, "project");
  mkdirSync(project);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "daqkit-cli-user", private: true, dependencies: { "@daqkit/cli": `file:${join(tarballs, tgz)}` } }, null, 2),
  );
  const r = run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], project);
  if (r.status !== 0) {
    installError = `npm install of the CLI tarball failed:\n${r.out.slice(-4000)}`;
    if (CI) throw new Error(installError);
    console.warn(`skipping the CLI install test: ${installError}`);
  }
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const ready = (): boolean => built && installError === "";
const daqkit = (...args: string[]) => run(join(project, "node_modules/.bin/daqkit"), args, work, 120_000);

describe.skipIf(!built)("npm install of the CLI tarball alone", () => {
  test("installs no @daqkit library beside the CLI, and `daqkit --version` prints the CLI's version", () => {
    if (!ready()) return;
    const scope = readdirSync(join(project, "node_modules/@daqkit"));
    expect(scope).toEqual(["cli"]);
    const r = daqkit("--version");
    expect(r.status, r.out).toBe(0);
    expect(r.stdout.trim()).toBe(manifest.version);
  });

  test("an LH5 file (h5wasm) exports to Parquet (parquet-wasm) and plots as PNG (vega, resvg)", () => {
    if (!ready()) return;
    const ls = daqkit("--json", "lh5", "ls", DSP);
    expect(ls.status, ls.out).toBe(0);
    expect(ls.stdout).toContain("trapEmax");
    const out = join(work, "dsp.parquet");
    const exp = daqkit("lh5", "export", DSP, "ch1084803/dsp", "--out", out, "--columns", "trapEmax");
    expect(exp.status, exp.out).toBe(0);
    expect(readFileSync(out).subarray(0, 4).toString("latin1")).toBe("PAR1");
    const png = join(work, "h.png");
    const plot = daqkit("plot", "histogram", out, "--column", "trapEmax", "--out", png, "--width", "320", "--height", "200");
    expect(plot.status, plot.out).toBe(0);
    const bytes = readFileSync(png);
    expect(bytes.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect(bytes.readUInt32BE(16)).toBe(320);
  }, 300_000);

  test("`daqkit view` serves the bundled viewer app and the folder's files", async () => {
    if (!ready()) return;
    const child: ChildProcess = spawn(
      join(project, "node_modules/.bin/daqkit"),
      ["--json", "view", join(SHARED, "lh5"), "--no-open", "--port", "0"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    try {
      let stdout = "";
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL within 60 s: ${stdout}`)), 60_000);
        child.stdout!.on("data", (b: Buffer) => {
          stdout += b.toString();
          const m = /"url"\s*:\s*"([^"]+)"/.exec(stdout);
          if (m) {
            clearTimeout(timer);
            resolve(m[1] as string);
          }
        });
        child.on("exit", (code) => reject(new Error(`daqkit view exited with ${code}: ${stdout}`)));
      });
      const page = await fetch(new URL("/", url));
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<script type="module"/);
      const token = new URL(url).searchParams.get("token");
      const data = await fetch(new URL(`/data/${token}/README.md`, url), { headers: { Range: "bytes=0-1" } });
      expect(data.status).toBe(206);
      expect((await data.arrayBuffer()).byteLength).toBe(2);
    } finally {
      child.kill("SIGINT");
    }
  }, 120_000);
});
