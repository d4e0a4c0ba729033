import { describe, expect, it } from "vitest";
import {
  DocModelError,
  DocumentRouter,
  composeRun,
  mergeEventPages,
  ndarray,
  newUid,
  packEventPage,
  rechunkDatumPages,
  rechunkEventPages,
  unpackEventPage,
  validateDocument,
} from "../src/index.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return DocModelError.isInstance(e) ? e.code : `not coded: ${String(e)}`;
  }
  return undefined;
}

const dataKeys = {
  x: { dtype: "number" as const, shape: [], source: "sim:x" },
  y: { dtype: "number" as const, shape: [], source: "sim:y" },
};

describe("compose", () => {
  it("fills defaults, counts seq_num per stream and num_events", () => {
    const run = composeRun({ metadata: { plan_name: "count" } });
    expect(run.startDoc.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof run.startDoc.time).toBe("number");
    const p = run.composeDescriptor({ name: "primary", data_keys: dataKeys });
    const b = run.composeDescriptor({ name: "baseline", data_keys: { t: { dtype: "number", shape: [], source: "t" } } });
    expect(Object.keys(p.descriptorDoc)).toEqual([
      "configuration",
      "data_keys",
      "name",
      "object_keys",
      "run_start",
      "time",
      "uid",
      "object_classes",
      "hints",
    ]);
    const e1 = p.composeEvent({ data: { x: 1, y: 2 }, timestamps: { x: 1, y: 2 } });
    expect(e1.seq_num).toBe(1);
    expect(Object.keys(e1)).toEqual(["uid", "time", "data", "timestamps", "seq_num", "filled", "descriptor"]);
    const page = p.composeEventPage({ data: { x: [1, 2, 3], y: [4, 5, 6] }, timestamps: { x: [1, 1, 1], y: [1, 1, 1] } });
    expect(page.seq_num).toEqual([2, 3, 4]);
    expect(new Set(page.uid).size).toBe(3);
    // A second descriptor of the same stream continues the counter.
    const p2 = run.composeDescriptor({ name: "primary", data_keys: dataKeys });
    expect(p2.composeEvent({ data: { x: 1, y: 2 }, timestamps: { x: 1, y: 2 } }).seq_num).toBe(5);
    // An explicit seq_num rebases the counter.
    p.composeEvent({ data: { x: 1, y: 2 }, timestamps: { x: 1, y: 2 }, seq_num: 10 });
    expect(p.composeEvent({ data: { x: 1, y: 2 }, timestamps: { x: 1, y: 2 } }).seq_num).toBe(11);
    void b;
    const stop = run.composeStop();
    expect(stop.num_events).toEqual({ primary: 11, baseline: 0 });
    expect(stop.exit_status).toBe("success");
    expect(stop.reason).toBe("");
  });

  it("accepts typed-array and NdArray page columns (the seed's TIFF stack)", () => {
    const run = composeRun();
    const d = run.composeDescriptor({ name: "primary", data_keys: { image: { dtype: "array", shape: [2, 2], source: "s" } } });
    const page = d.composeEventPage({
      data: { image: ndarray(new Uint16Array(12), [3, 2, 2]) },
      timestamps: { image: new Float64Array(3) },
      time: new Float64Array(3),
      seq_num: [1, 2, 3],
    });
    expect(page.uid.length).toBe(3);
    const events = [...unpackEventPage(page)];
    expect(events[2]?.data.image).toMatchObject({ shape: [2, 2], dtype: "<u2" });
  });

  it("throws coded errors for every §3.7 situation", () => {
    const run = composeRun({ uid: "r" });
    expect(codeOf(() => composeRun({ metadata: { "bad.key": 1 } }))).toBe("DOCS_SCHEMA_INVALID");
    expect(codeOf(() => composeRun({ metadata: { uid: "x" } }))).toBe("DOCS_BAD_ARGUMENT");
    const d = run.composeDescriptor({ name: "primary", data_keys: dataKeys });
    expect(codeOf(() => run.composeDescriptor({ name: "primary", data_keys: { x: dataKeys.x } }))).toBe("DOCS_KEYS_MISMATCH");
    expect(codeOf(() => run.composeDescriptor({ name: "p", data_keys: { "det.image": dataKeys.x } }))).toBe("DOCS_SCHEMA_INVALID");
    // Unknown key, missing key, timestamps ≠ data, filled ⊄ data.
    const err = (() => {
      try {
        d.composeEvent({ data: { x: 1, y: 2, z: 3 }, timestamps: { x: 1, y: 2, z: 3 } });
      } catch (e) {
        return e as DocModelError;
      }
      return undefined;
    })();
    expect(err?.code).toBe("DOCS_KEYS_MISMATCH");
    expect(err?.extra).toEqual(["z"]);
    expect(codeOf(() => d.composeEvent({ data: { x: 1 }, timestamps: { x: 1 } }))).toBe("DOCS_KEYS_MISMATCH");
    expect(codeOf(() => d.composeEvent({ data: { x: 1, y: 2 }, timestamps: { x: 1 } }))).toBe("DOCS_KEYS_MISMATCH");
    expect(codeOf(() => d.composeEvent({ data: { x: 1, y: 2 }, timestamps: { x: 1, y: 1 }, filled: { q: false } }))).toBe(
      "DOCS_KEYS_MISMATCH",
    );
    expect(codeOf(() => d.composeEvent({ data: { x: 1, y: 2 }, timestamps: { x: 1, y: 1 }, time: "now" as never }))).toBe(
      "DOCS_SCHEMA_INVALID",
    );
    expect(codeOf(() => d.composeEvent({ data: { x: 1, y: 2 }, timestamps: { x: 1, y: 1 }, seq_num: 1.5 }))).toBe("DOCS_SCHEMA_INVALID");
    // Pages: unequal columns, wrong uid/time lengths, empty.
    expect(codeOf(() => d.composeEventPage({ data: { x: [1, 2], y: [1] }, timestamps: { x: [1, 2], y: [1, 2] } }))).toBe(
      "DOCS_LENGTH_MISMATCH",
    );
    expect(codeOf(() => d.composeEventPage({ data: { x: [1, 2], y: [1, 2] }, timestamps: { x: [1, 2], y: [1, 2] }, uid: ["a"] }))).toBe(
      "DOCS_LENGTH_MISMATCH",
    );
    expect(codeOf(() => d.composeEventPage({ data: {}, timestamps: {} }))).toBe("DOCS_EMPTY_PAGE");
    expect(codeOf(() => packEventPage([]))).toBe("DOCS_EMPTY_PAGE");
    // Stop: invalid first attempt does not block; a second successful one does.
    expect(codeOf(() => run.composeStop({ exit_status: "failed" as never }))).toBe("DOCS_SCHEMA_INVALID");
    run.composeStop();
    expect(codeOf(() => run.composeStop())).toBe("DOCS_STOP_ALREADY_COMPOSED");
  });

  it("validates documents against the official schemas", () => {
    expect(
      codeOf(() => validateDocument("event", { uid: "a", time: 1, descriptor: "d", seq_num: 1, data: {}, timestamps: {}, extra: 1 })),
    ).toBe("DOCS_SCHEMA_INVALID");
    expect(codeOf(() => validateDocument("stop", { uid: "a", time: 1, run_start: "r" }))).toBe("DOCS_SCHEMA_INVALID");
    expect(codeOf(() => validateDocument("datum", { datum_id: "a", resource: "r", datum_kwargs: {} }))).toBeUndefined();
    expect(codeOf(() => validateDocument("nonsense", {}))).toBe("DOCS_BAD_ARGUMENT");
  });
});

describe("newUid", () => {
  it("makes distinct UUID4 strings (version 4, RFC 4122 variant, lowercase), across refills of its random pool", () => {
    const seen = new Set<string>();
    const nibbles = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const u = newUid();
      expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(u);
      for (const c of u.replaceAll("-", "")) nibbles.add(c);
    }
    expect(seen.size).toBe(5000);
    expect(nibbles.size).toBe(16);
  });
});

describe("pages and routing", () => {
  const run = composeRun({ uid: "r" });
  const d = run.composeDescriptor({ name: "primary", data_keys: dataKeys });
  const events = Array.from({ length: 5 }, (_, i) => d.composeEvent({ data: { x: i, y: -i }, timestamps: { x: i, y: i }, time: i }));

  it("packs, unpacks, merges and rechunks losslessly", () => {
    const page = packEventPage(events);
    expect(page.data).toEqual({ x: [0, 1, 2, 3, 4], y: [-0, -1, -2, -3, -4] });
    expect([...unpackEventPage(page)]).toEqual(events);
    const chunks = [...rechunkEventPages([packEventPage(events.slice(0, 2)), packEventPage(events.slice(2))], 3)];
    expect(chunks.map((c) => c.seq_num)).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(mergeEventPages(chunks)).toEqual(page);
    const res = run.composeResource({ spec: "S", root: "/", resource_path: "f", resource_kwargs: {} });
    const dp = res.composeDatumPage({ datum_kwargs: { i: [0, 1, 2] } });
    expect(res.composeDatum({ datum_kwargs: { i: 3 } }).datum_id).toBe(`${res.resourceDoc.uid}/3`);
    expect([...rechunkDatumPages([dp], 2)].map((p) => p.datum_id.length)).toEqual([2, 1]);
  });

  it("routes events to eventPage-only consumers and pages to event-only consumers", () => {
    const pages: number[] = [];
    const seen: number[] = [];
    const toPages = new DocumentRouter({ eventPage: (p) => pages.push(p.seq_num.length) });
    const toEvents = new DocumentRouter({ event: (e) => seen.push(e.seq_num) });
    for (const e of events) toPages.route("event", e);
    toEvents.route("event_page", packEventPage(events));
    toEvents.route("stream_datum", {});
    expect(pages).toEqual([1, 1, 1, 1, 1]);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });
});
