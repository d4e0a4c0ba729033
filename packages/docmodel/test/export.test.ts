import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { temporaryPathFor } from "@daqkit/io/node";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  DocModelError,
  type DocumentPair,
  NdArray,
  composeRun,
  decodeMsgpackRecords,
  encodeMsgpackRun,
  loadMsgpackRunBytes,
  ndarray,
  packEventPage,
} from "../src/index.js";
import { exportMsgpack, indexMsgpackFile, loadMsgpackRun, openMsgpackCatalog, readMsgpackFile } from "../src/node.js";
import { ALL_UIDS, TESTDATA, tagged } from "./helpers.js";
import { havePython } from "../../../test/support/readers.js";

const tmp = mkdtempSync(join(tmpdir(), "docmodel-export-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PYTHON = "/usr/bin/python3";
const hasPython = havePython(["msgpack", "msgpack_numpy"]);
if (!hasPython)
  console.warn(`skipping the Python cross-check: ${PYTHON} cannot import msgpack + msgpack_numpy (Debian python3-msgpack-numpy)`);

function composeSample(): DocumentPair[] {
  const run = composeRun({
    uid: "docmodel-sample-run",
    time: 1700000000,
    metadata: { scan_id: 7, plan_name: "scan", sample: { name: "Si" } },
  });
  const out: DocumentPair[] = [["start", run.startDoc]];
  const primary = run.composeDescriptor({
    name: "primary",
    time: 1700000000.5,
    uid: "desc-primary",
    data_keys: {
      x: { dtype: "number", shape: [], source: "sim:x" },
      n: { dtype: "integer", shape: [], source: "sim:n" },
      label: { dtype: "string", shape: [], source: "sim:label" },
      img: { dtype: "array", shape: [2, 3], source: "sim:img", dims: ["y", "x"], dtype_numpy: "<u2" },
    },
    configuration: {
      det: {
        data: { exposure: 1 },
        timestamps: { exposure: 1700000000 },
        data_keys: { exposure: { dtype: "number", shape: [], source: "c" } },
      },
    },
  });
  out.push(["descriptor", primary.descriptorDoc]);
  for (let i = 0; i < 3; i++) {
    const t = 1700000001 + i;
    out.push([
      "event",
      primary.composeEvent({
        uid: `ev-${i}`,
        time: t,
        data: {
          x: i,
          n: 10 * i,
          label: `p${i}`,
          img: ndarray(
            Uint16Array.from({ length: 6 }, (_, j) => 100 * i + j),
            [2, 3],
          ),
        },
        timestamps: { x: t, n: t, label: t, img: t },
      }),
    ]);
  }
  out.push([
    "event_page",
    primary.composeEventPage({
      uid: ["ev-3", "ev-4"],
      time: [1700000004, 1700000005],
      data: { x: [3, 4.5], n: [30, 40], label: ["p3", "p4"], img: ndarray(new Uint16Array(12).fill(7), [2, 2, 3]) },
      timestamps: { x: [1, 2], n: [1, 2], label: [1, 2], img: [1, 2] },
    }),
  ]);
  const res = run.composeResource({ spec: "NPY", root: "/data", resource_path: "a/b.npy", resource_kwargs: {}, uid: "res-1" });
  out.push(["resource", res.resourceDoc]);
  out.push(["datum", res.composeDatum({ datum_kwargs: { index: 0 } })]);
  out.push(["stop", run.composeStop({ uid: "stop-1", time: 1700000010 })]);
  return out;
}

describe("exportMsgpack", () => {
  it("re-encodes every Python-written file byte for byte", () => {
    for (const uid of ALL_UIDS) {
      const original = readFileSync(join(TESTDATA, `${uid}.msgpack`));
      const records = [...decodeMsgpackRecords(original)];
      const again = encodeMsgpackRun(records);
      expect(Buffer.from(again).equals(original), uid).toBe(true);
    }
  });

  it("a run opened through the directory catalog (coalesced pages) re-exports byte for byte", async () => {
    const { catalog } = openMsgpackCatalog(TESTDATA);
    for (const uid of ALL_UIDS) {
      const run = await catalog.run(uid);
      const again = encodeMsgpackRun(run.documents());
      expect(Buffer.from(again).equals(readFileSync(join(TESTDATA, `${uid}.msgpack`))), uid).toBe(true);
    }
  });

  it("writes <uid>.msgpack with one-row pages and reads it back", async () => {
    const docs = composeSample();
    const r = await exportMsgpack(docs, join(tmp, "a"));
    expect(r.path).toBe(join(tmp, "a", "docmodel-sample-run.msgpack"));
    expect(r.counts).toEqual({ start: 1, descriptor: 1, event_page: 4, resource: 1, datum_page: 1, stop: 1 });
    const idx = indexMsgpackFile(r.path);
    expect(idx?.recordNames).toEqual([
      "start",
      "descriptor",
      "event_page",
      "event_page",
      "event_page",
      "event_page",
      "resource",
      "datum_page",
      "stop",
    ]);
    const { catalog } = openMsgpackCatalog(join(tmp, "a"));
    const run = await catalog.run("docmodel-sample-run");
    const cols = run.stream("primary").read();
    expect(Array.from(cols.columns.x?.data as Float64Array)).toEqual([0, 1, 2, 3, 4.5]);
    expect(cols.columns.n?.dtype).toBe("<i8");
    expect(cols.columns.img?.dtype).toBe("<u2");
    expect(cols.columns.img?.shape).toEqual([5, 2, 3]);
    expect(cols.columns.img?.dims).toEqual(["time", "y", "x"]);
    expect(cols.columns.label?.data).toEqual(["p0", "p1", "p2", "p3", "p4"]);
    // A second export of the same run refuses to overwrite.
    await expect(exportMsgpack(docs, join(tmp, "a"))).rejects.toSatisfy(
      (e) => DocModelError.isInstance(e) && e.code === "DOCS_FILE_EXISTS",
    );
  });

  it("streams several MiB through background writes, and a failing source leaves no file behind", async () => {
    const n = 20_000; // ≈ 5.4 MiB: several buffer hand-offs
    function* docs(failAt: number): Generator<DocumentPair> {
      const run = composeRun({ uid: `big-${failAt}`, time: 1 });
      yield ["start", run.startDoc];
      const d = run.composeDescriptor({ name: "primary", data_keys: { x: { dtype: "number", shape: [], source: "s" } } });
      yield ["descriptor", d.descriptorDoc];
      for (let i = 0; i < n; i++) {
        if (i === failAt) throw new Error("source failed");
        yield ["event", d.composeEvent({ data: { x: i }, timestamps: { x: i }, time: i })];
      }
      yield ["stop", run.composeStop({ time: n })];
    }
    const dir = join(tmp, "big");
    const r = await exportMsgpack(docs(-1), dir);
    expect(r.counts.event_page).toBe(n);
    expect(r.bytes).toBe(readFileSync(r.path).length);
    expect(Buffer.from(encodeMsgpackRun(loadMsgpackRun(r.path).documents())).equals(readFileSync(r.path))).toBe(true);
    const cols = loadMsgpackRun(r.path).stream("primary").read();
    expect(cols.length).toBe(n);
    expect(Array.from(cols.columns.x?.data as Float64Array).at(-1)).toBe(n - 1);
    await expect(exportMsgpack(docs(15_000), dir)).rejects.toThrow("source failed");
    expect(readdirSync(dir)).toEqual([basename(r.path)]);
  });

  it("uses @daqkit/io's atomic writer: temporaries of dead writers (old and new naming) are removed, live ones kept", async () => {
    const dir = join(tmp, "stale");
    mkdirSync(dir);
    const name = "docmodel-sample-run.msgpack";
    // The pid of a child that has exited: a dead writer.
    const deadPid = spawnSync(process.execPath, ["-e", ""]).pid;
    const dead = temporaryPathFor(join(dir, name)).replace(`.daqkit-${process.pid}-`, `.daqkit-${deadPid}-`);
    const legacy = join(dir, `.${name}.${deadPid}.1700000000000.tmp`);
    const live = join(dir, `.${name}.${process.pid}.1700000000000.tmp`);
    const other = join(dir, `.other.msgpack.${deadPid}.1700000000000.tmp`);
    for (const f of [dead, legacy, live, other]) writeFileSync(f, "partial");
    const r = await exportMsgpack(composeSample(), dir);
    expect(readdirSync(dir).sort()).toEqual([basename(other), basename(live), name].sort());
    expect(Buffer.from(encodeMsgpackRun(composeSample())).equals(readFileSync(r.path))).toBe(true);
  });

  it("overwrite replaces the file atomically; without it an existing file is never touched", async () => {
    const dir = join(tmp, "over");
    const first = await exportMsgpack(composeSample(), dir);
    writeFileSync(first.path, "not msgpack");
    await expect(exportMsgpack(composeSample(), dir)).rejects.toSatisfy(
      (e) => DocModelError.isInstance(e) && e.code === "DOCS_FILE_EXISTS",
    );
    expect(readFileSync(first.path, "utf8")).toBe("not msgpack");
    await exportMsgpack(composeSample(), dir, { overwrite: true });
    expect(Buffer.from(encodeMsgpackRun(composeSample())).equals(readFileSync(first.path))).toBe(true);
    expect(readdirSync(dir)).toEqual([basename(first.path)]);
  });

  it("reports truncated files and bad records with codes", async () => {
    const docs = composeSample();
    const r = await exportMsgpack(docs, join(tmp, "b"));
    const bytes = readFileSync(r.path);
    const cut = join(tmp, "b", "cut.msgpack");
    writeFileSync(cut, bytes.subarray(0, bytes.length - 5));
    expect(() => [...readMsgpackFile(cut)]).toThrow(expect.objectContaining({ code: "DOCS_MSGPACK_TRUNCATED" }));
    expect(() => indexMsgpackFile(cut)).toThrow(expect.objectContaining({ code: "DOCS_MSGPACK_TRUNCATED" }));
    const stray = join(tmp, "b", "stray.msgpack");
    writeFileSync(stray, Buffer.concat([bytes, Buffer.from([0x07])]));
    expect(() => [...readMsgpackFile(stray)]).toThrow(expect.objectContaining({ code: "DOCS_MSGPACK_BAD_RECORD" }));
    const { catalog, problems } = openMsgpackCatalog(join(tmp, "b"), { skipBad: true });
    expect(catalog.size).toBe(1);
    expect(problems.map((p) => p.error.code).sort()).toEqual(["DOCS_MSGPACK_BAD_RECORD", "DOCS_MSGPACK_TRUNCATED"]);
    expect(() => loadMsgpackRun(cut)).toThrow(expect.objectContaining({ code: "DOCS_MSGPACK_TRUNCATED", path: cut }));
    // A file whose first record is not a RunStart (a run without a start).
    const headless = join(tmp, "headless.msgpack");
    writeFileSync(headless, encodeMsgpackRun(docs.slice(1)));
    expect(() => [...readMsgpackFile(headless)]).toThrow(expect.objectContaining({ code: "DOCS_NO_START" }));
    expect(() => indexMsgpackFile(headless)).toThrow(expect.objectContaining({ code: "DOCS_NO_START" }));
    expect(() => loadMsgpackRun(headless)).toThrow(expect.objectContaining({ code: "DOCS_NO_START" }));
    const noStart = join(tmp, "nostart");
    await expect(exportMsgpack(docs.slice(1), noStart)).rejects.toSatisfy((e) => DocModelError.isInstance(e) && e.code === "DOCS_NO_START");
  });

  it.skipIf(!hasPython)("files we write decode in Python with msgpack + msgpack_numpy", async () => {
    const r = await exportMsgpack(composeSample(), join(tmp, "py"));
    const script = `
import json, sys, msgpack, msgpack_numpy, numpy
out = []
with open(sys.argv[1], "rb") as f:
    for name, doc in msgpack.Unpacker(f, object_hook=msgpack_numpy.decode, raw=False):
        def t(v):
            if isinstance(v, numpy.ndarray): return {"nd": v.dtype.str, "shape": list(v.shape), "sum": int(v.sum())}
            if isinstance(v, numpy.generic): return {"np": v.dtype.str}
            if isinstance(v, dict): return {k: t(x) for k, x in v.items()}
            if isinstance(v, list): return [t(x) for x in v]
            if isinstance(v, float): return {"float": v}
            return v
        out.append([name, t(doc)])
print(json.dumps(out))
`;
    const out = JSON.parse(execFileSync(PYTHON, ["-c", script, r.path], { encoding: "utf8" }));
    expect(out.map((x: [string]) => x[0])).toEqual([
      "start",
      "descriptor",
      "event_page",
      "event_page",
      "event_page",
      "event_page",
      "resource",
      "datum_page",
      "stop",
    ]);
    const [, start] = out[0];
    expect(start.time).toEqual({ float: 1700000000 });
    expect(start.scan_id).toBe(7);
    const [, page0] = out[2];
    expect(page0.time).toEqual([{ float: 1700000001 }]);
    expect(page0.data.x).toEqual([{ float: 0 }]);
    expect(page0.data.n).toEqual([0]);
    expect(page0.data.img).toEqual([{ nd: "<u2", shape: [2, 3], sum: 15 }]);
    expect(page0.timestamps.n).toEqual([{ float: 1700000001 }]);
    const [, page3] = out[5];
    expect(page3.data.img).toEqual({ nd: "<u2", shape: [2, 2, 3], sum: 84 });
    const [, descriptor] = out[1];
    expect(descriptor.configuration.det.data.exposure).toEqual({ float: 1 });
  });

  it("the fast loader falls back for values that are not plain numbers (bigint, strings)", () => {
    const run = composeRun({ uid: "mixed", time: 1 });
    const d = run.composeDescriptor({
      name: "primary",
      data_keys: { a: { dtype: "integer", shape: [], source: "s" }, b: { dtype: "string", shape: [], source: "s" } },
    });
    const docs: DocumentPair[] = [
      ["start", run.startDoc],
      ["descriptor", d.descriptorDoc],
    ];
    docs.push(["event", d.composeEvent({ data: { a: 1, b: "x" }, timestamps: { a: 1, b: 1 }, time: 1 })]);
    docs.push(["event", d.composeEvent({ data: { a: 2n ** 60n, b: "y" }, timestamps: { a: 2, b: 2 }, time: 2 })]);
    const d2 = run.composeDescriptor({ name: "other", data_keys: { c: { dtype: "integer", shape: [], source: "s" } } });
    docs.push(["descriptor", d2.descriptorDoc]);
    docs.push(["event", d2.composeEvent({ data: { c: 1 }, timestamps: { c: 1 }, time: 1 })]);
    docs.push(["event", d2.composeEvent({ data: { c: 2n ** 60n }, timestamps: { c: 2 }, time: 2 })]);
    docs.push(["event", d2.composeEvent({ data: { c: 3 }, timestamps: { c: 3 }, time: 3 })]);
    const bytes = encodeMsgpackRun(docs);
    const loaded = loadMsgpackRunBytes(bytes);
    expect(loaded.stream("primary").read().columns.b?.data).toEqual(["x", "y"]);
    expect(Array.from(loaded.stream("other").read().columns.c?.data as BigInt64Array)).toEqual([1n, 2n ** 60n, 3n]);
    expect(Buffer.from(encodeMsgpackRun(loaded.documents())).equals(Buffer.from(bytes))).toBe(true);
  });

  it("the per-descriptor event template writes the same bytes as the generic one-row page path, also for odd events", () => {
    const run = composeRun({ uid: "tmpl", time: 1 });
    const d = run.composeDescriptor({
      name: "primary",
      uid: "desc-tmpl",
      data_keys: { x: { dtype: "number", shape: [], source: "s" }, y: { dtype: "number", shape: [], source: "s" } },
    });
    const ev = (data: Record<string, unknown>, timestamps: Record<string, unknown>, uid: string, seq_num: number, extra = {}) =>
      ({ descriptor: "desc-tmpl", time: 1.5 + seq_num, uid, seq_num, data, timestamps, filled: {}, ...extra }) as never;
    const events = [
      ev({ x: 1, y: -0.5 }, { x: 1, y: 2 }, "a".repeat(36), 1),
      ev({ x: 2 ** 40, y: Number.NaN }, { x: 3, y: 4 }, "b".repeat(31), 2),
      ev({ y: 1, x: 2 }, { x: 1, y: 2 }, "reordered", 3),
      ev({ x: 1, y: 2, z: 3 }, { x: 1, y: 2 }, "extra-data-key", 4),
      ev({ x: 1 }, { x: 1, y: 2 }, "missing-data-key", 5),
      ev({ x: 1, y: 2 }, { x: 1 }, "missing-ts-key", 6),
      ev({ x: 1, y: 2 }, { x: 1, y: 2, z: 3 }, "extra-ts-key", 7),
      ev({ x: "s", y: 2 }, { x: 1, y: 2 }, "string-value", 8),
      ev({ x: 1, y: 2n }, { x: 1, y: 2 }, "bigint-value", 9),
      ev({ x: 1, y: 2 }, { x: 1, y: 2 }, "é-non-ascii-uid", 10),
      ev({ x: 1, y: 2 }, { x: 1, y: 2 }, "u".repeat(300), 2 ** 33),
      ev({ x: 1, y: 2 }, { x: 1, y: 2 }, "filled", 12, { filled: { x: false } }),
      ev({ x: 3, y: 4 }, { x: 5, y: 6 }, "c".repeat(36), 13),
    ];
    const head: DocumentPair[] = [
      ["start", run.startDoc],
      ["descriptor", d.descriptorDoc],
    ];
    const viaTemplate = encodeMsgpackRun([...head, ...events.map((e): DocumentPair => ["event", e])]);
    const generic = encodeMsgpackRun([...head, ...events.map((e): DocumentPair => ["event_page", packEventPage([e])])]);
    expect(Buffer.from(viaTemplate).equals(Buffer.from(generic))).toBe(true);
    const pages = [...decodeMsgpackRecords(viaTemplate)].slice(2) as any[];
    expect(pages.map(([, p]) => p.uid[0])).toEqual(events.map((e: any) => e.uid));
    expect(pages[3][1].data).toEqual({ x: [1], y: [2], z: [3] });
    expect(pages[0][1].data).toEqual({ x: [1], y: [-0.5] });
  });

  it("keeps NdArray scalars and dtypes through a round trip", () => {
    const scalar = new NdArray("<i8", [], BigInt64Array.of(190n), true);
    const bytes = encodeMsgpackRun([["start", { uid: "u", time: 1, v: scalar, f: new Float32Array([1.5]) }]]);
    const [[, doc]] = [...decodeMsgpackRecords(bytes)] as any;
    expect(tagged(doc)).toEqual({
      uid: "u",
      time: 1,
      v: { $ndscalar: { dtype: "<i8", value: 190 } },
      f: { $ndarray: { dtype: "<f4", shape: [1], data: [1.5] } },
    });
  });
});
