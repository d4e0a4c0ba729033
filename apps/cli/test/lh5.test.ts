import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const LH5 = join(import.meta.dirname, "../../../../shared/testdata/lh5");
const RAW = join(LH5, "prod-ref-l200/generated/tier/raw/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_raw.lh5");
const TCM = join(LH5, "prod-ref-l200/generated/tier/tcm_v2/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_tcm.lh5");
const dir = mkdtempSync(join(tmpdir(), "daqkit-cli-lh5-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("daqkit lh5", () => {
  it("ls prints the spec's worked-example tree", async () => {
    const r = await daqkit("lh5", "ls", RAW);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^\/\s+G\s+\(no datatype\)/);
    expect(lines[1]).toMatch(/^ {2}ch1084803\/\s+G\s+\(no datatype\)/);
    expect(lines[2]).toMatch(/^ {4}raw\/\s+G\s+table\{packet_id,eventnumber,timestamp,runtime,numtraces,tracelist,baseline,/);
    expect(lines[3]).toMatch(/^ {6}packet_id\s+D\s+array<1>\{real\}\s+uint32\s+\(10,\)\/\(∞,\)\s+chunks \(10,\)$/);
    expect(r.stdout).toMatch(/ {6}timestamp\s+D\s+array<1>\{real\}\s+float64\s+\(10,\)\/\(∞,\)\s+units="s"/);
    expect(r.stdout).toMatch(/ {6}tracelist\/\s+G\s+array<1>\{array<1>\{real\}\}/);
    expect(r.stdout).toMatch(/ {8}flattened_data\s+D\s+array<1>\{real\}\s+int16\s+\(0,\)\/\(∞,\)\s+chunks \(1024,\)/);
    expect(r.stdout).toMatch(/ {6}waveform\/\s+G\s+table\{t0,dt,values\}/);
    expect(r.stdout).toMatch(
      / {8}values\s+D\s+array_of_equalsized_arrays<1,1>\{real\}\s+uint16\s+\(10, 8192\)\/\(∞, 8192\)\s+chunks \(3, 2048\)/,
    );
    expect(r.stdout).toMatch(/ {8}dt\s+D\s+array<1>\{real\}\s+float32\s+\(10,\)\/\(∞,\)\s+units="ns"/);
    expect(r.stdout).toContain("  ch1121600/");
  });

  it("ls shows group attributes (old TCM)", async () => {
    const r = await daqkit("lh5", "ls", TCM.replace("/tcm_v2/", "/tcm/"));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      / {2}hardware_tcm_1\/\s+G\s+struct\{cumulative_length,array_id,array_idx\}\s+hash_func="\\d\+"\s+tables="\['ch1084803\/raw', /,
    );
    expect(r.stdout).toMatch(/ {4}array_idx\s+D\s+array<1>\{real\}\s+int64\s+\(30,\)\/\(∞,\)/);
  });

  it("ls PATH --json, and --depth", async () => {
    const r = await daqkit("--json", "lh5", "ls", TCM, "hardware_tcm_1");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.objects.map((o: { path: string }) => o.path)).toEqual([
      "hardware_tcm_1/table_key",
      "hardware_tcm_1/table_key/cumulative_length",
      "hardware_tcm_1/table_key/flattened_data",
      "hardware_tcm_1/row_in_table",
      "hardware_tcm_1/row_in_table/cumulative_length",
      "hardware_tcm_1/row_in_table/flattened_data",
    ]);
    expect(out.objects[1].filters.map((f: { id: number }) => f.id)).toEqual([2, 1]);
    const tree = await daqkit("lh5", "ls", TCM);
    expect(tree.stdout).toMatch(
      / {6}cumulative_length\s+D\s+array<1>\{real\}\s+int64\s+\(22,\)\/\(∞,\)\s+chunks \(22,\)\s+shuffle\+gzip\(4\)/,
    );
    const d = await daqkit("lh5", "ls", RAW, "--depth", "1");
    expect(d.stdout.trim().split("\n")).toHaveLength(4);
  });

  it("show a table with --rows and --columns", async () => {
    const r = await daqkit(
      "lh5",
      "show",
      RAW,
      "ch1084803/raw",
      "--rows",
      "2:5",
      "--columns",
      "daqenergy,timestamp,waveform/values,tracelist",
    );
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("ch1084803/raw: Table table{timestamp,tracelist,daqenergy,waveform}, 10 rows");
    expect(lines[1]).toMatch(/^row\s+timestamp \[s\]\s+tracelist\s+daqenergy\s+waveform\/values$/);
    expect(lines).toHaveLength(5);
    expect(lines[2]).toMatch(/^ *2\s+\S+\s+\[\]\s+645\s+\[\d+, \d+/);
    const j = await daqkit("--json", "lh5", "show", TCM, "hardware_tcm_1", "--rows", "0,3");
    expect(j.code).toBe(0);
    const out = JSON.parse(j.stdout);
    expect(out.rows).toBe(22);
    expect(out.data.row_in_table).toEqual([["0"], ["2", "1"]]);
  });

  it("--rows START:STOP with START after STOP is a usage error, not an empty table", async () => {
    const r = await daqkit("lh5", "show", RAW, "ch1084803/raw", "--rows", "5:2");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^daqkit: CLI_USAGE: --rows 5:2: START 5 is after STOP 2/);
    const e = await daqkit("lh5", "export", RAW, "ch1084803/raw", "--rows", "5:2", "--out", join(dir, "never-written.parquet"));
    expect(e.code).toBe(2);
  });

  it("ls PATH aligns below the path; show prints bools and nested VoVs", async () => {
    const evt = join(LH5, "l200-p16-r008-ssc-20251006T205904Z-tier_evt.lh5");
    const r = await daqkit("lh5", "ls", evt, "evt/geds/psd", "--depth", "1");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("/evt/geds/psd/  table{ann,coax_rt,drift_time,high_aoe,is_bb_like,is_good,low_aoe,lq}");
    expect(lines[1]).toMatch(/^ {2}ann\/ {2,12}G {2}table\{is_good,is_single_site,value\} {2}1000 rows$/);
    const s = await daqkit("lh5", "show", evt, "evt", "--columns", "geds/detector_name,geds/psd/ann/is_good,spms/energy", "--rows", "0:2");
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/ 0 {2}\["V00050A", "V03421A"\] +\[false, false\] +\[\[0\.909837543964, 0\.986440956593\], \[\], /);
  });

  it("show --decode decodes compressed waveforms", async () => {
    const p14 = join(LH5, "extra/l200-p14-r004-cal-20250606T010224Z-tier_raw.lh5");
    const enc = await daqkit("lh5", "show", p14, "ch1105600/raw", "--columns", "waveform_windowed/values");
    expect(enc.code).toBe(0);
    expect(enc.stdout).toContain("<radware_sigcompress: 1244 bytes>");
    const dec = await daqkit("lh5", "show", p14, "ch1105600/raw", "--columns", "waveform_windowed/values", "--decode");
    expect(dec.code).toBe(0);
    expect(dec.stdout).toContain("[14996, 15009, 14998, 15005, 14995, 15006, … (1400)]");
  });

  it("export to .arrow and .parquet", async () => {
    const arrowOut = join(dir, "raw.arrow");
    const a = await daqkit("lh5", "export", RAW, "ch1084803/raw", "--out", arrowOut, "--batch-rows", "4");
    expect(a.code).toBe(0);
    expect(a.stdout).toContain("10 rows");
    const t = tableFromIPC(readFileSync(arrowOut));
    expect(t.numRows).toBe(10);
    expect(t.batches.length).toBe(3);
    expect(Array.from(t.getChild("daqenergy")?.toArray() ?? [])).toEqual([3101, 3478, 645, 7972, 1669, 5454, 955, 4050, 1129, 1866]);
    expect(t.schema.fields.map((f) => f.name)).toContain("waveform_values");

    const pqOut = join(dir, "tcm.parquet");
    const p = await daqkit("lh5", "export", TCM, "hardware_tcm_1", "--out", pqOut);
    expect(p.code).toBe(0);
    const pq = await import("parquet-wasm");
    const back = tableFromIPC(pq.readParquet(readFileSync(pqOut)).intoIPCStream());
    expect(back.numRows).toBe(22);
    expect(Array.from(back.getChild("row_in_table")?.get(1) ?? [], Number)).toEqual([0, 0]);
  });

  it("bad input: coded errors and exit codes", async () => {
    const missing = await daqkit("lh5", "ls", join(dir, "nope.lh5"));
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/^daqkit: LH5_FILE_NOT_FOUND: /);
    const text = join(dir, "text.lh5");
    writeFileSync(text, "not hdf5");
    const notHdf5 = await daqkit("lh5", "show", text, "x");
    expect(notHdf5.code).toBe(3);
    expect(notHdf5.stderr).toContain("LH5_NOT_HDF5");
    const noObj = await daqkit("lh5", "show", RAW, "ch1084803/nothing");
    expect(noObj.code).toBe(4);
    expect(noObj.stderr).toContain("LH5_OBJECT_NOT_FOUND");
    const badRows = await daqkit("lh5", "show", RAW, "ch1084803/raw", "--rows", "3,99");
    expect(badRows.code).toBe(3);
    expect(badRows.stderr).toContain("LH5_BAD_ROWS");
    const usage = await daqkit("lh5", "show", RAW, "ch1084803/raw", "--rows", "x");
    expect(usage.code).toBe(2);
    const ext = await daqkit("lh5", "export", RAW, "ch1084803/raw", "--out", join(dir, "x.csv"));
    expect(ext.code).toBe(2);
    const notTable = await daqkit("lh5", "export", RAW, "ch1084803/raw/daqenergy", "--out", join(dir, "x.arrow"));
    expect(notTable.code).toBe(3);
    expect(notTable.stderr).toContain("LH5_UNSUPPORTED");
  });
});
