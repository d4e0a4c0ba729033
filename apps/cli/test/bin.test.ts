import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
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
