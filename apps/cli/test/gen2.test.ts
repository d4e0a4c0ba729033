import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { tableFromIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const SHARED = join(import.meta.dirname, "../../../../shared");
const TESTDATA = join(SHARED, "testdata/gen2-bin");
let tmp: string;
let night: string;
let manifest: { total_photons: number; checksum: string; files: Array<{ name: string }> };

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "daqkit-gen2-cli-"));
  // gen2 read without --cache uses $XDG_CACHE_HOME/daqkit: keep it inside this test's folder.
  process.env.XDG_CACHE_HOME = join(tmp, "xdg-cache");
  night = join(tmp, "night");
  const r = spawnSync(
    "python3",
    [join(SHARED, "tools/gen2_make.py"), night, "--photons", "40000", "--seconds", "3", "--split-frame", "--quiet"],
    {
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  manifest = JSON.parse(readFileSync(join(night, "manifest.json"), "utf8"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function duck(sql: string): Promise<Record<string, unknown>> {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  const r = await conn.runAndReadAll(sql);
  return r.getRowObjects()[0] as Record<string, unknown>;
}

describe("daqkit gen2", () => {
  it("convert-all: Parquet counts and checksum match the gen2_make.py manifest (read back by DuckDB)", async () => {
    const out = join(tmp, "pq");
    const r = await daqkit("--json", "gen2", "convert-all", night, out, "--workers", "0");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ files: 3, converted: 3, reused: 0, photons: manifest.total_photons, checksum: manifest.checksum });
    const row = await duck(`
      SELECT count(*)::VARCHAR AS n, (sum(timestamp::HUGEINT * 1000003 + ((((xy::INTEGER >> 8) << 10) | (xy::INTEGER & 255))::HUGEINT) * 65537
        + (phase + 131072)::HUGEINT * 131 + (baseline + 65536)) % 18446744073709551616)::VARCHAR AS s
      FROM read_parquet('${out}/*.parquet')`);
    expect(Number(row.n)).toBe(manifest.total_photons);
    expect(BigInt(String(row.s)).toString(16).padStart(16, "0")).toBe(manifest.checksum);
    const again = await daqkit("gen2", "convert-all", night, out, "-q");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("0 converted, 3 up to date");
  });

  it("info on a directory and on a file", async () => {
    const r = await daqkit("gen2", "info", night);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`photons ${manifest.total_photons}`);
    expect(r.stdout).toContain(`checksum ${manifest.checksum}`);
    expect(r.stdout).toContain("utc  2020-10-07T05:54:2"); // year inferred from the file names
    expect(r.stdout).toContain("boards 220 221 222 223 224 225 228 229 232 233");
    const f = await daqkit("--json", "gen2", "info", join(TESTDATA, "extremes.bin"), "--year", "2020");
    expect(f.code).toBe(0);
    const out = JSON.parse(f.stdout);
    expect(out).toMatchObject({ files: 1, photons: 5, widePhotons: 1, checksum: "503164d21263622f", boards: { 220: 5, 221: 1 } });
  });

  it("round-trip: a gen2_make file survives serialize → decode", async () => {
    const out = join(tmp, "rt");
    const r = await daqkit("gen2", "round-trip", join(night, manifest.files[1]!.name), "--out", out);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^round trip OK: \d+ photons, checksum [0-9a-f]{16}, 10 boards/);
  });

  it("round-trip without --out leaves no temporary folder behind, also when it fails", async () => {
    const ownTmp = join(tmp, "own-tmpdir");
    mkdirSync(ownTmp);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = ownTmp;
    try {
      const file = join(night, manifest.files[1]!.name);
      const ok = await daqkit("--json", "gen2", "round-trip", file);
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ out: null });
      const failed = await daqkit("gen2", "round-trip", file, "--year", "1960"); // the serializer refuses the epoch
      expect(failed.code).toBe(3);
      expect(readdirSync(ownTmp)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });

  it("read: a time range to .parquet and .arrow", async () => {
    const info = JSON.parse((await daqkit("--json", "gen2", "info", night)).stdout);
    const from = info.range.startUs + 500_000;
    const to = from + 999_999;
    const cache = join(tmp, "pq-read");
    const pq = join(tmp, "sel.parquet");
    const r = await daqkit(
      "--json",
      "gen2",
      "read",
      night,
      "--from",
      String(from),
      "--to",
      String(to),
      "--out",
      pq,
      "--cache",
      cache,
      "--workers",
      "0",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    const row = await duck(
      `SELECT count(*)::VARCHAR AS n, min(timestamp)::VARCHAR AS lo, max(timestamp)::VARCHAR AS hi FROM read_parquet('${pq}')`,
    );
    expect(Number(row.n)).toBe(res.photons);
    expect(res.photons).toBeGreaterThan(0);
    expect(Number(row.lo)).toBeGreaterThanOrEqual(from);
    expect(Number(row.hi)).toBeLessThanOrEqual(to);
    const arrow = join(tmp, "sel.arrow");
    const a = await daqkit("gen2", "read", night, "--from", String(from), "--to", String(to), "--out", arrow, "--cache", cache);
    expect(a.code).toBe(0);
    expect(tableFromIPC(readFileSync(arrow)).numRows).toBe(res.photons);
    // ISO times with µs digits and --year (gen2_make's default epoch year is 2020)
    const iso = await daqkit(
      "--json",
      "gen2",
      "read",
      night,
      "--from",
      "2020-10-07T05:54:24.5Z",
      "--to",
      "2020-10-07T05:54:25.499999Z",
      "--year",
      "2020",
      "--out",
      join(tmp, "iso.parquet"),
      "--cache",
      cache,
    );
    expect(iso.code).toBe(0);
    const isoRes = JSON.parse(iso.stdout);
    expect(isoRes.range.stopUs - isoRes.range.startUs).toBe(999_999);
    expect(isoRes.range.startUs).toBe(Date.UTC(2020, 9, 7, 5, 54, 24, 500) * 1000 - Date.UTC(2020, 0, 1) * 1000);
  });

  it("read: ISO --from/--to infer the epoch year from the file names, as gen2 info", async () => {
    const r = await daqkit(
      "--json",
      "gen2",
      "read",
      night,
      "--from",
      "2020-10-07T05:54:24.5Z",
      "--to",
      "2020-10-07T05:54:25.499999Z",
      "--out",
      join(tmp, "iso-noyear.parquet"),
      "--cache",
      join(tmp, "pq-read"),
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.range.startUs).toBe(Date.UTC(2020, 9, 7, 5, 54, 24, 500) * 1000 - Date.UTC(2020, 0, 1) * 1000);
    expect(res.photons).toBeGreaterThan(0);
  });

  it("read: swapped bounds are a usage error unless the night crosses the wrap; a file is not a directory", async () => {
    const info = JSON.parse((await daqkit("--json", "gen2", "info", night)).stdout);
    const out = join(tmp, "swapped.parquet");
    const cache = join(tmp, "pq-read");
    const swapped = await daqkit(
      "gen2",
      "read",
      night,
      "--from",
      String(info.range.startUs + 2_000_000),
      "--to",
      String(info.range.startUs + 1_000_000),
      "--out",
      out,
      "--cache",
      cache,
    );
    expect(swapped.code).toBe(2);
    expect(swapped.stderr).toMatch(/^daqkit: CLI_USAGE: --from .* is later than --to .*36-bit wrap/);
    const isoSwapped = await daqkit(
      "gen2",
      "read",
      night,
      "--from",
      "2020-10-07T05:54:26Z",
      "--to",
      "2020-10-07T05:54:25Z",
      "--out",
      out,
      "--cache",
      cache,
    );
    expect(isoSwapped.code).toBe(2);
    expect(isoSwapped.stderr).toContain("is later than --to");
    const file = join(night, manifest.files[0]!.name);
    const onFile = await daqkit("gen2", "read", file, "--from", "0", "--to", "1", "--out", out, "--cache", cache);
    expect(onFile.code).toBe(2);
    expect(onFile.stderr).toContain(`${file} is a file, not a directory`);
    expect(onFile.stderr).not.toContain("does not exist");
  });

  it("read: a night across the 36-bit wrap — inferred epoch, wrap queries, and a wrong --year is an error naming the range", async () => {
    const wrapNight = join(tmp, "wrap-night");
    const made = spawnSync(
      "python3",
      [join(SHARED, "tools/gen2_make.py"), wrapNight, "--photons", "4000", "--seconds", "4", "--wrap", "--quiet"],
      {
        encoding: "utf8",
      },
    );
    expect(made.status, made.stderr).toBe(0);
    const cache = join(tmp, "pq-wrap");
    const out = join(tmp, "wrap.parquet");
    const M = 34_359_738_368_000;
    // Across the wrap, swapped integer bounds are this night's wrap: accepted.
    const across = await daqkit(
      "--json",
      "gen2",
      "read",
      wrapNight,
      "--from",
      String(M - 1_000_000),
      "--to",
      "999_999",
      "--out",
      out,
      "--cache",
      cache,
      "--workers",
      "0",
    );
    expect(across.stderr).toBe("");
    expect(across.code).toBe(0);
    const a = JSON.parse(across.stdout);
    expect(a.range.wraps).toBe(true);
    expect(a.photons).toBeGreaterThan(0);
    // ISO dates on both sides of the wrap (2021-02-01T16:22:18.368Z for epoch 2020), epoch inferred.
    const iso = await daqkit(
      "--json",
      "gen2",
      "read",
      wrapNight,
      "--from",
      "2021-02-01T16:22:17.368Z",
      "--to",
      "2021-02-01T16:22:19.367999Z",
      "--out",
      out,
      "--cache",
      cache,
    );
    expect(iso.stderr).toBe("");
    expect(iso.code).toBe(0);
    expect(JSON.parse(iso.stdout)).toMatchObject({ range: { startUs: M - 1_000_000, stopUs: 999_999, wraps: true }, photons: a.photons });
    // The calendar year of the night is not the epoch year: no file matches → a data error naming the night's range.
    const wrong = await daqkit(
      "gen2",
      "read",
      wrapNight,
      "--from",
      "2021-02-01T16:22:17.368Z",
      "--to",
      "2021-02-01T16:22:19.367999Z",
      "--year",
      "2021",
      "--out",
      out,
      "--cache",
      cache,
    );
    expect(wrong.code).toBe(3);
    expect(wrong.stdout).toBe("");
    expect(wrong.stderr).toMatch(
      /^daqkit: GEN2_VALUE_OUT_OF_RANGE: .*matches no file of .*wrap-night, which spans \d+-\d+ µs \(2021-02-01T16:22:16/,
    );
    expect(wrong.stderr).toContain("epoch year 2020, not --year 2021");
  });

  it("errors: exit codes and codes on stderr", async () => {
    const missing = await daqkit("gen2", "convert-all", join(tmp, "nope"), join(tmp, "pq-nope"));
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/^daqkit: GEN2_DIR_NOT_FOUND: /);
    const noBins = join(tmp, "empty-dir");
    mkdirSync(noBins);
    const none = await daqkit("gen2", "convert-all", noBins, join(tmp, "pq-none"));
    expect(none.code).toBe(4);
    expect(none.stderr).toContain("GEN2_NO_FILES");
    const partial = join(tmp, "partial.bin");
    writeFileSync(partial, Buffer.concat([readFileSync(join(TESTDATA, "binney_test_packet.bin")), Buffer.from([1, 2, 3])]));
    const bad = await daqkit("gen2", "info", partial);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("GEN2_PARTIAL_WORD");
    const noHeader = join(tmp, "noheader.bin");
    writeFileSync(noHeader, Buffer.from("18c2c41ef539ef127fffffffffffffff", "hex"));
    expect((await daqkit("gen2", "round-trip", noHeader)).stderr).toContain("GEN2_NO_HEADER");
    const usage = await daqkit("gen2", "read", night, "--from", "x", "--to", "1", "--out", join(tmp, "a.parquet"));
    expect(usage.code).toBe(2);
    const cacheFile = join(tmp, "cache-file");
    copyFileSync(partial, cacheFile);
    const cache = await daqkit("gen2", "convert-all", night, cacheFile);
    expect(cache.code).toBe(4);
    expect(cache.stderr).toContain("GEN2_CACHE_UNREADABLE");
  });
});
