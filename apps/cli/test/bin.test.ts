import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// The built executable, as users run it (`pnpm test` builds before running vitest).
const bin = join(import.meta.dirname, "../dist/index.js");

describe("the built daqkit binary", () => {
  it("exists after the build", () => {
    expect(existsSync(bin), "apps/cli/dist/index.js is missing: run `pnpm build` (pnpm test does)").toBe(true);
  });

  it("runs a command, prints one line per error and sets the exit code", () => {
    const ok = spawnSync(process.execPath, [bin, "time", "key", "20220716T105236Z", "--json"], { encoding: "utf8" });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).unixSeconds).toBe(1657968756);
    const bad = spawnSync(process.execPath, [bin, "time", "key", "bogus"], { encoding: "utf8" });
    expect(bad.status).toBe(3);
    expect(bad.stderr.trim()).toMatch(/^daqkit: TS_BAD_CYCLE_KEY: /);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("prints no progress bar when stderr is not a TTY", () => {
    const r = spawnSync(process.execPath, [bin, "--version"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
  });
});

describe("the documented ways to run daqkit in the workspace", () => {
  const root = join(import.meta.dirname, "../../..");
  const pnpm = (args: string[]) => spawnSync("pnpm", args, { cwd: root, encoding: "utf8", env: { ...process.env, CI: "" } });

  it("links the bin at install, before any build (its target is a source file, not dist/)", () => {
    const manifest = JSON.parse(readFileSync(join(import.meta.dirname, "../package.json"), "utf8"));
    const target = manifest.bin.daqkit as string;
    expect(target.startsWith("./dist/")).toBe(false);
    expect(manifest.files).toContain(target.split("/")[1]);
    expect(existsSync(join(import.meta.dirname, "..", target))).toBe(true);
  });

  it("`pnpm --filter @daqkit/cli exec daqkit` runs the CLI", () => {
    const r = pnpm(["--filter", "@daqkit/cli", "exec", "daqkit", "time", "key", "20220716T105236Z", "--json"]);
    expect(r.stderr).not.toMatch(/not found/);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).unixSeconds).toBe(1657968756);
  });

  it("`pnpm daqkit …` (root script) runs the CLI and passes the arguments through", () => {
    const r = pnpm(["-s", "daqkit", "time", "key", "20220716T105236Z", "--json"]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).unixSeconds).toBe(1657968756);
    const bad = pnpm(["-s", "daqkit", "time", "key", "bogus"]);
    expect(bad.status).toBe(3);
  });
});
