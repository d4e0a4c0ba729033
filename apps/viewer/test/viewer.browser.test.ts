/**
 * Smoke test of the built viewer (apps/viewer/dist) in Debian's Chromium: a generated gen2 night and
 * a real LH5 file are opened through the page's file inputs (`setInputFiles`, the picker path) and
 * what the page shows is compared with the Node API's answer; each plot's canvas must have drawn.
 * Skips with a message when /usr/bin/chromium is missing (a failure under CI=true).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { BinSourceDirectory, binGen2Directory } from "@daqkit/gen2-bin";
import { GEN2_WRAP_US, TimestampRange } from "@daqkit/timestamps";
import { directoryListing, openDirectorySource } from "@daqkit/io/node";
import { openLh5 } from "@daqkit/lh5/node";
import { readRawfilePackets } from "@daqkit/rawhdf5/node";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { gen2Make, tempDir } from "../../../packages/gen2-bin/test/helpers.js";
import { BROWSER_SKIP, CHROMIUM_PATH } from "../../../test/support/browser.js";
import { type StaticServer, startStaticServer } from "../../../test/support/static-server.js";

const DIST = join(import.meta.dirname, "../dist");
const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata");

const TOKEN = "t0ken";
const SERVED_LH5 = "lh5/LDQTA_r117_20200110T105115Z_cal_geds_raw.lh5";

/**
 * The listing route of the `daqkit view` contract (apps/viewer/README.md): GET /api/TOKEN/list?path=REL
 * → @daqkit/io's daqkit-listing of REL, or for a file the one entry plus `dir`.
 */
async function listingApi(url: URL, root: string): Promise<unknown> {
  if (url.pathname !== `/api/${TOKEN}/list`) return undefined;
  const rel = url.searchParams.get("path") ?? "";
  const abs = join(root, rel);
  const st = statSync(abs);
  if (st.isDirectory()) return directoryListing(abs);
  const parent = await directoryListing(dirname(abs));
  const name = rel.split("/").pop()!;
  return { ...parent, dir: rel.split("/").slice(0, -1).join("/"), entries: parent.entries.filter((e) => e.path === name) };
}

describe.skipIf(BROWSER_SKIP !== undefined)("the built viewer in Chromium", () => {
  let tmp: ReturnType<typeof tempDir>;
  let night: string;
  let server: StaticServer;
  let served: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(DIST, "index.html"))) throw new Error(`${DIST}/index.html is missing: run pnpm build first`);
    tmp = tempDir("viewer-browser-");
    night = join(tmp.path, "night");
    gen2Make(night, "--photons", "30000", "--seconds", "3", "--wrap");
    // PATH of a `daqkit view` stand-in: the night and an LH5 file (a link to the test file)
    served = join(tmp.path, "served");
    mkdirSync(join(served, "lh5"), { recursive: true });
    symlinkSync(join(TESTDATA, SERVED_LH5), join(served, "lh5", SERVED_LH5.split("/").pop()!));
    symlinkSync(night, join(served, "night"));
    server = await startStaticServer({ "/app/": DIST, [`/data/${TOKEN}/`]: served }, { json: (url) => listingApi(url, served) });
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ["--no-sandbox", "--enable-unsafe-swiftshader", "--use-angle=swiftshader"],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("pageerror", (e) => pageErrors.push(String(e)));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    tmp?.cleanup();
  });

  /**
   * Distinct colours inside the WebGL canvas of the plot `testid` (from a screenshot of the canvas
   * alone: axes and labels are outside it). A blank canvas has 1.
   */
  async function canvasColours(testid: string): Promise<number> {
    const canvas = page.getByTestId(testid).locator("canvas").first();
    await canvas.waitFor({ timeout: 30_000 });
    // react-three-fiber draws on a later frame (late on a loaded machine): look again until it has
    const deadline = Date.now() + 20_000;
    for (;;) {
      const png = (await canvas.screenshot()).toString("base64");
      const colours = await page.evaluate(async (b64) => {
        const img = new Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const c = document.createElement("canvas");
        c.width = img.width;
        c.height = img.height;
        const g = c.getContext("2d")!;
        g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, c.width, c.height).data;
        const seen = new Set<number>();
        for (let i = 0; i < d.length; i += 4) seen.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
        return seen.size;
      }, png);
      if (colours > 2 || Date.now() > deadline) return colours;
      await page.waitForTimeout(250);
    }
  }

  async function openApp(): Promise<void> {
    await page.goto(`${server.origin}/app/index.html`);
    await page.getByTestId("empty").waitFor();
  }

  test("a gen2 night: photon count and time range equal the Node API's", async () => {
    const dir = await BinSourceDirectory.open(await openDirectorySource(night));
    const all = await dir.readAll();
    const expectedPhotons = all.photons.numRows + all.wide.numRows;
    const first = dir.files[0]!;
    const last = dir.files[dir.files.length - 1]!;
    await openApp();
    // the folder picker (<input webkitdirectory>): the night folder with its manifest.json beside the .bin files
    expect(readdirSync(night).filter((n) => n.endsWith(".bin")).length).toBe(dir.files.length);
    // the order in which the count image draws and the light curve (the next plot) mounts
    await page.evaluate(() => {
      const w = window as unknown as { plotOrder: string[] };
      w.plotOrder = [];
      const note = (what: string, selector: string) => {
        if (!w.plotOrder.includes(what) && document.querySelector(selector)) w.plotOrder.push(what);
      };
      new MutationObserver(() => {
        note("image drawn", '[data-testid="gen2-image"][data-drawn]');
        note("light curve mounted", '[data-testid="gen2-light-curve"]');
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-drawn"] });
    });
    await page.getByTestId("open-folder").setInputFiles(night);
    const count = page.getByTestId("gen2-photon-count");
    await count.waitFor({ timeout: 60_000 });
    expect(Number(await count.textContent())).toBe(expectedPhotons);
    expect(await page.getByTestId("gen2-time-range").textContent()).toBe(`${first.range.startUs} – ${last.range.stopUs} µs`);
    for (const plot of ["gen2-image", "gen2-light-curve", "gen2-phase-histogram", "gen2-baseline-histogram"]) {
      expect(await canvasColours(plot), plot).toBeGreaterThan(2);
    }
    // the count image alone first (issue 16): the other plots' WebGL set-up waits until it has drawn
    expect(await page.evaluate(() => (window as unknown as { plotOrder: string[] }).plotOrder)).toEqual([
      "image drawn",
      "light curve mounted",
    ]);
    // a time range across the 36-bit counter wrap: the photons Node's binning counts in it
    const range = new TimestampRange(GEN2_WRAP_US - 700_000, 400_000);
    const inRange = await binGen2Directory(dir, { range });
    expect(inRange.photons).toBeGreaterThan(0);
    expect(inRange.photons).toBeLessThan(expectedPhotons);
    await page.getByTestId("gen2-from").fill(String(range.startUs));
    await page.getByTestId("gen2-to").fill(String(range.stopUs));
    await page.getByTestId("gen2-bin").fill("10000");
    await page.getByTestId("gen2-apply").click();
    const rangeCount = page.getByTestId("gen2-range-photon-count");
    await rangeCount.waitFor({ timeout: 60_000 });
    expect(Number(await rangeCount.textContent())).toBe(inRange.photons);
    expect(await canvasColours("gen2-image")).toBeGreaterThan(2);
    if (process.env.VIEWER_SCREENSHOTS) await page.screenshot({ path: join(process.env.VIEWER_SCREENSHOTS, "gen2.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  test("an LH5 file: tree, a table cell equal to the Node API's, a column histogram and waveforms", async () => {
    const file = join(TESTDATA, "lh5/prod-ref-l200/generated/tier/raw/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_raw.lh5");
    const f = await openLh5(file);
    let expected: { rows: number; daqenergy: number; timestamp: number };
    try {
      const t = f.readTable("ch1084803/raw", { columns: ["daqenergy", "timestamp"], rows: { start: 0, stop: 3 } });
      const col = (n: string) => (t.columns.get(n) as unknown as { data: ArrayLike<number> }).data;
      expected = { rows: f.countRows("ch1084803/raw")!, daqenergy: Number(col("daqenergy")[2]), timestamp: Number(col("timestamp")[2]) };
    } finally {
      f.close();
    }
    await openApp();
    await page.getByTestId("open-files").setInputFiles(file);
    await page.locator('[data-testid="lh5-node"][data-path="ch1084803/raw"]').waitFor({ timeout: 60_000 });
    const cell = (col: string) => page.locator(`[data-testid="lh5-cell"][data-row="2"][data-col="${col}"]`);
    await cell("daqenergy").waitFor({ timeout: 30_000 });
    expect(Number(await cell("daqenergy").textContent())).toBe(expected.daqenergy);
    expect(Number(await cell("timestamp").textContent())).toBe(expected.timestamp);
    expect(Number(await page.getByTestId("lh5-rows").textContent())).toBe(expected.rows);
    await page.getByTestId("lh5-column-select").selectOption("daqenergy");
    expect(await canvasColours("lh5-histogram")).toBeGreaterThan(2);
    expect(await canvasColours("lh5-waveforms")).toBeGreaterThan(2);
    if (process.env.VIEWER_SCREENSHOTS) await page.screenshot({ path: join(process.env.VIEWER_SCREENSHOTS, "lh5.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  test("a LArPix raw file: version, io_groups, packet count equal to the Node API's; ADC histogram and occupancy drawn", async () => {
    const file = join(TESTDATA, "rawhdf5/raw_v0_0_two_iogroups.h5");
    const packets = await readRawfilePackets(file);
    let data = 0;
    for (let i = 0; i < packets.length; i++) if (packets.packet_type[i] === 0) data++;
    await openApp();
    await page.getByTestId("open-files").setInputFiles(file);
    const count = page.getByTestId("larpix-packet-count");
    await count.waitFor({ timeout: 60_000 });
    expect(Number(await count.textContent())).toBe(packets.length);
    expect(Number(await page.getByTestId("larpix-data-packet-count").textContent())).toBe(data);
    expect(await page.getByTestId("larpix-version").textContent()).toBe("0.0");
    expect(await page.locator('[data-testid="larpix-io-group-count"][data-io-group="1"]').textContent()).toBe("4");
    expect(await canvasColours("larpix-adc-histogram")).toBeGreaterThan(2);
    expect(await canvasColours("larpix-occupancy")).toBeGreaterThan(2);
    await page.getByTestId("larpix-packets").waitFor();
    if (process.env.VIEWER_SCREENSHOTS) await page.screenshot({ path: join(process.env.VIEWER_SCREENSHOTS, "larpix.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  test("bad input shows a coded error in the page: a truncated LH5 file, a file of no known format", async () => {
    const whole = readFileSync(join(TESTDATA, "lh5/lgdo-histograms.lh5"));
    const truncated = join(tmp.path, "truncated.lh5");
    writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    const junk = join(tmp.path, "junk.lh5");
    writeFileSync(junk, Buffer.from("this is not an HDF5 file, only text\n".repeat(20)));
    await openApp();
    await page.getByTestId("open-files").setInputFiles(truncated);
    const code = page.getByTestId("error-code").first();
    await code.waitFor({ timeout: 60_000 });
    expect(await code.textContent()).toMatch(/^LH5_/);
    await openApp();
    await page.getByTestId("open-files").setInputFiles(junk);
    await page.getByTestId("no-format").waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("error-code").first().textContent()).toBe("VIEW_UNKNOWN_FORMAT");
    expect(pageErrors).toEqual([]);
  });

  test("served like daqkit view (?token&path): an LH5 file read by range requests, a gen2 night over HTTP", async () => {
    const f = await openLh5(join(TESTDATA, SERVED_LH5));
    let energy: number;
    try {
      energy = Number((f.readObject("geds/raw/energy", { rows: { start: 3, stop: 4 } }) as unknown as { data: ArrayLike<number> }).data[0]);
    } finally {
      f.close();
    }
    await page.goto(`${server.origin}/app/index.html?token=${TOKEN}&path=${encodeURIComponent(SERVED_LH5)}`);
    const cell = page.locator('[data-testid="lh5-cell"][data-row="3"][data-col="energy"]');
    await cell.waitFor({ timeout: 60_000 });
    expect(Number(await cell.textContent())).toBe(energy);
    await page.getByTestId("lh5-column-select").selectOption("energy");
    expect(await canvasColours("lh5-histogram")).toBeGreaterThan(2);

    const dir = await BinSourceDirectory.open(await openDirectorySource(night));
    const all = await dir.readAll();
    // the page's requests for the night's files (its workers' included): the bootstrap starts the
    // scan and the whole-night bin before the app loads, and the panel takes them — each file's body
    // is requested once (issue 16)
    const bodies: string[] = [];
    const onRequest = (r: import("playwright-core").Request) => {
      const m = /\/data\/[^/]+\/night\/([^/?]+\.bin)$/.exec(new URL(r.url()).pathname);
      const size = m ? dir.files.find((f) => f.name === m[1])?.size : undefined;
      if (m && r.headers().range === `bytes=0-${size! - 1}`) bodies.push(m[1]!);
    };
    page.on("request", onRequest);
    await page.goto(`${server.origin}/app/index.html?token=${TOKEN}&path=night`);
    const count = page.getByTestId("gen2-photon-count");
    await count.waitFor({ timeout: 60_000 });
    page.off("request", onRequest);
    expect(Number(await count.textContent())).toBe(all.photons.numRows + all.wide.numRows);
    expect(bodies.sort()).toEqual(dir.files.map((f) => f.name).sort());
    expect(pageErrors).toEqual([]);
  });
});
