import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BinSourceDirectory, binGen2Directory } from "@daqkit/gen2-bin";
import { openDirectorySource } from "@daqkit/io/node";
import { binRawfilePackets } from "@daqkit/rawhdf5";
import { GEN2_WRAP_US, TimestampRange } from "@daqkit/timestamps";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { XMLParser } from "fast-xml-parser";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkPoints } from "../src/commands/plot.js";
import { daqkit } from "./run.js";

/**
 * `daqkit plot`: the binned data equal the Node API's (the --json summary, computed from the same
 * bins the picture is drawn from), the SVG parses and has its axes and marks, the PNG has the asked
 * size and is not blank, and bad input is a coded error that leaves no file behind.
 */
const SHARED = join(import.meta.dirname, "../../../../shared");
const TIER = join(SHARED, "testdata/lh5/prod-ref-l200/generated/tier");
const DSP = join(TIER, "dsp/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_dsp.lh5");
const RAW = join(TIER, "raw/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_raw.lh5");
const RAWHDF5 = join(SHARED, "testdata/rawhdf5/raw_v0_0_two_iogroups.h5");
const IMAGE_RUN = join(SHARED, "testdata/docmodel/530894b3-1b56-534e-8926-86d5417fdc39.msgpack");
const STRAX = join(SHARED, "testdata/strax/v2/main");

const tmp = mkdtempSync(join(tmpdir(), "daqkit-plot-"));
const t = (name: string) => join(tmp, name);
const wrapNight = t("wrap");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => {
  const r = spawnSync(
    "python3",
    [join(SHARED, "tools/gen2_make.py"), wrapNight, "--quiet", "--photons", "40000", "--seconds", "4", "--wrap"],
    {
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(`gen2_make.py failed: ${r.stderr}`);
});

/** Run `daqkit --json plot …` and return the parsed summary (fails the test on a non-zero exit). */
async function plot(...args: string[]): Promise<Record<string, unknown>> {
  const r = await daqkit("--json", "plot", ...args);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

type Node = Record<string, unknown>;
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  preserveOrder: false,
  isArray: (name) => name === "g" || name === "path" || name === "text" || name === "image",
});

function parseSvg(path: string): Node {
  const doc = parser.parse(readFileSync(path, "utf8")) as Node;
  expect(doc.svg).toBeDefined();
  return doc.svg as Node;
}

/** Every `<g>` below `node` whose class contains `cls` (Vega marks: `mark-rect role-mark`, `role-axis`, …). */
function groups(node: unknown, cls: string, out: Node[] = []): Node[] {
  if (Array.isArray(node)) for (const n of node) groups(n, cls, out);
  else if (node && typeof node === "object") {
    const n = node as Node;
    if (typeof n["@class"] === "string" && (n["@class"] as string).split(" ").includes(cls)) out.push(n);
    for (const [k, v] of Object.entries(n)) if (!k.startsWith("@")) groups(v, cls, out);
  }
  return out;
}

/** All text of an element tree. */
function texts(node: unknown): string[] {
  if (typeof node === "string" || typeof node === "number") return [String(node)];
  if (Array.isArray(node)) return node.flatMap(texts);
  if (node && typeof node === "object")
    return Object.entries(node as Node).flatMap(([k, v]) => (k === "#text" ? [String(v)] : k.startsWith("@") ? [] : texts(v)));
  return [];
}

/** Marks (paths/images) of the mark groups of class `cls`. */
function markCount(svg: Node, cls: string, element: "path" | "image" = "path"): number {
  return groups(svg, cls).reduce((n, g) => n + ((g[element] as unknown[] | undefined)?.length ?? 0), 0);
}

/** Decode a PNG; check its size; return the number of distinct colours and the share of non-white pixels. */
function pngStats(path: string, width: number, height: number): { colours: number; inked: number } {
  const png = PNG.sync.read(readFileSync(path));
  expect([png.width, png.height]).toEqual([width, height]);
  const colours = new Set<number>();
  let inked = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    colours.add((r << 16) | (g << 8) | b);
    if (r < 250 || g < 250 || b < 250) inked++;
  }
  return { colours: colours.size, inked: inked / (png.width * png.height) };
}

describe("daqkit plot: gen2", () => {
  it("gen2-image of a range across the 36-bit wrap: photons equal readTimerange's; the SVG has the raster, axes and colour bar", async () => {
    const dir = await BinSourceDirectory.open(await openDirectorySource(wrapNight));
    const range = new TimestampRange(GEN2_WRAP_US - 1_000_000, 500_000);
    const expected = await dir.readTimerange(range);
    const s = await plot("gen2-image", wrapNight, "--from", String(range.startUs), "--to", String(range.stopUs), "--out", t("wrap.svg"));
    expect(s.photons).toBe(expected.photons.numRows + expected.wide.numRows);
    expect(s.photons).toBeGreaterThan(5000);
    expect(s.range).toMatchObject({ startUs: range.startUs, stopUs: range.stopUs, wraps: true });
    expect(s.image).toMatchObject({ width: 256, height: 256 });
    const svg = parseSvg(t("wrap.svg"));
    expect([svg["@width"], svg["@height"]]).toEqual(["640", "480"]);
    expect(markCount(svg, "mark-image", "image")).toBe(1);
    const raster = (groups(svg, "mark-image")[0]!.image as Node[])[0]!;
    expect(String(raster["@href"] ?? raster["@xlink:href"])).toMatch(/^data:image\/png;base64,/);
    expect(groups(svg, "role-axis").length).toBe(2);
    expect(groups(svg, "role-legend").length).toBe(1);
    const words = texts(svg).join(" ");
    for (const w of ["x (pixel)", "y (pixel)", "photons", "gen2 count image"]) expect(words).toContain(w);
  });

  it("gen2-image of files given one by one equals the folder; the count image's maximum equals the Node API's", async () => {
    const files = readdirSync(wrapNight)
      .filter((n) => n.endsWith(".bin"))
      .map((n) => join(wrapNight, n));
    const s = await plot("gen2-image", ...files, "--out", t("files.png"), "--log");
    const api = await binGen2Directory(await openDirectorySource(wrapNight));
    expect(s.photons).toBe(api.photons);
    expect((s.image as { maxCount: number }).maxCount).toBe(api.image.max);
    expect(pngStats(t("files.png"), 640, 480).colours).toBeGreaterThan(20);
  });

  it("a night that spans most of the wrap period (shared/testdata/gen2-bin): the default light-curve bin grows to stay within 16 Mi bins", async () => {
    const dir = join(SHARED, "testdata/gen2-bin");
    const s = await plot("light-curve", dir, "--out", t("long.svg"));
    const api = await binGen2Directory(await openDirectorySource(dir));
    expect(s.photons).toBe(api.photons);
    const curve = s.lightCurve as { binUs: number; bins: number };
    expect(curve.bins).toBeLessThanOrEqual(2000);
    expect(curve.binUs % 1_000_000).toBe(0);
    expect(api.lightCurve.binUs).toBe(1_000_000); // the API's default: 1 s while that stays within 16 Mi bins
    expect(curve.bins).toBe(Math.floor((api.lightCurve.counts.length - 1) / (curve.binUs / 1e6)) + 1);
    const tooFine = await daqkit("plot", "light-curve", dir, "--bin", "1ms", "--out", t("fine.svg"));
    expect(tooFine.code).toBe(2);
    expect(tooFine.stderr).toMatch(/CLI_USAGE: --bin 1ms gives \d+ bins .* at most 100000/);
    const image = await plot("gen2-image", dir, "--from", "24213263997500", "--to", "499", "--out", t("long.png"));
    expect(image.range).toMatchObject({ wraps: true });
    expect(image.photons).toBe(api.photons);
  });

  it("light-curve: PNG of the asked size, not blank; bins as the Node API's", async () => {
    const s = await plot(
      "light-curve",
      wrapNight,
      "--bin",
      "250ms",
      "--width",
      "800",
      "--height",
      "500",
      "--title",
      "curve",
      "--out",
      t("lc.png"),
    );
    const api = await binGen2Directory(await openDirectorySource(wrapNight), { lightCurveBinUs: 250_000 });
    expect(s.lightCurve).toEqual({
      originUs: api.lightCurve.originUs,
      binUs: 250_000,
      bins: api.lightCurve.counts.length,
      before: api.lightCurve.before,
    });
    expect([s.width, s.height]).toEqual([800, 500]);
    const stats = pngStats(t("lc.png"), 800, 500);
    expect(stats.inked).toBeGreaterThan(0.01);
    expect(stats.colours).toBeGreaterThan(5);
  });
});

describe("daqkit plot: histograms", () => {
  it("LH5 column: bars = bins, entries = rows, range as given", async () => {
    const s = await plot("histogram", DSP, "--column", "ch1084803/dsp/trapEmax", "--bins", "12", "--range", "0:20000", "--out", t("h.svg"));
    expect(s).toMatchObject({ column: "ch1084803/dsp/trapEmax", rows: 10, bins: 12, low: 0, high: 20000 });
    expect((s.entries as number) - (s.underflow as number) - (s.overflow as number)).toBeGreaterThan(0);
    const svg = parseSvg(t("h.svg"));
    expect(markCount(svg, "mark-rect")).toBe(12);
    expect(texts(svg).join(" ")).toContain("entries");
  });

  it("a load output (.arrow): counts equal the values'; .parquet works alike through load", async () => {
    const energy = Float64Array.from({ length: 1000 }, (_, i) => (i * 37) % 500);
    writeFileSync(t("sel.arrow"), tableToIPC(tableFromArrays({ energy }), "file"));
    const s = await plot("histogram", t("sel.arrow"), "--column", "energy", "--bins", "5", "--range", "0:500", "--out", t("sel.png"));
    expect(s).toMatchObject({ entries: 1000, underflow: 0, overflow: 0, nulls: 0 });
    expect(pngStats(t("sel.png"), 640, 480).inked).toBeGreaterThan(0.01);
    const load = await daqkit(
      "--json",
      "load",
      join(SHARED, "testdata/lh5/configs/pygama-flow/data-loader-config.json"),
      "--data-dir",
      TIER,
      "--files",
      "all",
      "--channels",
      "1084803",
      "--columns",
      "trapEmax",
      "--out",
      t("sel.parquet"),
    );
    expect(load.code).toBe(0);
    const rows = (JSON.parse(load.stdout) as { rows: number }).rows;
    const p = await plot("histogram", t("sel.parquet"), "--column", "trapEmax", "--out", t("selpq.svg"));
    expect(p.entries).toBe(rows);
    expect(markCount(parseSvg(t("selpq.svg")), "mark-rect")).toBe(100);
  });

  it("larpix-adc and larpix-occupancy: packets as the Node API bins them", async () => {
    const api = await binRawfilePackets(readFileSync(RAWHDF5));
    const adc = await plot("larpix-adc", RAWHDF5, "--out", t("adc.svg"));
    expect(adc).toMatchObject({ dataPackets: api.dataPackets, entries: api.dataPackets, bins: 256, chips: api.occupancy.chips });
    expect(markCount(parseSvg(t("adc.svg")), "mark-rect")).toBe(256);
    const occ = await plot("larpix-occupancy", RAWHDF5, "--out", t("occ.png"), "--width", "500", "--height", "400");
    expect(occ.maxCount).toBe(api.occupancy.max);
    expect(pngStats(t("occ.png"), 500, 400).colours).toBeGreaterThan(5);
  });
});

describe("daqkit plot: waveforms and images", () => {
  it("LH5 waveform table and strax records: one line per waveform", async () => {
    const lh5 = await plot("waveforms", RAW, "ch1084803/raw", "--first", "2", "--count", "3", "--out", t("wf.svg"));
    expect(lh5).toMatchObject({ source: "lh5", objectPath: "ch1084803/raw/waveform", rows: [2, 3, 4], tableRows: 10 });
    const svg = parseSvg(t("wf.svg"));
    expect(markCount(svg, "mark-line")).toBe(3);
    expect(texts(svg).join(" ")).toContain("time (ns)");
    const strax = await plot("waveforms", STRAX, "0", "--count", "4", "--first", "9", "--out", t("sw.png"));
    expect(strax).toMatchObject({ source: "strax", run: "0", dataType: "records", rows: [9, 10, 11, 12] });
  });

  it("bluesky-image: the frame's values (min/max) and a PNG that is not blank", async () => {
    const s = await plot(
      "bluesky-image",
      IMAGE_RUN,
      "--field",
      "cam_image",
      "--event",
      "1",
      "--out",
      t("bs.png"),
      "--width",
      "300",
      "--height",
      "260",
    );
    expect(s).toMatchObject({ stream: "primary", field: "cam_image", event: 1, events: 3, width: 5, height: 4, min: 100, max: 119 });
    expect(pngStats(t("bs.png"), 300, 260).colours).toBeGreaterThan(20);
  });
});

describe("daqkit plot: bad input", () => {
  const cases: Array<[string, string[], number, RegExp]> = [
    ["unknown kind", ["spectrum", DSP, "--out", t("e1.svg")], 2, /CLI_USAGE: unknown plot kind "spectrum"/],
    ["wrong file type", ["histogram", IMAGE_RUN, "--column", "x", "--out", t("e2.svg")], 3, /PLOT_WRONG_INPUT: .*530894b3.*msgpack/],
    [
      "missing LH5 column",
      ["histogram", DSP, "--column", "ch1084803/dsp/nope", "--out", t("e3.svg")],
      4,
      /LH5_OBJECT_NOT_FOUND: .*tier_dsp\.lh5/,
    ],
    ["a table is not a column", ["histogram", DSP, "--column", "ch1084803/dsp", "--out", t("e4.svg")], 3, /LH5_UNSUPPORTED/],
    ["bad --out", ["histogram", DSP, "--column", "ch1084803/dsp/trapEmax", "--out", t("e5.jpg")], 2, /--out must end in \.svg or \.png/],
    ["--from without --to", ["gen2-image", wrapNight, "--from", "5", "--out", t("e6.svg")], 2, /--from and --to go together/],
    [
      "range outside the night",
      ["gen2-image", wrapNight, "--from", "10000000000", "--to", "10000001000", "--out", t("e7.svg")],
      3,
      /PLOT_NO_DATA: .*matches no file/,
    ],
    [
      "--from after --to outside a wrap",
      [
        "gen2-image",
        join(SHARED, "testdata/gen2-bin/binney_test_packet.bin"),
        "--from",
        "24213263997999",
        "--to",
        "24213263997500",
        "--out",
        t("e12.svg"),
      ],
      2,
      /CLI_USAGE: --from .* is later than --to/,
    ],
    ["not a raw file", ["larpix-adc", DSP, "--out", t("e8.svg")], 3, /RAWHDF5_/],
    ["no such image field", ["bluesky-image", IMAGE_RUN, "--field", "det", "--out", t("e9.svg")], 3, /DOCS_BAD_ARGUMENT/],
    ["missing input", ["gen2-image", t("no-such-night"), "--out", t("e10.svg")], 4, /ENOENT/],
  ];
  for (const [what, args, exit, message] of cases) {
    it(`${what}: exit ${exit}, a coded one-line message, no file written`, async () => {
      const r = await daqkit("plot", ...args);
      expect(r.code).toBe(exit);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n").length).toBe(1);
      expect(existsSync(args[args.indexOf("--out") + 1]!)).toBe(false);
    });
  }

  it("a waveforms picture holds at most 1 000 000 samples; more is a usage error suggesting a --count", () => {
    const wave = { x: new Float64Array(8192) };
    expect(() => checkPoints(Array(122).fill(wave), "raw.lh5")).not.toThrow();
    expect(() => checkPoints(Array(123).fill(wave), "raw.lh5")).toThrow(
      /123 waveforms of raw\.lh5 have 1007616 samples: .*use --count 122 or less/,
    );
  });

  it("a missing column of a load output names the file and the columns it has", async () => {
    writeFileSync(t("cols.arrow"), tableToIPC(tableFromArrays({ energy: Float64Array.of(1, 2) }), "file"));
    const r = await daqkit("--json", "plot", "histogram", t("cols.arrow"), "--column", "trapEmax", "--out", t("e11.svg"));
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: "IO_BAD_ARGUMENT" });
    expect(r.stderr).toMatch(/cols\.arrow has no column "trapEmax" \(columns: energy\)/);
  });
});
