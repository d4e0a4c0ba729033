/**
 * Issue 15 (docmodel): parity with event-model / suitcase-msgpack / msgpack_numpy / databroker 1.2 on the cases
 * found at the seams. The upstream bytes are `fixtures/upstream/parity.msgpack`, written by Debian's msgpack +
 * msgpack_numpy with `fixtures/upstream/make_fixtures.py` (suitcase-msgpack's record layout); what Python decodes
 * from it is `parity.expected.json`, made by the same script.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type DocumentPair,
  NdArray,
  PyBytes,
  PyComplex,
  composeRun,
  decodeMsgpack,
  decodeMsgpackRecords,
  encodeMsgpack,
  encodeMsgpackRun,
  loadMsgpackRunBytes,
  loadRunSync,
  ndarray,
} from "../src/index.js";
import { exportMsgpack, loadMsgpackRun } from "../src/node.js";
import { float16Bits } from "../src/msgpack/numpy.js";
import { complexRepr } from "../src/python-values.js";

const HERE = new URL("./fixtures/upstream/", import.meta.url);
const FILE = new URL("parity.msgpack", HERE);
const bytes = new Uint8Array(readFileSync(FILE));
const expected = JSON.parse(readFileSync(new URL("parity.expected.json", HERE), "utf8")) as {
  raw_tag_latin1: string;
  impedance: [number, number];
  phase: [number, number];
  gain: [number, number];
  x: number[];
  h: number[];
  v: number[][];
  z: [number, number][];
};

const tmp = mkdtempSync(join(tmpdir(), "docmodel-parity-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("suitcase-msgpack bytes written by Python", () => {
  const pairs = [...decodeMsgpackRecords(bytes)];
  const start = pairs[0]?.[1] as Record<string, unknown>;

  it("Python bytes decode to PyBytes (msgpack_numpy: bytes), complex to PyComplex (msgpack_numpy: complex)", () => {
    expect(start.raw_tag).toBeInstanceOf(PyBytes);
    expect((start.raw_tag as PyBytes).toString()).toBe(expected.raw_tag_latin1);
    for (const k of ["impedance", "phase", "gain"] as const) {
      const z = start[k] as PyComplex;
      expect(z).toBeInstanceOf(PyComplex);
      expect([z.real, z.imag]).toEqual(expected[k]);
    }
    expect(Object.is((start.gain as PyComplex).real, -0)).toBe(true);
  });

  it("re-encodes byte for byte (bytes, complex, float16, integral floats like 2.0 in resource_kwargs)", () => {
    expect(Buffer.from(encodeMsgpackRun(pairs)).equals(Buffer.from(bytes))).toBe(true);
    // through the columnar loader and run.documents(), as `docs export` does
    const run = loadMsgpackRunBytes(bytes);
    expect(Buffer.from(encodeMsgpackRun(run.documents())).equals(Buffer.from(bytes))).toBe(true);
  });

  it("docs export (exportMsgpack of a loaded file) writes the identical file", async () => {
    const run = loadMsgpackRun(FILE.pathname);
    const out = await exportMsgpack(run.documents(), join(tmp, "export"));
    expect(Buffer.from(readFileSync(out.path)).equals(Buffer.from(bytes))).toBe(true);
  });

  it("the columnar loader keeps events whose wire types differ from the export rules (re-export identical)", () => {
    const wire = new Uint8Array(readFileSync(new URL("wire-types.msgpack", HERE)));
    const run = loadMsgpackRunBytes(wire);
    expect(Buffer.from(encodeMsgpackRun(run.documents())).equals(Buffer.from(wire))).toBe(true);
    expect(Array.from(run.stream("primary").read().columns.a?.data as Float64Array)).toEqual([0.5, 1.5, 3, 4.5, 5.5, 6.5]);
  });

  it("integral floats stay float64 on the wire, ints stay ints", () => {
    expect([...encodeMsgpack(decodeMsgpack(Uint8Array.of(0x81, 0xa1, 0x61, 0xcb, 0x40, 0, 0, 0, 0, 0, 0, 0)) as object)]).toEqual([
      0x81, 0xa1, 0x61, 0xcb, 0x40, 0, 0, 0, 0, 0, 0, 0,
    ]);
    expect([...encodeMsgpack(decodeMsgpack(Uint8Array.of(0x92, 0xcb, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x02)) as object)]).toEqual([
      0x92, 0xcb, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x02,
    ]);
    // a `time` key outside a record's top level (or in a lone value) is not covered by the record rules
    const lone = Uint8Array.of(0x81, 0xa4, 0x74, 0x69, 0x6d, 0x65, 0xcb, 0x40, 0, 0, 0, 0, 0, 0, 0);
    expect([...encodeMsgpack(decodeMsgpack(lone) as object)]).toEqual([...lone]);
    const start = composeRun({ uid: "nested-time", time: 5, metadata: { sample: { time: 2 } } }).startDoc;
    const encoded = encodeMsgpackRun([["start", start]]);
    const nested = encodeMsgpackRun(decodeMsgpackRecords(encoded));
    expect(Buffer.from(nested).equals(Buffer.from(encoded))).toBe(true); // int 2 stays int, time 5 stays float
    const resource = pairs.find(([n]) => n === "resource")?.[1] as { resource_kwargs: { exposure: number } };
    expect(resource.resource_kwargs.exposure).toBe(2);
  });

  it("read(): a numpy event_page column stacks with a plain event (databroker: [1, 2, 3]); float16 as numbers", () => {
    for (const run of [loadRunSync(pairs), loadMsgpackRunBytes(bytes)]) {
      const cols = run.stream("primary").read().columns;
      expect(cols.x?.dtype).toBe("<i8");
      expect(Array.from(cols.x?.data as BigInt64Array, Number)).toEqual(expected.x);
      expect(cols.h?.data).toBeInstanceOf(Float32Array);
      expect(Array.from(cols.h?.data as Float32Array)).toEqual(expected.h);
      expect(cols.v?.shape).toEqual([3, 3]);
      expect(cols.v?.dtype).toBe("<f2");
      expect(Array.from(cols.v?.data as Float32Array)).toEqual(expected.v.flat());
      expect(cols.z?.dtype).toBe("<c16");
      expect(Array.from(cols.z?.data as Float64Array)).toEqual(expected.z.flat());
    }
  });
});

describe("float16", () => {
  it("arrays and scalars decode to Float32Array values, not bit patterns (1.5, not 15872)", () => {
    const scalar = decodeMsgpack(encodeMsgpack(new NdArray("<f2", [], Uint16Array.of(0x3e00), true))) as NdArray;
    expect(scalar.data).toBeInstanceOf(Float32Array);
    expect(scalar.toJSON()).toBe(1.5);
    const a = ndarray(Float32Array.of(1.5, -2, 0.000060975551605224609, 65504), [4], "<f2");
    const back = decodeMsgpack(encodeMsgpack(a)) as NdArray;
    expect(Array.from(back.data as Float32Array)).toEqual([1.5, -2, 0.000060975551605224609, 65504]);
  });

  it("rounds to nearest even like numpy's float16 cast", () => {
    expect(float16Bits(1.5)).toBe(0x3e00);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(65520)).toBe(0x7c00); // overflows to inf, as numpy
    expect(float16Bits(2 ** -24)).toBe(0x0001);
    expect(float16Bits(2 ** -25)).toBe(0x0000); // tie → even
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float16Bits(-0)).toBe(0x8000);
    expect(float16Bits(Number.NaN)).toBe(0x7e00);
  });
});

describe("complex repr as Python writes it", () => {
  it.each([
    [1, 2, "(1+2j)"],
    [0, -1.5, "-1.5j"],
    [-0, 1e-5, "(-0+1e-05j)"],
    [1e16, 0.1, "(1e+16+0.1j)"],
    [1234567890123456, -0, "(1234567890123456-0j)"],
    [Number.NaN, Infinity, "(nan+infj)"],
    [0.0001, -Infinity, "(0.0001-infj)"],
  ])("complex(%s, %s) → %s", (re, im, repr) => {
    expect(complexRepr(re, im)).toBe(repr);
    const z = PyComplex.parse(repr) as PyComplex;
    expect(Object.is(z.real, re) || (Number.isNaN(z.real) && Number.isNaN(re))).toBe(true);
    expect(z.imag).toBe(im);
  });
});

describe("composeEventPage pages of typed arrays and of plain lists", () => {
  it("read() works in memory and after exportMsgpack", async () => {
    const bundle = composeRun({ uid: "parity-mixed-pages", time: 1700000000 });
    const d = bundle.composeDescriptor({
      name: "primary",
      uid: "parity-mixed-desc",
      time: 1700000000,
      data_keys: { x: { dtype: "number", shape: [], source: "sim" } },
    });
    const docs: DocumentPair[] = [
      ["start", bundle.startDoc],
      ["descriptor", d.descriptorDoc],
      ["event_page", d.composeEventPage({ data: { x: Float64Array.of(1, 2) }, timestamps: { x: [1, 2] }, time: [1, 2], uid: ["a", "b"] })],
      ["event_page", d.composeEventPage({ data: { x: [3, 4] }, timestamps: { x: [3, 4] }, time: [3, 4], uid: ["c", "d"] })],
      ["stop", bundle.composeStop({ time: 5 })],
    ];
    expect(Array.from(loadRunSync(docs).stream("primary").read().columns.x?.data as Float64Array)).toEqual([1, 2, 3, 4]);
    const out = await exportMsgpack(docs, join(tmp, "mixed"));
    const back = loadMsgpackRun(out.path).stream("primary").read().columns.x;
    expect(back?.dtype).toBe("<f8");
    expect(Array.from(back?.data as Float64Array)).toEqual([1, 2, 3, 4]);
  });

  it("an int64 numpy page next to a plain page stacks as <i8", () => {
    const bundle = composeRun({ uid: "parity-int-pages", time: 1 });
    const d = bundle.composeDescriptor({ name: "primary", data_keys: { n: { dtype: "integer", shape: [], source: "sim" } } });
    const docs: DocumentPair[] = [
      ["start", bundle.startDoc],
      ["descriptor", d.descriptorDoc],
      ["event_page", d.composeEventPage({ data: { n: BigInt64Array.of(1n, 2n) }, timestamps: { n: [1, 2] }, time: [1, 2] })],
      ["event", d.composeEvent({ data: { n: 3 }, timestamps: { n: 3 }, time: 3 })],
    ];
    const run = loadMsgpackRunBytes(encodeMsgpackRun(docs));
    const col = run.stream("primary").read().columns.n;
    expect(col?.dtype).toBe("<i8");
    expect(Array.from(col?.data as BigInt64Array)).toEqual([1n, 2n, 3n]);
  });
});

describe("generated dimension names (databroker 1.2)", () => {
  it("one counter over the stream's keys: the second N-d key gets dim_1", () => {
    const bundle = composeRun({ uid: "parity-dims", time: 1 });
    const d = bundle.composeDescriptor({
      name: "primary",
      data_keys: {
        s: { dtype: "number", shape: [], source: "sim" },
        a: { dtype: "array", shape: [2], source: "sim" },
        b: { dtype: "array", shape: [3], source: "sim" },
        c: { dtype: "array", shape: [2, 2], source: "sim" },
        named: { dtype: "array", shape: [2], source: "sim", dims: ["channel"] },
      },
    });
    const docs: DocumentPair[] = [
      ["start", bundle.startDoc],
      ["descriptor", d.descriptorDoc],
      [
        "event",
        d.composeEvent({
          data: {
            s: 1,
            a: [1, 2],
            b: [1, 2, 3],
            c: [
              [1, 2],
              [3, 4],
            ],
            named: [5, 6],
          },
          timestamps: { s: 1, a: 1, b: 1, c: 1, named: 1 },
          time: 1,
        }),
      ],
    ];
    const cols = loadRunSync(docs).stream("primary").read().columns;
    expect(cols.s?.dims).toEqual(["time"]);
    expect(cols.a?.dims).toEqual(["time", "dim_0"]);
    expect(cols.b?.dims).toEqual(["time", "dim_1"]);
    expect(cols.c?.dims).toEqual(["time", "dim_2", "dim_3"]);
    expect(cols.named?.dims).toEqual(["time", "channel"]);
  });
});
