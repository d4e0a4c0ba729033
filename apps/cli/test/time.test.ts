import { describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const M = 34_359_738_368_000;

describe("daqkit time", () => {
  it("range: normalises across the wrap and tests membership", async () => {
    const r = await daqkit("time", "range", "-30", "30", "--inside", String(M), "--inside", "31", "--overlaps", "25:40");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`range ${M - 30} … 30 µs (inclusive, crosses the 36-bit wrap), duration 60 µs`);
    expect(r.stdout).toContain(`${M}: inside`);
    expect(r.stdout).toContain("31: outside");
    expect(r.stdout).toContain("25-40: overlaps");
  });

  it("--inside takes one value per use (also a comma list), so it never swallows the positionals; µs are numbers", async () => {
    const r = await daqkit("--json", "time", "range", "--inside", "5", "--inside", "7,40", "0", "10");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      startUs: 0,
      stopUs: 10,
      inside: [
        { tUs: 5, inside: true },
        { tUs: 7, inside: true },
        { tUs: 40, inside: false },
      ],
    });
  });

  it("range --json with UTC ends", async () => {
    const r = await daqkit("--json", "time", "range", String(48_426_527_995 * 500), String(48_426_527_995 * 500 + 131), "--year", "2020");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.utc.start).toBe("2020-10-07T05:54:23.997Z");
    expect(out.startUnixNs).toBe("1602050063997500000");
    expect(out.wraps).toBe(false);
  });

  it("range across the wrap: the stop's UTC is in the next counter cycle, text and --json", async () => {
    const args = ["time", "range", "34359735000000", "2631999", "--year", "2020"];
    const text = await daqkit(...args);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("crosses the 36-bit wrap");
    expect(text.stdout).toContain("… 2021-02-01T16:22:20.999Z");
    const json = await daqkit("--json", ...args);
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out.wraps).toBe(true);
    expect(out.utc.stop).toBe("2021-02-01T16:22:20.999Z");
    expect(out.stopUnixNs).toBe(String((BigInt(Date.UTC(2020, 0, 1)) * 1000n + 2_631_999n + BigInt(M)) * 1000n));
    expect(Date.parse(out.utc.stop)).toBeGreaterThan(Date.parse(out.utc.start));
  });

  it("key: cycle key ↔ unix seconds", async () => {
    const a = await daqkit("time", "key", "20220716T130443Z");
    expect(a.code).toBe(0);
    expect(a.stdout.trim()).toBe("20220716T130443Z  1657976683  2022-07-16T13:04:43.000Z");
    const b = await daqkit("--json", "time", "key", "1657968756");
    expect(JSON.parse(b.stdout)).toMatchObject({ key: "20220716T105236Z", unixSeconds: 1657968756 });
  });

  it("a malformed key is one line and exit 3", async () => {
    const r = await daqkit("time", "key", "2022-07-16");
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^daqkit: TS_BAD_CYCLE_KEY: .*20220716T105236Z/);
  });

  it("a bad argument is a usage error, exit 2", async () => {
    const r = await daqkit("time", "range", "abc", "5");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^daqkit: CLI_USAGE: start must be an integer/);
  });

  it("an unknown command is a usage error", async () => {
    const r = await daqkit("nope");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command");
  });

  it("--version and --help exit 0", async () => {
    const v = await daqkit("--version");
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const h = await daqkit("--help");
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("time");
  });
});
