import { describe, expect, it } from "vitest";
import { DocModelError, InMemoryCatalog, NdArray, type StreamColumn, loadRunSync } from "../src/index.js";
import { openMsgpackCatalog, readMsgpackFile } from "../src/node.js";
import { ALL_UIDS, RUNS, TESTDATA, readJson } from "./helpers.js";

const expected = readJson("catalog_expected.json");
const readExpected = readJson("read_expected.json");

function nested(c: StreamColumn): unknown {
  const flat = Array.from(c.data as ArrayLike<unknown>, (v) => (typeof v === "bigint" ? Number(v) : v));
  const build = (dim: number, offset: number): unknown => {
    if (dim === c.shape.length) return flat[offset];
    const stride = c.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: c.shape[dim] as number }, (_, i) => build(dim + 1, offset + i * stride));
  };
  return build(0, 0);
}

describe("directory catalog over the Python-written files", () => {
  const { catalog, files } = openMsgpackCatalog(TESTDATA);

  it("indexes all five runs with start, stop and record names", () => {
    expect([...catalog].sort()).toEqual([...ALL_UIDS].sort());
    for (const f of files) {
      const e = expected.catalog[f.start.uid];
      expect(f.recordNames).toEqual(e.record_names);
      expect(f.start.time).toBe(e.start_time);
      expect(f.start.scan_id).toBe(e.scan_id);
      expect(f.stop !== null).toBe(e.has_stop);
      expect(f.stop?.exit_status ?? null).toBe(e.exit_status);
    }
  });

  it("accepts glob patterns like BlueskyMsgpackCatalog", () => {
    expect(openMsgpackCatalog(`${TESTDATA}/*.msgpack`).catalog.size).toBe(5);
    expect(openMsgpackCatalog(`${TESTDATA}/05a9*.msgpack`).catalog.uids()).toEqual([RUNS.scalars]);
    expect(() => openMsgpackCatalog(`${TESTDATA}/nothing*.msgpack`)).toThrow(expect.objectContaining({ code: "DOCS_NO_FILES" }));
  });

  it("looks runs up by negative index, scan_id and uid prefix", () => {
    expect(catalog.entry(-1).uid).toBe(RUNS.partial);
    expect(catalog.entry(3).uid).toBe(RUNS.page);
    expect(catalog.entry("05a9").uid).toBe(RUNS.scalars);
    expect(() => catalog.entry("zzz")).toThrow(expect.objectContaining({ code: "DOCS_RUN_NOT_FOUND" }));
    expect(() => catalog.entry(-99)).toThrow(expect.objectContaining({ code: "DOCS_RUN_NOT_FOUND" }));
    expect(() => catalog.entry(77)).toThrow(expect.objectContaining({ code: "DOCS_RUN_NOT_FOUND" }));
    // Every uid here starts with a hex digit: "" is a prefix of all of them.
    expect(() => catalog.entry("")).toThrow(expect.objectContaining({ code: "DOCS_AMBIGUOUS_KEY" }));
  });

  for (const uid of ALL_UIDS) {
    it(`streams and canonical orders of ${uid}`, async () => {
      const run = await catalog.run(uid);
      const e = expected.catalog[uid];
      expect(run.streams.sort()).toEqual(Object.keys(e.streams).sort());
      for (const [name, s] of Object.entries<any>(e.streams)) {
        expect(run.stream(name).descriptors.map((d) => d.uid)).toEqual(s.descriptor_uids);
        expect(run.stream(name).eventCount).toBe(s.event_count);
      }
      const summarise = (pairs: Iterable<readonly [string, any]>) =>
        [...pairs].map(([name, doc]) => {
          if (name === "descriptor") return [name, doc.uid, doc.name];
          if (name === "event") return [name, doc.uid, doc.seq_num, doc.time, doc.descriptor];
          if (name === "datum_page") return [name, doc.datum_id];
          return [name, doc.uid];
        });
      const handlers = { AD_TIFF: () => (kw: Record<string, unknown>) => `image ${kw.point_number}` };
      expect(summarise(run.canonical({ handlers }))).toEqual(expected.canonical[uid]);
      expect(summarise(run.canonicalUnfilled())).toEqual(expected.canonical_unfilled[uid]);
    });
  }

  for (const [uid, streams] of Object.entries<any>(readExpected)) {
    for (const [stream, ds] of Object.entries<any>(streams)) {
      it(`read() ${uid} ${stream} matches documents_to_xarray`, async () => {
        const run = await catalog.run(uid);
        const cols = run.stream(stream).read({ configuration: true });
        expect(Array.from(cols.time)).toEqual(ds.coords.time.values);
        const names = Object.keys(ds.data_vars).filter((n) => n !== "seq_num" && n !== "uid");
        expect(Object.keys(cols.columns)).toEqual(names);
        for (const n of names) {
          const want = ds.data_vars[n];
          const got = cols.columns[n] as StreamColumn;
          expect({ n, dims: got.dims, dtype: got.dtype, shape: got.shape }).toEqual({
            n,
            dims: want.dims,
            dtype: want.dtype,
            shape: want.shape,
          });
          expect(nested(got)).toEqual(want.values);
        }
        expect(cols.seq_num).toEqual(ds.data_vars.seq_num.values);
        expect(cols.uid).toEqual(ds.data_vars.uid.values);
      });
    }
  }

  it("read() can fill external data and convert to Arrow", async () => {
    const run = await catalog.run(RUNS.external);
    expect(() => run.stream("primary").read()).toThrow(expect.objectContaining({ code: "DOCS_UNDEFINED_ASSET_SPEC" }));
    const ids = run.stream("primary").read({ fill: false });
    expect(ids.columns.area_image?.data).toEqual([0, 1, 2].map((i) => `f038b9f3-d5fa-5c29-9017-94d9c57ed485/${i}`));
    const filled = run.stream("primary").read({
      handlers: { AD_TIFF: (path) => (kw) => new NdArray("<u2", [2], Uint16Array.of(path.length, kw.point_number as number)) },
    });
    expect(filled.columns.area_image?.shape).toEqual([3, 2]);
    expect(Array.from(filled.columns.area_image?.data as Uint16Array)).toEqual([18, 0, 18, 1, 18, 2]);
    const image = await (await catalog.run(RUNS.image)).stream("primary").readArrow();
    expect(image.numRows).toBe(3);
    expect(image.schema.fields.map((f) => f.name)).toEqual(["time", "cam_image", "cam_sum", "cam_mean", "seq_num", "uid"]);
    expect(image.getChild("cam_sum")?.toArray()).toEqual(BigInt64Array.of(190n, 2190n, 4190n));
  });

  it("search uses the RunStart only and nests queries", () => {
    const counts = catalog.search({ plan_name: "count" });
    expect(counts.uids().sort()).toEqual([RUNS.external, RUNS.image, RUNS.partial].sort());
    expect(counts.search({ operator: "bob" }).uids().sort()).toEqual([RUNS.image, RUNS.partial].sort());
    expect(catalog.search({}).size).toBe(5);
    expect(() => catalog.search({ $foo: 1 })).toThrow(expect.objectContaining({ code: "DOCS_QUERY_INVALID" }));
  });
});

describe("InMemoryCatalog with ingestors", () => {
  it("upsert pulls only the start, replaces by uid keeping order", async () => {
    let pulled = 0;
    function* ingest(uid: string, time: number) {
      pulled++;
      yield ["start", { uid, time }] as const;
      pulled += 100;
      yield ["stop", { uid: `${uid}-stop`, time, run_start: uid, exit_status: "success" }] as const;
    }
    const cat = new InMemoryCatalog();
    await cat.upsert(ingest, ["a", 1]);
    await cat.upsert(ingest, ["b", 2]);
    await cat.upsert(ingest, ["a", 3]);
    expect(pulled).toBe(3);
    expect(cat.uids()).toEqual(["a", "b"]);
    expect(cat.entry("a").start.time).toBe(3);
    const run = await cat.run("a");
    expect(run.stop?.uid).toBe("a-stop");
    expect(cat.entry("a").stop?.uid).toBe("a-stop");
  });

  it("rejects an ingestor whose first document is not start", async () => {
    function* bad() {
      yield ["descriptor", {}] as never;
    }
    const cat = new InMemoryCatalog();
    await expect(cat.upsert(bad)).rejects.toSatisfy((e) => DocModelError.isInstance(e) && e.code === "DOCS_NO_START");
  });

  it("a catalog with a query ignores non-matching runs; async ingestors work", async () => {
    async function* ingest(uid: string, scan_id: number) {
      yield ["start", { uid, time: scan_id, scan_id }] as const;
    }
    const cat = new InMemoryCatalog({ scan_id: { $gt: 1 } });
    expect(await cat.upsert(ingest, ["x", 1])).toBe(false);
    expect(await cat.upsert(ingest, ["y", 2])).toBe(true);
    expect(cat.uids()).toEqual(["y"]);
    expect((await cat.run("y")).stop).toBeNull();
  });

  it("converts deprecated bulk_events / bulk_datum on receipt", () => {
    const ev = (i: number) => ({ uid: `e${i}`, time: i, descriptor: "d", seq_num: i, data: { x: i }, timestamps: { x: i } });
    const run = loadRunSync([
      ["start", { uid: "r", time: 0 }],
      ["descriptor", { uid: "d", time: 0, run_start: "r", name: "primary", data_keys: { x: { dtype: "number", shape: [], source: "s" } } }],
      ["bulk_events", { d: [ev(1), ev(2)] }],
      ["bulk_datum", { resource: "res", datum_ids: ["res/0", "res/1"], datum_kwarg_list: [{ i: 0 }, { i: 1 }] }] as never,
    ]);
    expect(Array.from(run.stream("primary").read().columns.x?.data as Float64Array)).toEqual([1, 2]);
    expect(run.datum("res/1")?.datum_kwargs).toEqual({ i: 1 });
  });

  it("reads a file through readMsgpackFile as an ingestor", async () => {
    const cat = new InMemoryCatalog();
    await cat.upsert(readMsgpackFile, [`${TESTDATA}/${RUNS.page}.msgpack`]);
    const run = await cat.run(-1);
    expect(run.stop?.exit_status).toBe("abort");
    expect([...run.canonical()].filter(([n]) => n === "event").length).toBe(6);
  });
});
