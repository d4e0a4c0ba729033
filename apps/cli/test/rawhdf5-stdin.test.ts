import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromRawfile } from "@daqkit/rawhdf5/node";
import { tableFromIPC } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata/rawhdf5");
const TWO = join(TESTDATA, "raw_v0_0_two_iogroups.h5");
const EXPECTED = JSON.parse(readFileSync(join(TESTDATA, "expected.json"), "utf8")) as Record<
  string,
  { msgs_hex: string[]; io_groups: number[]; packets?: { fields: string[]; rows: number[][] } }
>;
// The built executable, as users run it (stdin is a real pipe there).
const bin = join(import.meta.dirname, "../dist/index.js");
const dir = mkdtempSync(join(tmpdir(), "daqkit-cli-rawhdf5-stdin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], input: string | Uint8Array) => spawnSync(process.execPath, [bin, ...args], { input, encoding: "utf8" });
const hex = async (path: string) => (await fromRawfile(path)).msgs!.map((m) => Buffer.from(m).toString("hex"));

describe("rawhdf5: `-` and pipes wherever messages are read", () => {
  it("append --from - reads text lines from stdin", async () => {
    const target = join(dir, "dash.h5");
    const r = run(["rawhdf5", "append", target, "--from", "-", "--io-group", "3"], "4464f15365000000\n7 44c9f15365000000\n");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(await hex(target)).toEqual(["4464f15365000000", "44c9f15365000000"]);
  });

  it("append --from /dev/stdin (a shell pipe) reads JSON, recognised by its content", async () => {
    const target = join(dir, "devstdin.h5");
    const json = join(dir, "msgs.json");
    writeFileSync(json, JSON.stringify(["00ff", { hex: "01", io_group: 9 }]));
    const r = spawnSync(
      "sh",
      ["-c", 'cat "$1" | "$2" "$3" rawhdf5 append "$4" --from /dev/stdin', "sh", json, process.execPath, bin, target],
      {
        encoding: "utf8",
      },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const data = await fromRawfile(target);
    expect(data.msgs!.map((m) => Buffer.from(m).toString("hex"))).toEqual(["00ff", "01"]);
    expect(Array.from(data.msgHeaders.io_groups)).toEqual([0, 9]);
  });

  it("append --from - takes a raw HDF5 file on stdin", async () => {
    const target = join(dir, "h5stdin.h5");
    const r = run(["rawhdf5", "append", target, "--from", "-"], readFileSync(TWO));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(await hex(target)).toEqual(EXPECTED["raw_v0_0_two_iogroups.h5"]!.msgs_hex);
  });

  it("bad stdin content is a coded usage error naming stdin, not a crash", () => {
    const r = run(["rawhdf5", "append", join(dir, "bad.h5"), "--from", "-"], "[not json");
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^daqkit: CLI_USAGE: stdin: invalid JSON/);
  });
});

describe("rawhdf5 to-packets --out .arrow", () => {
  it("writes an Arrow IPC file with the expected rows", async () => {
    const expected = EXPECTED["raw_v0_0_two_iogroups.h5"]!.packets!;
    const out = join(dir, "packets.arrow");
    const r = await daqkit("--json", "rawhdf5", "to-packets", TWO, "--out", out);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ messages: 8, packets: 29 });
    const table = tableFromIPC(readFileSync(out));
    const cols = expected.fields.map((name) => Array.from(table.getChild(name)!.toArray() as ArrayLike<number | bigint>, Number));
    expect(Array.from({ length: table.numRows }, (_, i) => cols.map((c) => c[i]))).toEqual(expected.rows);
  });
});
