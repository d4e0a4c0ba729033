/**
 * Issue 15: a lazy TIFF ingest writes the area-detector layout that area-detector-handlers' `AD_TIFF` handler
 * (and so databroker) fills — spec `AD_TIFF`, resource kwargs `template`/`filename`/`frame_per_point`, datum
 * kwargs `point_number` — and daqkit's filler reads both that and the `DOCMODEL_TIFF` runs of earlier versions.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DocumentPair, NdArray, composeRun, loadRunSync, toPlain } from "../src/index.js";
import { AD_TIFF_SPEC, TIFF_HANDLERS, encodeTiff, exportMsgpack, ingestTiffSeriesLazy, loadMsgpackRun } from "../src/node.js";
import { pyPercentFormat } from "../src/tiff-node.js";
import { SYSTEM_PYTHON, havePython } from "../../../test/support/readers.js";

const dir = mkdtempSync(join(tmpdir(), "docmodel-tiff-ad-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const image = (i: number): NdArray =>
  new NdArray(
    "<u2",
    [3, 2],
    Uint16Array.from({ length: 6 }, (_, j) => 100 * i + j),
  );

beforeAll(() => {
  mkdirSync(join(dir, "sub"), { recursive: true });
  writeFileSync(join(dir, "a.tiff"), encodeTiff([image(0)]));
  writeFileSync(join(dir, "sub", "b c.tiff"), encodeTiff([image(1)]));
  for (let j = 0; j < 4; j++) writeFileSync(join(dir, `scan_${String(j).padStart(6, "0")}.tiff`), encodeTiff([image(10 + j)]));
});

describe("lazy TIFF ingest in the area-detector layout", () => {
  const files = (): string[] => [join(dir, "a.tiff"), join(dir, "sub", "b c.tiff")];

  it("writes AD_TIFF resources that event-model + the AD_TIFF handler resolve to the files", async () => {
    const docs = [...ingestTiffSeriesLazy(files())];
    const resources = docs.filter(([n]) => n === "resource").map(([, d]) => d as Record<string, unknown>);
    expect(resources.map((r) => [r.spec, r.root, r.resource_path, r.resource_kwargs])).toEqual([
      [AD_TIFF_SPEC, dir, "", { template: "%s%s%.0s", filename: "a.tiff", frame_per_point: 1 }],
      [AD_TIFF_SPEC, dir, "sub", { template: "%s%s%.0s", filename: "b c.tiff", frame_per_point: 1 }],
    ]);
    const datums = docs.filter(([n]) => n === "datum").map(([, d]) => (d as { datum_kwargs: unknown }).datum_kwargs);
    expect(datums).toEqual([{ point_number: 0 }, { point_number: 0 }]);
    const descriptor = docs.find(([n]) => n === "descriptor")?.[1] as { data_keys: { image: { shape: number[] } } };
    expect(descriptor.data_keys.image.shape).toEqual([1, 3, 2]);

    const cols = loadRunSync(docs).stream("primary").read({ handlers: TIFF_HANDLERS }).columns.image;
    expect(cols?.shape).toEqual([2, 1, 3, 2]);
    expect(toPlain(cols?.data)).toEqual([0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105]);
    // through a msgpack file too
    const out = await exportMsgpack(docs, join(dir, "runs"));
    expect(loadMsgpackRun(out.path).stream("primary").read({ handlers: TIFF_HANDLERS }).columns.image?.shape).toEqual([2, 1, 3, 2]);

    if (havePython(["msgpack", "msgpack_numpy"])) {
      // What event_model.Filler + AreaDetectorTiffHandler compute for each datum: the file name (read from the
      // exported file with Python's msgpack; the handler's own rule, not daqkit's).
      const script = [
        "import os, sys, msgpack, msgpack_numpy",
        "res = {}; out = []",
        "for name, doc in msgpack.Unpacker(open(sys.argv[1], 'rb'), object_hook=msgpack_numpy.decode, raw=False):",
        "    if name == 'resource': res[doc['uid']] = doc",
        "    if name == 'datum_page':",
        "        r = res[doc['resource']]; k = r['resource_kwargs']",
        "        fpath = os.path.join(os.path.join(r['root'], r['resource_path']), '')",
        "        fpp = k.get('frame_per_point', 1)",
        "        for kw in [dict(zip(doc['datum_kwargs'], v)) for v in zip(*doc['datum_kwargs'].values())]:",
        "            for j in range(int(kw['point_number'] * fpp), int((kw['point_number'] + 1) * fpp)):",
        "                fn = k['template'] % (fpath, k['filename'], j); out.append((fn, os.path.isfile(fn)))",
        "print(repr(out))",
      ].join("\n");
      const got = execFileSync(SYSTEM_PYTHON, ["-c", script, out.path], { encoding: "utf8" }).trim();
      expect(got).toBe(
        `[(${JSON.stringify(files()[0]).replace(/"/g, "'")}, True), (${JSON.stringify(files()[1]).replace(/"/g, "'")}, True)]`,
      );
    }
  });

  it("the AD_TIFF handler follows numbered templates and frame_per_point like area-detector-handlers", () => {
    const read = TIFF_HANDLERS[AD_TIFF_SPEC]?.(`${dir}`, { template: "%s%s_%6.6d.tiff", filename: "scan", frame_per_point: 2 });
    const v = read?.({ point_number: 1 }) as NdArray;
    expect(v.shape).toEqual([2, 3, 2]);
    expect(Array.from(v.data as Uint16Array).slice(0, 1)).toEqual([1200]);
    expect(Array.from(v.data as Uint16Array).slice(6, 7)).toEqual([1300]);
  });

  it("Python %-formatting of AD templates", () => {
    expect(pyPercentFormat("%s%s_%6.6d.tiff", ["/d/", "scan", 7])).toBe("/d/scan_000007.tiff");
    expect(pyPercentFormat("%s%s%.0s", ["/d/", "a.tiff", 3])).toBe("/d/a.tiff");
    expect(pyPercentFormat("%s%s_%05d%%", ["", "x", -12])).toBe("x_-0012%");
    expect(() => pyPercentFormat("%s%s", ["a", "b", 1])).toThrow(expect.objectContaining({ code: "DOCS_BAD_ARGUMENT" }));
  });

  it("runs of earlier versions (spec DOCMODEL_TIFF, datum kwargs {page}) still fill", () => {
    const run = composeRun({ uid: "old-lazy-tiff", time: 1 });
    const d = run.composeDescriptor({
      name: "primary",
      data_keys: { image: { dtype: "number", shape: [3, 2], source: "old", external: "FILESTORE:" } },
    });
    const res = run.composeResource({ spec: "DOCMODEL_TIFF", root: "", resource_path: join(dir, "a.tiff"), resource_kwargs: {} });
    const datum = res.composeDatum({ datum_kwargs: { page: 0 } });
    const docs: DocumentPair[] = [
      ["start", run.startDoc],
      ["descriptor", d.descriptorDoc],
      ["resource", res.resourceDoc],
      ["datum", datum],
      ["event", d.composeEvent({ data: { image: datum.datum_id }, timestamps: { image: 1 }, filled: { image: false }, time: 1 })],
    ];
    const col = loadRunSync(docs).stream("primary").read({ handlers: TIFF_HANDLERS }).columns.image;
    expect(col?.shape).toEqual([1, 3, 2]);
  });
});
