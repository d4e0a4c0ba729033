import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheRoot } from "../src/cache.js";
import { daqkit } from "./run.js";

const SHARED = join(import.meta.dirname, "../../../../shared");
let tmp: string;
let night: string;
let xdg: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "daqkit-cache-cli-"));
  night = join(tmp, "night");
  xdg = join(tmp, "xdg");
  process.env.XDG_CACHE_HOME = xdg;
  const r = spawnSync("python3", [join(SHARED, "tools/gen2_make.py"), night, "--photons", "2000", "--seconds", "2", "--quiet"], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(r.stderr);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("the daqkit cache", () => {
  it("lives in $XDG_CACHE_HOME/daqkit (else ~/.cache/daqkit), never under the system temp folder", () => {
    expect(cacheRoot({ XDG_CACHE_HOME: "/x/cache" })).toBe("/x/cache/daqkit");
    expect(cacheRoot({ XDG_CACHE_HOME: "relative" })).not.toContain("relative");
    expect(cacheRoot({})).toMatch(/[/\\]\.cache[/\\]daqkit$/);
  });

  it("gen2 read fills it; cache ls/size report it; cache clean empties it", async () => {
    const info = JSON.parse((await daqkit("--json", "gen2", "info", night)).stdout);
    const from = info.range.startUs;
    const r = await daqkit(
      "--json",
      "gen2",
      "read",
      night,
      "--from",
      String(from),
      "--to",
      String(from + 500_000),
      "--out",
      join(tmp, "a.parquet"),
      "--workers",
      "0",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const cache = JSON.parse(r.stdout).cache as string;
    expect(cache.startsWith(join(xdg, "daqkit", "gen2"))).toBe(true);
    expect(readdirSync(cache).some((f) => f.endsWith(".parquet"))).toBe(true);

    const ls = await daqkit("--json", "cache", "ls");
    expect(ls.code).toBe(0);
    const listed = JSON.parse(ls.stdout);
    expect(listed.root).toBe(join(xdg, "daqkit"));
    expect(listed.entries).toHaveLength(1);
    expect(listed.entries[0]).toMatchObject({ kind: "gen2", path: cache, source: night });
    expect(listed.entries[0].bytes).toBeGreaterThan(0);
    expect(listed.bytes).toBe(listed.entries[0].bytes);
    const text = await daqkit("cache", "ls");
    expect(text.stdout).toMatch(/^kind\s+size\s+files\s+modified\s+source$/m);

    const size = JSON.parse((await daqkit("--json", "cache", "size")).stdout);
    expect(size).toMatchObject({ root: join(xdg, "daqkit"), entries: 1, bytes: listed.bytes });

    // --older-than keeps fresh entries
    const kept = JSON.parse((await daqkit("--json", "cache", "clean", "--older-than", "1")).stdout);
    expect(kept.removed).toEqual([]);
    expect(existsSync(cache)).toBe(true);
    const clean = JSON.parse((await daqkit("--json", "cache", "clean")).stdout);
    expect(clean.removed).toEqual([cache]);
    expect(existsSync(cache)).toBe(false);
    expect(JSON.parse((await daqkit("--json", "cache", "ls")).stdout).entries).toEqual([]);
    expect((await daqkit("cache", "clean", "--older-than", "soon")).code).toBe(2);
  });
});
