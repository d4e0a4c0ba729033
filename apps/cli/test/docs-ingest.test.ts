import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const SHARED = join(import.meta.dirname, "../../../../shared/testdata");
const NIGHT = join(import.meta.dirname, "../../../examples/gen2-night");
const hasPython = spawnSync("/usr/bin/python3", ["-c", "import msgpack, msgpack_numpy"]).status === 0;
const tmp = mkdtempSync(join(tmpdir(), "daqkit-docs-ingest-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("daqkit docs ingest (cross-format ingestors)", () => {
  it("gen2: a time range of the example night, found by ls --query", async () => {
    const out = join(tmp, "gen2");
    const info = await daqkit("--json", "gen2", "info", join(NIGHT, "1773482400.bin"));
    expect(info.code).toBe(0);
    // 1773482400 = 2026-03-14T10:00:00Z; T is µs since 2026-01-01.
    const t0 = (1773482400 - Date.UTC(2026, 0, 1) / 1000) * 1e6;
    const r = await daqkit(
      "--json",
      "docs",
      "ingest",
      "gen2",
      NIGHT,
      "--out",
      out,
      "--option",
      `from=${t0}`,
      "--option",
      `to=${t0 + 99_999}`,
      "--option",
      "block=1000",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { uid, records } = JSON.parse(r.stdout);
    expect(records.start).toBe(1);
    expect(records.event_page).toBeGreaterThan(1);
    const ls = await daqkit("--json", "docs", "ls", out, "--query", '{"plan_name": "gen2_bin", "year": 2026}');
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout).runs.map((x: { uid: string }) => x.uid)).toEqual([uid]);
    const show = await daqkit("--json", "docs", "show", out, uid, "--stream", "primary");
    const s = JSON.parse(show.stdout);
    expect(Object.keys(s.columns)).toEqual(["t0_us", "count", "xy", "board", "dt_us", "phase", "baseline"]);
    expect(s.columns.xy.dtype).toBe("<u2");
    expect(s.columns.xy.shape[1]).toBe(1000);
    expect(s.time[0]).toBeGreaterThanOrEqual(1773482400);
    expect(s.time[0]).toBeLessThan(1773482400.1);
    if (hasPython) {
      // The file decodes in Python with the upstream rules (msgpack + msgpack_numpy): numpy columns per page.
      const script = [
        "import sys, msgpack, msgpack_numpy",
        "n = 0; kinds = set()",
        "for name, doc in msgpack.Unpacker(open(sys.argv[1], 'rb'), object_hook=msgpack_numpy.decode, raw=False):",
        "    kinds.add(name)",
        "    if name == 'event_page': n += len(doc['seq_num']); dt = doc['data']['xy'].dtype.str; assert doc['data']['xy'].shape == (1, 1000)",
        "print(n, dt, ','.join(sorted(kinds)))",
      ].join("\n");
      const py = execFileSync("/usr/bin/python3", ["-c", script, JSON.parse(r.stdout).path], { encoding: "utf8" })
        .trim()
        .split(" ");
      expect(Number(py[0])).toBe(s.length);
      expect(py[1]).toBe("<u2");
      expect(py[2]).toBe("descriptor,event_page,start,stop");
    } else console.warn("skipping the Python cross-check: /usr/bin/python3 with msgpack + msgpack_numpy is not available");
    const bad = await daqkit("docs", "ingest", "gen2", join(tmp, "nope"), "--out", out);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain("GEN2_DIR_NOT_FOUND");
  });

  it("rawhdf5: messages and io_groups", async () => {
    const out = join(tmp, "raw");
    const r = await daqkit("--json", "docs", "ingest", "rawhdf5", join(SHARED, "rawhdf5/raw_v0_0_two_iogroups.h5"), "--out", out);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { uid } = JSON.parse(r.stdout);
    const show = await daqkit("--json", "docs", "show", out, uid, "--stream", "primary");
    const s = JSON.parse(show.stdout);
    expect(s.length).toBe(8);
    expect(s.columns.io_group.head).toEqual([1, 2, 1, 2, 1]);
    // Messages vary in length (issue 15): `msg` is zero-padded to the longest one, `msg_length` is the real length,
    // so every row has the declared shape and databroker-style stacking works.
    expect(s.columns.msg.dtype).toBe("|u1");
    const { loadMsgpackRun } = await import("@daqkit/docmodel/node");
    const run = loadMsgpackRun(JSON.parse(r.stdout).path);
    const cols = run.stream("primary").read().columns;
    const lengths = Array.from(cols.msg_length?.data as BigInt64Array, Number);
    expect(new Set(lengths).size).toBeGreaterThan(1);
    expect(run.stream("primary").descriptors[0]?.data_keys.msg?.shape).toEqual([Math.max(...lengths)]);
    expect(cols.msg?.shape).toEqual([8, Math.max(...lengths)]);
    if (hasPython) {
      const script = [
        "import sys, msgpack, msgpack_numpy, numpy",
        "rows = []; lengths = []",
        "for name, doc in msgpack.Unpacker(open(sys.argv[1], 'rb'), object_hook=msgpack_numpy.decode, raw=False):",
        "    if name == 'event_page': rows.extend(doc['data']['msg']); lengths.extend(doc['data']['msg_length'])",
        "a = numpy.stack(rows)  # what databroker 1.2's read() does (dask.array.stack)",
        "print(a.shape[0], all(not a[i, n:].any() for i, n in enumerate(lengths)))",
      ].join("\n");
      expect(execFileSync("/usr/bin/python3", ["-c", script, JSON.parse(r.stdout).path], { encoding: "utf8" }).trim()).toBe("8 True");
    }
    expect(s.time[0]).toBe(1700000000);
    const ls = await daqkit("--json", "docs", "ls", out, "--query", '{"num_messages": 8}');
    expect(JSON.parse(ls.stdout).runs).toHaveLength(1);
  });

  it("lh5: a table's rows as events", async () => {
    const out = join(tmp, "lh5");
    const file = join(SHARED, "lh5/LDQTA_r117_20200110T105115Z_cal_geds_raw.lh5");
    const r = await daqkit("--json", "docs", "ingest", "lh5", file, "--out", out, "--option", "table=geds/raw");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { uid } = JSON.parse(r.stdout);
    const show = await daqkit("--json", "docs", "show", out, uid);
    const s = JSON.parse(show.stdout);
    expect(s.streams[0].events).toBeGreaterThan(0);
    expect(s.streams[0].events).toBe(100);
    expect(Object.keys(s.streams[0].data_keys)).toContain("waveform_values");
    const cols = JSON.parse((await daqkit("--json", "docs", "show", out, uid, "--stream", "primary")).stdout).columns;
    expect(cols.waveform_values.shape[0]).toBe(100);
    // The VectorOfVectors `tracelist` (issue 15): zero-padded to the longest vector, real lengths beside it.
    const dk = s.streams[0].data_keys;
    expect(dk.tracelist.shape).toHaveLength(1);
    expect(typeof dk.tracelist.shape[0]).toBe("number");
    expect(dk.tracelist_length.dtype).toBe("integer");
    expect(cols.tracelist.shape).toEqual([100, dk.tracelist.shape[0]]);
    const { loadMsgpackRun } = await import("@daqkit/docmodel/node");
    const read = loadMsgpackRun(JSON.parse(r.stdout).path)
      .stream("primary")
      .read({ include: ["tracelist", "tracelist_length"] }).columns;
    const lengths = Array.from(read.tracelist_length?.data as BigInt64Array, Number);
    expect(Math.max(...lengths)).toBe(dk.tracelist.shape[0]);
    const missing = await daqkit("docs", "ingest", "lh5", file, "--out", out, "--option", "table=nope/raw");
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain("LH5_");
  });

  it("uids name the data, not its folder: the same inputs copied elsewhere get the same uid (issue 14)", async () => {
    const raw = join(SHARED, "rawhdf5/raw_v0_0_two_iogroups.h5");
    const lh5 = join(SHARED, "lh5/LDQTA_r117_20200110T105115Z_cal_geds_raw.lh5");
    const uids: Record<string, string[]> = { gen2: [], rawhdf5: [], lh5: [] };
    for (const where of ["first/place", "second"]) {
      const base = join(tmp, "copies", where);
      mkdirSync(base, { recursive: true });
      cpSync(NIGHT, join(base, "night"), { recursive: true });
      cpSync(raw, join(base, "raw.h5"));
      cpSync(lh5, join(base, "file.lh5"));
      const out = join(base, "runs");
      for (const [kind, input, extra] of [
        ["gen2", join(base, "night"), ["--option", "year=2026"]],
        ["rawhdf5", join(base, "raw.h5"), []],
        ["lh5", join(base, "file.lh5"), ["--option", "table=geds/raw"]],
      ] as const) {
        const r = await daqkit("--json", "docs", "ingest", kind, input, "--out", out, ...extra);
        expect(r.stderr).toBe("");
        uids[kind]?.push(JSON.parse(r.stdout).uid);
      }
    }
    for (const [kind, [a, b]] of Object.entries(uids)) {
      expect(a, kind).toBe(b);
      expect(a?.startsWith("-"), kind).toBe(false);
    }
    expect(new Set(Object.values(uids).map(([a]) => a)).size).toBe(3);
  });
});
