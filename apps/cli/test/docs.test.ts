import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NdArray, composeRun, decodeMsgpackRecords, encodeMsgpack } from "@daqkit/docmodel";
import { encodeTiff, exportMsgpack } from "@daqkit/docmodel/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata/docmodel");
const tmp = mkdtempSync(join(tmpdir(), "daqkit-docs-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

beforeAll(() => {
  for (let i = 0; i < 3; i++) {
    const f = join(tmp, `frame_${i}.tiff`);
    writeFileSync(
      f,
      encodeTiff([
        new NdArray(
          "<u2",
          [2, 3],
          Uint16Array.from({ length: 6 }, (_, j) => i * 10 + j),
        ),
      ]),
    );
    utimesSync(f, 1559144355 + i, 1559144355 + i);
  }
});

describe("daqkit docs", () => {
  it("ls lists the Python-written runs and filters with --query", async () => {
    const all = await daqkit("--json", "docs", "ls", TESTDATA);
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout).runs).toHaveLength(5);
    const r = await daqkit("--json", "docs", "ls", TESTDATA, "--query", '{"plan_name": "count", "operator": "bob"}');
    expect(r.code).toBe(0);
    expect(
      JSON.parse(r.stdout)
        .runs.map((x: { uid: string }) => x.uid)
        .sort(),
    ).toEqual(["530894b3-1b56-534e-8926-86d5417fdc39", "e06ec65b-8213-5661-8475-727143384472"]);
    const human = await daqkit("docs", "ls", TESTDATA);
    expect(human.stdout).toContain("(no stop)");
  });

  it("ls rejects bad queries: JSON → usage (2), unknown operator → data error (3)", async () => {
    const bad = await daqkit("docs", "ls", TESTDATA, "--query", "{nope");
    expect(bad.code).toBe(2);
    const op = await daqkit("docs", "ls", TESTDATA, "--query", '{"$foo": 1}');
    expect(op.code).toBe(3);
    expect(op.stderr).toContain("DOCS_QUERY_INVALID");
    const missing = await daqkit("docs", "ls", join(tmp, "does-not-exist"));
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain("DOCS_NO_FILES");
  });

  it("show prints a run and reads a stream into columns", async () => {
    const r = await daqkit("docs", "show", TESTDATA, "05a9");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("stream primary: 5 events");
    const s = await daqkit("--json", "docs", "show", TESTDATA, "530894b3", "--stream", "primary");
    expect(s.code).toBe(0);
    const cols = JSON.parse(s.stdout).columns;
    expect(cols.cam_image).toMatchObject({ dtype: "<u2", shape: [3, 4, 5], dims: ["time", "y", "x"] });
    expect(cols.cam_sum.head).toEqual(["190", "2190", "4190"]);
    // A bare integer is a scan_id (event_page run has scan_id 3); digits that are no scan_id are a uid prefix.
    const byScan = await daqkit("--json", "docs", "show", TESTDATA, "3");
    expect(JSON.parse(byScan.stdout).start.uid).toBe("b7504d38-793e-55a0-a4b8-32efe2c72918");
    const byPrefix = await daqkit("--json", "docs", "show", TESTDATA, "0");
    expect(JSON.parse(byPrefix.stdout).start.uid).toBe("05a9a318-013e-5700-b4e3-e6b467ace5f8");
    const latest = await daqkit("--json", "docs", "show", TESTDATA, "-1");
    expect(JSON.parse(latest.stdout).stop).toBeNull();
    const none = await daqkit("docs", "show", TESTDATA, "ffff");
    expect(none.code).toBe(4);
    expect(none.stderr).toContain("DOCS_RUN_NOT_FOUND");
    const stream = await daqkit("docs", "show", TESTDATA, "05a9", "--stream", "nope");
    expect(stream.code).toBe(4);
    expect(stream.stderr).toContain("DOCS_STREAM_NOT_FOUND");
  });

  it("ingest tiff writes a run that ls/show find; export copies and writes jsonl", async () => {
    const out = join(tmp, "runs");
    const r = await daqkit(
      "--json",
      "docs",
      "ingest",
      "tiff",
      join(tmp, "frame_*.tiff"),
      "--out",
      out,
      "--metadata",
      '{"plan_name": "tiff_series"}',
    );
    expect(r.code).toBe(0);
    const { uid, records } = JSON.parse(r.stdout);
    expect(records).toEqual({ start: 1, descriptor: 1, event_page: 3, stop: 1 });
    const ls = await daqkit("--json", "docs", "ls", out, "--query", '{"plan_name": "tiff_series"}');
    expect(JSON.parse(ls.stdout).runs[0].uid).toBe(uid);
    const show = await daqkit("--json", "docs", "show", out, uid, "--stream", "primary");
    expect(JSON.parse(show.stdout).columns.image.shape).toEqual([3, 2, 3]);
    const again = await daqkit("docs", "ingest", "tiff", join(tmp, "frame_*.tiff"), "--out", out);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain("DOCS_FILE_EXISTS");
    const exp = await daqkit("docs", "export", out, uid, "--out", join(tmp, "jsonl"), "--format", "jsonl", "--canonical");
    expect(exp.code).toBe(0);
    const lines = readFileSync(join(tmp, "jsonl", `${uid}.jsonl`), "utf8")
      .trim()
      .split("\n");
    expect(lines.map((l) => JSON.parse(l)[0])).toEqual(["start", "descriptor", "event", "event", "event", "stop"]);
    const copy = await daqkit("--json", "docs", "export", TESTDATA, "--query", '{"scan_id": {"$lte": 2}}', "--out", join(tmp, "copy"));
    expect(JSON.parse(copy.stdout).runs).toHaveLength(2);
    const none = await daqkit("docs", "ingest", "tiff", join(tmp, "nothing_*.tiff"), "--out", out);
    expect(none.code).toBe(4);
    expect(none.stderr).toContain("DOCS_NO_FILES");
    const kind = await daqkit("docs", "ingest", "nonsense", "x", "--out", out);
    expect(kind.code).toBe(2);
  });

  it("ls reports a truncated file (exit 3) or skips it with --skip-bad", async () => {
    const dir = join(tmp, "cut");
    rmSync(dir, { recursive: true, force: true });
    const r = await daqkit("docs", "export", TESTDATA, "05a9", "--out", dir);
    expect(r.code).toBe(0);
    copyFileSync(join(TESTDATA, "530894b3-1b56-534e-8926-86d5417fdc39.msgpack"), join(dir, "cut.msgpack"));
    const bytes = readFileSync(join(dir, "cut.msgpack"));
    writeFileSync(join(dir, "cut.msgpack"), bytes.subarray(0, bytes.length - 3));
    const bad = await daqkit("docs", "ls", dir);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("DOCS_MSGPACK_TRUNCATED");
    const skip = await daqkit("--json", "docs", "ls", dir, "--skip-bad");
    expect(skip.code).toBe(0);
    expect(JSON.parse(skip.stdout).skipped[0].code).toBe("DOCS_MSGPACK_TRUNCATED");
  });

  it("'--' ends the options of docs commands: a run key starting with '-' (issue 14)", async () => {
    const dir = join(tmp, "dash");
    const run = composeRun({ uid: "-xdash-run", time: 1700000000, metadata: { plan_name: "dash" } });
    const d = run.composeDescriptor({ name: "primary", data_keys: { x: { dtype: "number", shape: [], source: "sim" } }, time: 1700000000 });
    await exportMsgpack(
      [
        ["start", run.startDoc],
        ["descriptor", d.descriptorDoc],
        ["event", d.composeEvent({ data: { x: 1.5 }, timestamps: { x: 1700000001 }, time: 1700000001 })],
        ["stop", run.composeStop({ time: 1700000002 })],
      ],
      dir,
    );
    const show = await daqkit("--json", "docs", "show", "--stream", "primary", dir, "--", "-xdash");
    expect(show.stderr).toBe("");
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ uid: "-xdash-run", length: 1 });
    const summary = await daqkit("--json", "docs", "show", dir, "--", "-xdash-run");
    expect(JSON.parse(summary.stdout).start.uid).toBe("-xdash-run");
    const exp = await daqkit("--json", "docs", "export", dir, "--out", join(tmp, "dash-copy"), "--", "-xdash");
    expect(exp.code).toBe(0);
    expect(JSON.parse(exp.stdout).runs[0].uid).toBe("-xdash-run");
    // Without '--' the key is an unknown option: a usage error, not a crash.
    const bad = await daqkit("docs", "show", dir, "-xdash");
    expect(bad.code).toBe(2);
  });

  it("invalid UTF-8 and damaged documents are data errors (exit 3), not U+FFFD output or a crash (issue 14)", async () => {
    const dir = join(tmp, "damaged");
    rmSync(dir, { recursive: true, force: true });
    const r = await daqkit("docs", "export", TESTDATA, "05a9", "--out", dir);
    expect(r.code).toBe(0);
    const file = join(dir, "05a9a318-013e-5700-b4e3-e6b467ace5f8.msgpack");
    const bytes = readFileSync(file);
    const bad = Buffer.from(bytes);
    bad[bytes.indexOf("plan_name") + 2] = 0xff;
    writeFileSync(file, bad);
    const exp = await daqkit("docs", "export", dir, "--out", join(tmp, "damaged-out"), "--format", "jsonl");
    expect(exp.code).toBe(3);
    expect(exp.stderr).toMatch(/^daqkit: DOCS_MSGPACK_BAD_UTF8: .*05a9a318.*byte \d+/);
    // A descriptor whose DataKey shape is not an array: docs show --stream gives a coded error.
    const pairs = [...decodeMsgpackRecords(bytes)];
    const descriptor = pairs.find(([n]) => n === "descriptor")?.[1] as { data_keys: Record<string, { shape: unknown }> };
    descriptor.data_keys.motor = { shape: "x" };
    writeFileSync(file, Buffer.concat(pairs.map((p) => encodeMsgpack(p))));
    const show = await daqkit("docs", "show", dir, "05a9", "--stream", "baseline");
    expect(show.code).toBe(3);
    expect(show.stderr).toContain("DOCS_MALFORMED_DOCUMENT");
    expect(show.stderr).toContain("data_keys.motor.shape");
  });
});
