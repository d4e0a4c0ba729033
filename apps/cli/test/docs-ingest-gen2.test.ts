/**
 * Issue 18: `docs ingest gen2` writes photons as event pages with array columns (one event = a block of photons),
 * so the msgpack file of a night stays within 2× of the Parquet cache of the same night (`gen2 convert-all`), and
 * databroker-style readers still get every photon (issue 15: photons per event vary, so blocks are zero-padded to
 * the declared shape and `count` gives the real photons; databroker 1.2 stacks a stream's rows and refuses ragged ones).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadMsgpackRun } from "@daqkit/docmodel/node";
import { type Gen2Header, decodeGen2Arrays, scanGen2Directory } from "@daqkit/gen2-bin/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_PYTHON, havePython } from "../../../test/support/readers.js";
import { daqkit } from "./run.js";

const SHARED = join(import.meta.dirname, "../../../../shared");
let tmp: string;
let night: string;
let manifest: { total_photons: number; files: Array<{ name: string }> };

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "daqkit-docs-gen2-"));
  night = join(tmp, "night");
  const r = spawnSync("python3", [join(SHARED, "tools/gen2_make.py"), night, "--photons", "60000", "--seconds", "4", "--quiet"], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(r.stderr);
  manifest = JSON.parse(readFileSync(join(night, "manifest.json"), "utf8"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sizeOf(dir: string, suffix: string): number {
  let n = 0;
  for (const f of readdirSync(dir, { recursive: true }) as string[]) if (f.endsWith(suffix)) n += statSync(join(dir, f)).size;
  return n;
}

describe("docs ingest gen2", () => {
  it("the msgpack run is within 2× of the Parquet cache of the same night, and holds every photon", async () => {
    const pq = join(tmp, "pq");
    const conv = await daqkit("gen2", "convert-all", night, pq, "--workers", "0", "-q");
    expect(conv.code, conv.stderr).toBe(0);
    const runs = join(tmp, "runs");
    const ing = await daqkit("--json", "docs", "ingest", "gen2", night, "--out", runs);
    expect(ing.code, ing.stderr).toBe(0);
    const parquetBytes = sizeOf(pq, ".parquet");
    const msgpackBytes = sizeOf(runs, ".msgpack");
    const photons = manifest.total_photons;
    console.log(
      `gen2 night of ${photons} photons: msgpack ${msgpackBytes} B (${(msgpackBytes / photons).toFixed(1)} B/photon), ` +
        `Parquet cache ${parquetBytes} B (${(parquetBytes / photons).toFixed(1)} B/photon), ratio ${(msgpackBytes / parquetBytes).toFixed(2)}`,
    );
    expect(msgpackBytes).toBeLessThanOrEqual(2 * parquetBytes);

    const uid = JSON.parse(ing.stdout).uid as string;
    const run = loadMsgpackRun(join(runs, `${uid}.msgpack`));
    let n = 0;
    for (const name of ["primary", "wide"]) {
      if (!run.streams.includes(name)) continue;
      // Photons per event vary (the last block is short): every event has the declared length, padded, and
      // `count` says how many photons are real, so read() (and databroker's stacking) sees equal rows.
      const block = run.stream(name).descriptors[0]?.data_keys.dt_us?.shape as number[];
      const cols = run.stream(name).read().columns;
      expect(cols.dt_us?.shape).toEqual([cols.count?.shape[0], block[0]]);
      const counts = Array.from(cols.count?.data as BigInt64Array, Number);
      expect(Math.min(...counts)).toBeLessThan(block[0] as number);
      expect(cols.dt_us?.dtype).toBe("<i4");
      const dt = cols.dt_us?.data as Int32Array;
      counts.forEach((c, e) => {
        n += c;
        expect(dt[e * (block[0] as number)]).toBe(0); // the first photon is at t0
        for (const v of dt.subarray(e * (block[0] as number) + c, (e + 1) * (block[0] as number))) expect(v).toBe(0);
      });
    }
    expect(n).toBe(photons);

    // The blocks hold exactly the decoded photons: T = t0_us + dt_us, xy, phase (sums over the night).
    const scan = await scanGen2Directory(night);
    let header: Gen2Header | null = null;
    const want = { t: 0n, xy: 0, phase: 0 };
    for (const f of scan.files) {
      const dec = decodeGen2Arrays(new Uint8Array(readFileSync(f.path)), { header, board: true, path: f.path });
      header = dec.lastHeader;
      for (const v of dec.photons.timestamp as BigInt64Array) want.t += v;
      for (const v of dec.photons.xy as Uint16Array) want.xy += v;
      for (const v of dec.photons.phase as Int32Array) want.phase += v;
    }
    const cols = run.stream("primary").read().columns;
    const block = cols.dt_us?.shape[1] as number;
    const got = { t: 0n, xy: 0, phase: 0 };
    const t0s = cols.t0_us?.data as BigInt64Array;
    const dts = cols.dt_us?.data as Int32Array;
    const xys = cols.xy?.data as Uint16Array;
    const phases = cols.phase?.data as Int32Array;
    Array.from(cols.count?.data as BigInt64Array, Number).forEach((c, e) => {
      const t0 = t0s[e] as bigint;
      for (let i = e * block; i < e * block + c; i++) {
        got.t += t0 + BigInt(dts[i] as number);
        got.xy += xys[i] as number;
        got.phase += phases[i] as number;
      }
    });
    expect(got).toEqual(want);
    if (havePython(["msgpack", "msgpack_numpy", "numpy"])) {
      // What databroker 1.2's read() does with a stream's rows: stack them (dask.array.stack; numpy.stack here).
      const script = [
        "import sys, msgpack, msgpack_numpy, numpy",
        "rows = []; n = 0",
        "for name, doc in msgpack.Unpacker(open(sys.argv[1], 'rb'), object_hook=msgpack_numpy.decode, raw=False):",
        "    if name == 'descriptor' and doc['name'] == 'primary': desc = doc['uid']; shape = doc['data_keys']['xy']['shape']",
        "    if name == 'event_page' and doc['descriptor'] == desc:",
        "        rows.extend(doc['data']['xy']); n += sum(doc['data']['count'])",
        "print(numpy.stack(rows).shape[1] == shape[0], n)",
      ].join("\n");
      const py = execFileSync(SYSTEM_PYTHON, ["-c", script, join(runs, `${uid}.msgpack`)], { encoding: "utf8" })
        .trim()
        .split(" ");
      expect(py[0]).toBe("True");
      expect(Number(py[1])).toBeGreaterThan(0);
    }
  });
});
