import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromRawfile, toRawfile } from "@daqkit/rawhdf5/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata/rawhdf5");
const TWO = join(TESTDATA, "raw_v0_0_two_iogroups.h5");
const EXPECTED = JSON.parse(readFileSync(join(TESTDATA, "expected.json"), "utf8")) as Record<
  string,
  { msgs_hex: string[]; io_groups: number[]; packets?: { fields: string[]; rows: number[][] } }
>;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "daqkit-cli-rawhdf5-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("daqkit rawhdf5", () => {
  it("repair: a crashed writer's file is reported with the repair command, repaired, then appendable", async () => {
    const path = join(dir, "crashed.h5");
    copyFileSync(TWO, path);
    const h5 = await import("h5wasm/node");
    const module = await h5.ready;
    const f = new h5.File(path, "a", { libver: ["v110", "latest"] });
    module.resize_dataset(f.file_id, "/msgs", [9n]);
    f.close();
    // Set the superblock's open-for-SWMR-write flags (0x05) the way a killed writer leaves them.
    const bytes = readFileSync(path);
    bytes[11] = 5;
    const { lookup3 } = await import("@daqkit/io");
    bytes.writeUInt32LE(lookup3(bytes.subarray(0, 44)), 44);
    writeFileSync(path, bytes);
    const msgs = join(dir, "one.txt");
    writeFileSync(msgs, "4464f15365000000\n");
    const before = await daqkit("rawhdf5", "append", path, "--from", msgs);
    expect(before.code).toBe(3);
    expect(before.stderr).toMatch(/^daqkit: RAWHDF5_NEEDS_REPAIR: .*daqkit rawhdf5 repair/);
    const cat = await daqkit("rawhdf5", "cat", path);
    expect(cat.code).toBe(3);
    expect(cat.stderr).toMatch(/RAWHDF5_UNSYNCHRONIZED: .*daqkit rawhdf5 repair/);
    const r = await daqkit("rawhdf5", "repair", path);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("cleared the superblock's open-for-write flags (0x5)");
    expect(r.stdout).toContain("truncated msgs (9 rows) and msg_headers (8 rows) to 8 complete messages");
    expect((await daqkit("rawhdf5", "append", path, "--from", msgs)).code).toBe(0);
    expect((await fromRawfile(path)).length).toBe(9);
    const again = await daqkit("--json", "rawhdf5", "repair", path);
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, kept: 9 });
  });

  it("info: versions, count and io_group histogram", async () => {
    const r = await daqkit("rawhdf5", "info", TWO);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("messages   8");
    expect(r.stdout).toContain("io_groups  1: 4, 2: 4");
    const j = await daqkit("--json", "rawhdf5", "info", TWO);
    expect(JSON.parse(j.stdout)).toMatchObject({
      version: "0.0",
      ioVersion: "0.0",
      count: 8,
      ioGroups: { "1": 4, "2": 4 },
      created: 1795235774.4636953,
    });
  });

  it("info on a missing file exits 4; on a non-raw file exits 3", async () => {
    const r = await daqkit("rawhdf5", "info", join(dir, "missing.h5"));
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^daqkit: RAWHDF5_NOT_FOUND: /);
    const text = join(dir, "text.h5");
    writeFileSync(text, "not hdf5");
    const t = await daqkit("rawhdf5", "info", text);
    expect(t.code).toBe(3);
    expect(t.stderr).toMatch(/RAWHDF5_NOT_RAWFILE/);
  });

  it("cat: slices with negative start and --hex", async () => {
    const r = await daqkit("--json", "rawhdf5", "cat", TWO, "--start=-2", "--hex");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.messages.map((m: { hex: string }) => m.hex)).toEqual(EXPECTED["raw_v0_0_two_iogroups.h5"]!.msgs_hex.slice(-2));
    expect(out.messages.map((m: { index: number }) => m.index)).toEqual([6, 7]);
    const h = await daqkit("rawhdf5", "cat", TWO, "--start", "3", "--end", "4");
    // a header line names the columns; --json carries the same PACMAN fields as the text
    expect(h.stdout.trim()).toBe("index\tio_group\tsize\tpacman\n3\tio_group=2\t8 B\tD t=1700000003 words=0");
    const j = JSON.parse((await daqkit("--json", "rawhdf5", "cat", TWO, "--start", "3", "--end", "4")).stdout);
    expect(j.messages).toEqual([{ index: 3, ioGroup: 2, bytes: 8, pacman: { type: "D", unixTime: 1700000003, words: 0 } }]);
    const bad = await daqkit("rawhdf5", "cat", TWO, "--start", "x");
    expect(bad.code).toBe(2);
  });

  it("append: from text, JSON and another raw file; version mismatch leaves the file alone", async () => {
    const target = join(dir, "append.h5");
    const txt = join(dir, "msgs.txt");
    writeFileSync(txt, "# comment\n4464f15365000000\n7 44c9f15365000000\n");
    const a = await daqkit("rawhdf5", "append", target, "--from", txt, "--io-group", "3", "--io-version", "0.0");
    expect(a.code).toBe(0);
    expect(a.stdout).toContain("created");
    const json = join(dir, "msgs.json");
    writeFileSync(json, JSON.stringify(["00ff", { hex: "", io_group: 9 }]));
    expect((await daqkit("rawhdf5", "append", target, "--from", json)).code).toBe(0);
    expect((await daqkit("rawhdf5", "append", target, "--from", TWO)).code).toBe(0);
    const data = await fromRawfile(target);
    expect(data.msgs!.map((m) => Buffer.from(m).toString("hex"))).toEqual([
      "4464f15365000000",
      "44c9f15365000000",
      "00ff",
      "",
      ...EXPECTED["raw_v0_0_two_iogroups.h5"]!.msgs_hex,
    ]);
    expect(Array.from(data.msgHeaders.io_groups)).toEqual([3, 7, 0, 9, ...EXPECTED["raw_v0_0_two_iogroups.h5"]!.io_groups]);
    const before = readFileSync(target);
    const bad = await daqkit("rawhdf5", "append", target, "--from", txt, "--io-version", "0.1");
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/^daqkit: RAWHDF5_IO_VERSION_MISMATCH: /);
    expect(readFileSync(target).equals(before)).toBe(true);
  });

  it("follow: prints existing and appended messages, stops when idle", async () => {
    const path = join(dir, "follow.h5");
    await toRawfile(path, { msgs: [new Uint8Array([0x44, 1, 0, 0, 0, 0, 0, 0])], msgHeaders: { io_groups: [1] } });
    const running = daqkit("--json", "rawhdf5", "follow", path, "--start", "0", "--poll-ms", "20", "--idle-timeout", "3", "--hex");
    await new Promise((r) => setTimeout(r, 300));
    await toRawfile(path, { msgs: [new Uint8Array([0x44, 2, 0, 0, 0, 0, 0, 0]), new Uint8Array([9])], msgHeaders: { io_groups: [2, 2] } });
    const r = await running;
    expect(r.code).toBe(0);
    const hexes = [...r.stdout.matchAll(/"hex": "([0-9a-f]*)"/g)].map((m) => m[1]);
    expect(hexes).toEqual(["4401000000000000", "4402000000000000", "09"]);
  });

  it("to-packets: .h5 and .parquet give the expected rows", async () => {
    const expected = EXPECTED["raw_v0_0_two_iogroups.h5"]!.packets!;
    const h5 = join(dir, "packets.h5");
    const r = await daqkit("rawhdf5", "to-packets", TWO, "--out", h5, "--block", "3");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("8 messages → 29 packets");
    const h5wasm = await import("h5wasm/node");
    await h5wasm.ready;
    const f = new h5wasm.File(h5, "r");
    try {
      const rows = (f.get("packets") as unknown as { value: unknown[][] }).value.map((row) => row.map(Number));
      expect(rows).toEqual(expected.rows);
    } finally {
      f.close();
    }
    const pqPath = join(dir, "packets.parquet");
    const p = await daqkit("--json", "rawhdf5", "to-packets", TWO, "--out", pqPath);
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout)).toMatchObject({ messages: 8, packets: 29 });
    const pq = await import("parquet-wasm");
    const { tableFromIPC } = await import("apache-arrow");
    const table = tableFromIPC(pq.readParquet(readFileSync(pqPath)).intoIPCStream());
    expect(table.numRows).toBe(29);
    const cols = expected.fields.map((name) => Array.from(table.getChild(name)!.toArray() as ArrayLike<number | bigint>, Number));
    const rows = Array.from({ length: 29 }, (_, i) => cols.map((c) => c[i]));
    expect(rows).toEqual(expected.rows);
    // DuckDB (root dev dependency) as an independent Parquet reader.
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const db = await DuckDBInstance.create(":memory:");
    const con = await db.connect();
    const res = await con.runAndReadAll(
      `select count(*)::INTEGER n, sum(timestamp)::BIGINT ts, typeof(any_value(timestamp)) t, sum(receipt_timestamp)::BIGINT rts from '${pqPath}'`,
    );
    const sum = (k: number) => expected.rows.reduce((t, row) => t + row[k]!, 0);
    expect(res.getRowObjectsJson()).toEqual([
      {
        n: 29,
        ts: String(sum(expected.fields.indexOf("timestamp"))),
        t: "UBIGINT",
        rts: String(sum(expected.fields.indexOf("receipt_timestamp"))),
      },
    ]);
    con.closeSync();
  });

  it("to-packets: an empty file gives an empty parquet file; a bad extension is a usage error", async () => {
    const out = join(dir, "empty.parquet");
    const r = await daqkit("rawhdf5", "to-packets", join(TESTDATA, "raw_v0_0_empty.h5"), "--out", out);
    expect(r.code).toBe(0);
    expect(existsSync(out)).toBe(true);
    const bad = await daqkit("rawhdf5", "to-packets", TWO, "--out", join(dir, "x.csv"));
    expect(bad.code).toBe(2);
  });

  it("to-packets: a file with a non-PACMAN message fails with a coded error unless --lenient", async () => {
    const path = join(dir, "junk.h5");
    copyFileSync(TWO, path);
    await toRawfile(path, { msgs: [new Uint8Array([0x58, 0, 0, 0, 0, 0, 0, 0])] });
    const r = await daqkit("rawhdf5", "to-packets", path, "--out", join(dir, "junk-packets.h5"));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/RAWHDF5_BAD_PACMAN_MESSAGE: .*message 8/);
    expect(existsSync(join(dir, "junk-packets.h5"))).toBe(false);
    const ok = await daqkit("--json", "rawhdf5", "to-packets", path, "--out", join(dir, "junk-packets.h5"), "--lenient");
    expect(JSON.parse(ok.stdout)).toMatchObject({ packets: 29 });
  });
});
