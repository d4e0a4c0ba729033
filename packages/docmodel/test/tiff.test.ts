import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type DocumentPair,
  InMemoryCatalog,
  NdArray,
  ingestTiffFiles,
  ingestTiffStackFile,
  readTiffPages as readTiffPagesBytes,
  toPlain,
} from "../src/index.js";
import {
  TIFF_HANDLERS,
  encodeTiff,
  filesUid,
  exportMsgpack,
  ingestTiffSeries,
  ingestTiffSeriesLazy,
  ingestTiffStack,
  openMsgpackCatalog,
  readTiffPages,
} from "../src/node.js";

const dir = mkdtempSync(join(tmpdir(), "docmodel-tiff-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function image(i: number): NdArray {
  return new NdArray(
    "<u2",
    [4, 6],
    Uint16Array.from({ length: 24 }, (_, j) => 1000 * i + j),
  );
}

beforeAll(() => {
  for (let i = 0; i < 5; i++) {
    const f = join(dir, `img_${i}.tiff`);
    writeFileSync(f, encodeTiff([image(i)]));
    utimesSync(f, 1559144355 + i, 1559144355 + i);
  }
  writeFileSync(join(dir, "stack.tif"), encodeTiff([0, 1, 2].map(image)));
  writeFileSync(join(dir, "odd.tif"), encodeTiff([new NdArray("<f4", [3, 3], new Float32Array(9).fill(0.5))]));
});

describe("TIFF codec (utif2)", () => {
  it("decodes what encodeTiff writes, for several sample types", () => {
    const [p] = readTiffPages(join(dir, "img_3.tiff"));
    expect(p?.dtype).toBe("<u2");
    expect(p?.shape).toEqual([4, 6]);
    expect(Array.from(p?.data as Uint16Array)).toEqual(Array.from(image(3).data as Uint16Array));
    expect(readTiffPages(join(dir, "stack.tif")).length).toBe(3);
    const [f] = readTiffPages(join(dir, "odd.tif"));
    expect(f?.dtype).toBe("<f4");
    expect(Array.from(f?.data as Float32Array)).toEqual(new Array(9).fill(0.5));
  });

  it("rejects a non-TIFF file with a code", () => {
    expect(() => readTiffPages(Uint8Array.of(1, 2, 3, 4))).toThrow(expect.objectContaining({ code: "DOCS_TIFF_UNSUPPORTED" }));
  });

  it("utif2 is not imported with docmodel (issue 17: ≈ 9 MiB of memory), only by a dynamic import on first use", async () => {
    const root = join(import.meta.dirname, "..");
    const result = await build({
      entryPoints: [join(root, "src/index.ts"), join(root, "src/node.ts")],
      bundle: true,
      write: false,
      metafile: true,
      platform: "node",
      format: "esm",
      outdir: "out",
      packages: "external",
      logLevel: "silent",
    });
    const utif = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.path === "utif2").map((i) => i.kind));
    expect(utif.length).toBeGreaterThan(0);
    expect(new Set(utif)).toEqual(new Set(["dynamic-import"]));
  });

  it("outside Node a synchronous decode needs loadTiffDecoder() first (a coded error before); the async ingestors load it", async () => {
    const proc = process as { getBuiltinModule?: unknown };
    const saved = proc.getBuiltinModule;
    vi.resetModules();
    try {
      proc.getBuiltinModule = undefined; // as in a browser
      const fresh = await import("../src/index.js");
      const bytes = encodeTiff([image(1)]);
      expect(() => fresh.readTiffPages(bytes)).toThrow(expect.objectContaining({ code: "DOCS_TIFF_DECODER_NOT_LOADED" }));
      const pairs: DocumentPair[] = [];
      for await (const pair of fresh.ingestTiffFiles([{ name: "a.tiff", bytes, lastModified: 1000 }])) pairs.push(pair);
      expect(pairs.map(([name]) => name)).toEqual(["start", "descriptor", "event", "stop"]);
      expect(Array.from(fresh.readTiffPages(bytes)[0]?.data as Uint16Array)).toEqual(Array.from(image(1).data as Uint16Array));
    } finally {
      proc.getBuiltinModule = saved;
      vi.resetModules();
    }
  });
});

describe("TIFF ingestors (seed)", () => {
  it("series: start first, one event per file, deterministic uid, read() sums", async () => {
    const pattern = join(dir, "img_*.tiff");
    const files = [0, 1, 2, 3, 4].map((i) => join(dir, `img_${i}.tiff`));
    const gen = ingestTiffSeries(pattern);
    const first = gen.next().value;
    expect(first?.[0]).toBe("start");
    expect(first?.[1].uid).toBe(filesUid(files));
    expect(first?.[1].uid).toMatch(/=$/);
    expect(first?.[1].time).toBe(1559144355);
    const catalog = new InMemoryCatalog();
    await catalog.upsert(ingestTiffSeries, [pattern]);
    await catalog.upsert(ingestTiffStack, [join(dir, "stack.tif")]);
    expect(catalog.size).toBe(2);
    const run = await catalog.run(filesUid(files));
    expect([...run.canonical()].map(([n]) => n)).toEqual(["start", "descriptor", "event", "event", "event", "event", "event", "stop"]);
    const cols = run.stream("primary").read();
    expect(cols.columns.image?.shape).toEqual([5, 4, 6]);
    expect(cols.columns.image?.dims).toEqual(["time", "dim_0", "dim_1"]);
    expect(Array.from(cols.time)).toEqual([0, 1, 2, 3, 4].map((i) => 1559144355 + i));
    const sum = (a: Uint16Array) => a.reduce((x, y) => x + y, 0);
    expect(sum(cols.columns.image?.data as Uint16Array)).toBe(5 * 276 + 24 * 1000 * 10);
    // The stack: one page → events in canonical().
    const stack = await catalog.run(-1);
    expect([...stack.canonical()].filter(([n]) => n === "event").length).toBe(3);
    expect(stack.stream("primary").read().columns.image?.shape).toEqual([3, 4, 6]);
    // search on the RunStart (seed example).
    expect(catalog.search({ time: { $lt: 1558887100 } }).size).toBe(0);
    // Re-upserting the same uid keeps the order (seed: lazy variant replaces the eager one).
    await catalog.upsert(ingestTiffSeriesLazy, [pattern]);
    expect(catalog.uids()[0]).toBe(filesUid(files));
  });

  it("lazy series reads images only when filled, and survives msgpack export", async () => {
    const pattern = join(dir, "img_*.tiff");
    const catalog = new InMemoryCatalog();
    await catalog.upsert(ingestTiffSeriesLazy, [pattern]);
    const run = await catalog.run(-1);
    const unfilled = [...run.canonicalUnfilled()].find(([n]) => n === "event")?.[1] as { data: { image: unknown } };
    expect(typeof unfilled.data.image).toBe("string");
    const filled = [...run.canonical({ handlers: TIFF_HANDLERS })].find(([n]) => n === "event")?.[1] as { data: { image: NdArray } };
    expect(filled.data.image.shape).toEqual([1, 4, 6]);
    const out = join(dir, "native");
    await exportMsgpack(run.documents(), out);
    const { catalog: native } = openMsgpackCatalog(out);
    const again = await native.run(-1);
    expect(again.stream("primary").read({ handlers: TIFF_HANDLERS }).columns.image?.shape).toEqual([5, 1, 4, 6]);
  });

  it("a multi-page file in a series is one [pages, h, w] image, as tifffile.imread gives it", async () => {
    const catalog = new InMemoryCatalog();
    await catalog.upsert(ingestTiffSeries, [[join(dir, "stack.tif")]]);
    const cols = (await catalog.run(-1)).stream("primary").read();
    expect(cols.columns.image?.shape).toEqual([1, 3, 4, 6]);
  });

  it("no matches and mixed shapes are coded errors", () => {
    expect(() => [...ingestTiffSeries(join(dir, "nothing_*.tiff"))]).toThrow(expect.objectContaining({ code: "DOCS_NO_FILES" }));
    expect(() => [...ingestTiffSeries([join(dir, "img_0.tiff"), join(dir, "odd.tif")])]).toThrow(
      expect.objectContaining({ code: "DOCS_SHAPE_MISMATCH" }),
    );
  });
});

describe("TIFF ingestors over Files / bytes (main entry)", () => {
  async function collect(it: AsyncIterable<DocumentPair> | Iterable<DocumentPair>): Promise<DocumentPair[]> {
    const out: DocumentPair[] = [];
    for await (const pair of it) out.push(pair);
    return out;
  }
  /** The documents without what differs per ingest (descriptor/event uids, the descriptor's creation time) and `source`. */
  function comparable(pairs: DocumentPair[]): unknown[] {
    return pairs.map(([name, doc]) => {
      const d = { ...(doc as Record<string, unknown>) };
      if (name !== "start") delete d.uid;
      delete d.descriptor;
      delete d.run_start;
      if (name === "descriptor") {
        delete d.time;
        const keys = d.data_keys as Record<string, Record<string, unknown>>;
        d.data_keys = Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, { ...v, source: "" }]));
      }
      return [name, toPlain(d)];
    });
  }

  it("a series of Files gives the documents and uid of the same files read by path", async () => {
    const paths = [0, 1, 2, 3, 4].map((i) => join(dir, `img_${i}.tiff`));
    const files = paths.map((p, i) => new File([readFileSync(p)], basename(p), { lastModified: (1559144355 + i) * 1000 })).reverse(); // any order: sorted by name like the glob
    const fromFiles = await collect(ingestTiffFiles(files));
    const fromPaths = await collect(ingestTiffSeries(paths));
    const uidOf = (pairs: DocumentPair[]): unknown => (pairs[0]?.[1] as { uid?: unknown } | undefined)?.uid;
    expect(uidOf(fromFiles)).toBe(filesUid(paths));
    expect(comparable(fromFiles)).toEqual(comparable(fromPaths));
    expect((fromFiles[1]?.[1] as { data_keys?: { image: { source: string } } } | undefined)?.data_keys?.image.source).toBe(
      paths.map((p) => basename(p)).join(","),
    );
    // Named bytes work too, and a folder's relative paths are taken relative to their common folder.
    const named = paths.map((p, i) => ({
      name: basename(p),
      bytes: new Uint8Array(readFileSync(p)),
      lastModified: (1559144355 + i) * 1000,
    }));
    expect(comparable(await collect(ingestTiffFiles(named)))).toEqual(comparable(fromPaths));
    const inFolder = paths.map((p, i) => {
      const f = new File([readFileSync(p)], basename(p), { lastModified: (1559144355 + i) * 1000 });
      Object.defineProperty(f, "webkitRelativePath", { value: `frames/${basename(p)}` });
      return f;
    });
    expect(uidOf(await collect(ingestTiffFiles(inFolder)))).toBe(filesUid(paths));
  });

  it("a stack File gives the documents of the same file read by path; bad input is a coded error", async () => {
    const path = join(dir, "stack.tif");
    utimesSync(path, 1559144400, 1559144400);
    const file = new File([readFileSync(path)], "stack.tif", { lastModified: 1559144400 * 1000 });
    const fromFile = await collect(ingestTiffStackFile(file));
    expect(comparable(fromFile)).toEqual(comparable(await collect(ingestTiffStack(path))));
    expect(readTiffPagesBytes(readFileSync(path))).toHaveLength(3);
    await expect(collect(ingestTiffFiles([]))).rejects.toMatchObject({ code: "DOCS_NO_FILES" });
    const junk = new File([Uint8Array.of(1, 2, 3)], "junk.tif");
    await expect(collect(ingestTiffFiles([junk]))).rejects.toMatchObject({ code: "DOCS_TIFF_UNSUPPORTED", path: "junk.tif" });
  });
});
