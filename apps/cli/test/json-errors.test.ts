import { describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

describe("--json errors: one JSON object on stdout besides the stderr line, same exit codes", () => {
  it("a coded data error (exit 3)", async () => {
    const r = await daqkit("--json", "time", "key", "bogus");
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^daqkit: TS_BAD_CYCLE_KEY: /);
    const { error } = JSON.parse(r.stdout);
    expect(error).toMatchObject({ code: "TS_BAD_CYCLE_KEY", exit: 3 });
    expect(typeof error.message).toBe("string");
  });

  it("a missing file (exit 4), with --json after the command", async () => {
    const r = await daqkit("rawhdf5", "to-packets", "/nonexistent/daqkit/x.h5", "--out", "/nonexistent/daqkit/y.parquet", "--json");
    expect(r.code).toBe(4);
    const { error } = JSON.parse(r.stdout);
    expect(error.exit).toBe(4);
    expect(typeof error.code).toBe("string");
  });

  it("a usage error from the CLI and from the option parser (exit 2)", async () => {
    const bad = await daqkit("--json", "rawhdf5", "to-packets", "x.h5", "--out", "x.csv");
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error).toMatchObject({ code: "CLI_USAGE", exit: 2 });
    const missing = await daqkit("--json", "load", "--files", "all");
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).error).toMatchObject({ code: "CLI_USAGE", exit: 2 });
  });

  it("without --json stdout stays empty on error; a --json after `--` is a positional", async () => {
    const r = await daqkit("time", "key", "bogus");
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    const p = await daqkit("time", "key", "--", "--json");
    expect(p.code).toBe(3);
    expect(p.stdout).toBe("");
  });
});
