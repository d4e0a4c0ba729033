/**
 * End to end: the built `daqkit view` (a child process, as users run it) serves ../shared/testdata, a
 * generated gen2 night and a folder of bad files; Debian's Chromium opens each format through the page
 * and the test asserts what a person would see, against the Node API's answers, and that each picture
 * drew (coloured pixels in its screenshot). Screenshots go to .vitest/view-e2e/ (git-ignored).
 * Skips with a message when /usr/bin/chromium is missing; under CI=true that is a failure.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadMsgpackRunBytes } from "@daqkit/docmodel";
import { FileDb } from "@daqkit/filedb/node";
import { BinSourceDirectory } from "@daqkit/gen2-bin";
import { openDirectorySource } from "@daqkit/io/node";
import { openLh5 } from "@daqkit/lh5/node";
import { openDataLoader } from "@daqkit/loader/node";
import { readRawfilePackets } from "@daqkit/rawhdf5/node";
import { DataDirectory } from "@daqkit/runs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { gen2Make, tempDir } from "../../../packages/gen2-bin/test/helpers.js";
import { BROWSER_SKIP, CHROMIUM_PATH } from "../../../test/support/browser.js";
import { colouredPixels } from "./support/page-checks.js";
import { CLI_BIN, startView, type ViewProcess } from "./support/view-process.js";

const SHARED = join(import.meta.dirname, "../../../../shared/testdata");
const SHOTS = join(import.meta.dirname, "../../../.vitest/view-e2e");
const EVT_CONFIG = "lh5/configs/variants/data-loader-config-evt_synthetic.json";
const STRAX = "strax/v2/main";
const RAWHDF5 = "rawhdf5/raw_v0_0_two_iogroups.h5";
const LH5_FILE = "lh5/prod-ref-l200/generated/tier/raw/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_raw.lh5";

describe.skipIf(BROWSER_SKIP !== undefined)("daqkit view in Chromium", () => {
  let tmp: ReturnType<typeof tempDir>;
  let night: string;
  let views: { shared: ViewProcess; night: ViewProcess; bad: ViewProcess };
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    for (const f of [CLI_BIN, join(CLI_BIN, "../viewer/index.html")]) {
      if (!existsSync(f)) throw new Error(`${f} is missing: run pnpm build first (pnpm test does)`);
    }
    mkdirSync(SHOTS, { recursive: true });
    tmp = tempDir("daqkit-view-e2e-");
    night = join(tmp.path, "night");
    gen2Make(night, "--photons", "30000", "--seconds", "3", "--wrap");
    // bad input: a truncated LH5 file, a .msgpack that is not a run
    const bad = join(tmp.path, "bad");
    mkdirSync(bad);
    const lh5 = readFileSync(join(SHARED, LH5_FILE));
    writeFileSync(join(bad, "truncated.lh5"), lh5.subarray(0, Math.floor(lh5.length / 3)));
    const run = readFileSync(join(SHARED, "docmodel/05a9a318-013e-5700-b4e3-e6b467ace5f8.msgpack"));
    writeFileSync(join(bad, "cut-short.msgpack"), run.subarray(0, Math.floor(run.length / 2)));
    copyFileSync(join(SHARED, "gen2-bin/binney_test_packet.bin"), join(bad, "ok.bin"));
    const [shared, nightView, badView] = await Promise.all([startView(SHARED), startView(night), startView(bad)]);
    views = { shared, night: nightView, bad: badView };
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ["--no-sandbox", "--enable-unsafe-swiftshader", "--use-angle=swiftshader"],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("pageerror", (e) => pageErrors.push(String(e)));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    const codes = await Promise.all(Object.values(views ?? {}).map((v) => v.stop()));
    tmp?.cleanup();
    // every server stopped cleanly on SIGINT
    expect(codes.every((c) => c === 0)).toBe(true);
  });

  /** Open `daqkit view`'s URL for REL (its listing), select `select` in the sidebar if given, pick the format tab. */
  async function open(view: ViewProcess, rel: string, options: { select?: string; format?: string } = {}): Promise<void> {
    const url = new URL(view.url);
    url.searchParams.set("path", rel);
    await page.goto(url.href);
    await page.getByTestId("entries").waitFor({ timeout: 30_000 });
    if (options.select !== undefined) {
      await page.locator(`[data-testid="entry"][data-path="${options.select}"]`).click();
    }
    if (options.format) {
      const tab = page.getByTestId(`format-${options.format}`);
      if (await tab.count()) await tab.click();
      await page.locator(`[data-testid="panel"][data-format="${options.format}"]`).waitFor({ timeout: 30_000 });
    }
  }

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
  const text = async (testid: string) => (await page.getByTestId(testid).first().textContent())?.trim() ?? "";

  test("gen2 night: photon count and the night's time range equal the Node API's", async () => {
    const dir = await BinSourceDirectory.open(await openDirectorySource(night));
    const all = await dir.readAll();
    const photons = all.photons.numRows + all.wide.numRows;
    await open(views.night, "");
    await page.getByTestId("gen2-photon-count").waitFor({ timeout: 60_000 });
    expect(Number(await text("gen2-photon-count"))).toBe(photons);
    expect(await text("gen2-time-range")).toBe(`${dir.files[0]!.range.startUs} – ${dir.files.at(-1)!.range.stopUs} µs`);
    for (const plot of ["gen2-image", "gen2-light-curve", "gen2-phase-histogram", "gen2-baseline-histogram"]) {
      await page.getByTestId(plot).waitFor({ timeout: 60_000 });
      expect(await colouredPixels(page, page.getByTestId(plot)), plot).toBeGreaterThan(20);
    }
    await shot("gen2-night");
  });

  test("LH5 (served over HTTP ranges): a table cell and the row count equal the Node API's; histogram and waveforms drawn", async () => {
    const f = await openLh5(join(SHARED, LH5_FILE));
    let expected: { rows: number; daqenergy: number };
    try {
      const t = f.readTable("ch1084803/raw", { columns: ["daqenergy"], rows: { start: 0, stop: 3 } });
      expected = {
        rows: f.countRows("ch1084803/raw")!,
        daqenergy: Number((t.columns.get("daqenergy") as unknown as { data: ArrayLike<number> }).data[2]),
      };
    } finally {
      f.close();
    }
    await open(views.shared, LH5_FILE, { format: "lh5" });
    await page.locator('[data-testid="lh5-node"][data-path="ch1084803/raw"]').click({ timeout: 60_000 });
    const cell = page.locator('[data-testid="lh5-cell"][data-row="2"][data-col="daqenergy"]');
    await cell.waitFor({ timeout: 60_000 });
    expect(Number(await cell.textContent())).toBe(expected.daqenergy);
    expect(Number(await text("lh5-rows"))).toBe(expected.rows);
    await page.getByTestId("lh5-column-select").selectOption("daqenergy");
    for (const plot of ["lh5-histogram", "lh5-waveforms"]) {
      await page.getByTestId(plot).waitFor({ timeout: 60_000 });
      expect(await colouredPixels(page, page.getByTestId(plot)), plot).toBeGreaterThan(20);
    }
    await shot("lh5");
  });

  test("LArPix raw file: the number of packets equals the Node API's; ADC histogram and occupancy drawn", async () => {
    const packets = await readRawfilePackets(join(SHARED, RAWHDF5));
    await open(views.shared, RAWHDF5, { format: "larpix" });
    await page.getByTestId("larpix-packet-count").waitFor({ timeout: 60_000 });
    expect(Number(await text("larpix-packet-count"))).toBe(packets.length);
    for (const plot of ["larpix-adc-histogram", "larpix-occupancy"]) {
      await page.getByTestId(plot).waitFor({ timeout: 60_000 });
      expect(await colouredPixels(page, page.getByTestId(plot)), plot).toBeGreaterThan(20);
    }
    await shot("larpix");
  });

  test("FileDB / DataLoader: cycle table and query, a load with hit: and evt: cuts through the TCM = the Node load", async () => {
    const db = FileDb.fromConfig(JSON.parse(readFileSync(join(SHARED, "lh5/configs/variants/filedb-config-evt_synthetic.json"), "utf8")), {
      cwd: SHARED,
    });
    const cal = db.query("type == 'cal'").length;
    const dl = await openDataLoader(join(SHARED, EVT_CONFIG), { filedbOptions: { cwd: SHARED } });
    dl.setFiles("all");
    dl.setCuts({ hit: "trapEmax > 5000", evt: "multiplicity > 1" });
    dl.setOutput({ columns: ["trapEmax"] });
    const loaded = await dl.load();
    expect(loaded.numRows).toBeGreaterThan(0);

    await open(views.shared, "lh5", { format: "filedb" });
    await page.getByTestId("filedb-loader-config").selectOption(EVT_CONFIG.slice("lh5/".length));
    await page.getByTestId("filedb-cycle-count").waitFor({ timeout: 60_000 });
    expect(Number(await text("filedb-cycle-count"))).toBe(db.length);
    await page.getByTestId("filedb-query").fill("type == 'cal'");
    await page.getByTestId("filedb-query-run").click();
    await expect.poll(() => text("filedb-cycle-count"), { timeout: 30_000 }).toBe(String(cal));

    await page.getByTestId("load-hit").fill("trapEmax > 5000");
    await page.getByTestId("load-evt").fill("multiplicity > 1");
    await page.getByTestId("load-columns").fill("trapEmax");
    await page.getByTestId("load-run").click();
    await page.getByTestId("load-rows").waitFor({ timeout: 60_000 });
    expect(Number(await text("load-rows"))).toBe(loaded.numRows);
    const cell = page.locator('[data-testid="load-table-cell"][data-row="0"][data-col="trapEmax"]');
    expect((await cell.textContent())?.trim()).toBe(String(loaded.getChild("trapEmax")!.get(0)));
    expect(await colouredPixels(page, page.getByTestId("load-histogram"))).toBeGreaterThan(20);
    await shot("filedb-loader");
  });

  test("strax DataDirectory: the run list, availability, superruns, chunk table and drawn waveforms", async () => {
    const dir = new DataDirectory(await openDirectorySource(join(SHARED, STRAX)));
    const runIds = await dir.listRunIds();
    const records = await dir.findData("0", "records");
    await open(views.shared, STRAX, { format: "strax" });
    await page.getByTestId("strax-runs").waitFor({ timeout: 60_000 });
    const shown = await page.locator('[data-testid="strax-runs-cell"][data-col="run"]').allTextContents();
    expect(shown.map((s) => s.trim()).sort()).toEqual([...runIds].sort());
    await page.getByTestId("strax-superruns").waitFor();
    await page.locator('[data-testid="strax-runs-cell"][data-col="run"]', { hasText: /^0$/ }).click();
    await page.getByTestId("strax-type-records").click();
    await page.getByTestId("strax-chunk-count").waitFor({ timeout: 60_000 });
    expect(Number(await text("strax-chunk-count"))).toBe(records!.metadata.chunks.length);
    expect(await colouredPixels(page, page.getByTestId("strax-waveforms"))).toBeGreaterThan(20);
    await shot("strax");
  });

  test("Bluesky runs: catalog, query, a run's stream length, the image drawn and its event slider", async () => {
    const names = readdirSync(join(SHARED, "docmodel")).filter((n) => n.endsWith(".msgpack"));
    const runs = names.map((n) => loadMsgpackRunBytes(new Uint8Array(readFileSync(join(SHARED, "docmodel", n))), n));
    const manifest = JSON.parse(readFileSync(join(SHARED, "docmodel/manifest.json"), "utf8")) as Record<string, { uid: string }>;
    const image = runs.find((r) => r.metadata.start.uid === manifest.image_2d!.uid)!;
    await open(views.shared, "docmodel", { format: "bluesky" });
    await page.getByTestId("bluesky-run-count").waitFor({ timeout: 60_000 });
    expect(Number(await text("bluesky-run-count"))).toBe(runs.length);
    await page.getByTestId("bluesky-query").fill('{"plan_name": "count"}');
    await page.getByTestId("bluesky-search").click();
    const counts = runs.filter((r) => r.metadata.start.plan_name === "count").length;
    await expect.poll(() => text("bluesky-run-count"), { timeout: 30_000 }).toBe(String(counts));
    await page.locator('[data-testid="bluesky-catalog-cell"][data-col="uid"]', { hasText: image.metadata.start.uid.slice(0, 8) }).click();
    await expect.poll(() => text("bluesky-run-uid"), { timeout: 30_000 }).toBe(image.metadata.start.uid);
    await page.getByTestId("bluesky-stream-length").waitFor({ timeout: 30_000 });
    expect(Number(await text("bluesky-stream-length"))).toBe(image.stream("primary").eventCount);
    await page.getByTestId("bluesky-image").waitFor({ timeout: 30_000 });
    expect(await colouredPixels(page, page.getByTestId("bluesky-image"))).toBeGreaterThan(20);
    const first = await text("bluesky-image-range");
    await page.getByTestId("bluesky-event-slider").fill("2");
    await expect.poll(() => text("bluesky-event-index")).toBe("3");
    await expect.poll(() => text("bluesky-image-range"), { timeout: 30_000 }).not.toBe(first);
    await shot("bluesky");
  });

  test("the picker path (setInputFiles) and a drop open files without the server's listing", async () => {
    const names = readdirSync(join(SHARED, "docmodel")).filter((n) => n.endsWith(".msgpack"));
    await page.goto(`${views.shared.origin}/`);
    await page.getByTestId("empty").waitFor({ timeout: 30_000 });
    await page.getByTestId("open-files").setInputFiles(names.map((n) => join(SHARED, "docmodel", n)));
    await page.getByTestId("entry-root").click();
    const tab = page.getByTestId("format-bluesky");
    if (await tab.count()) await tab.click();
    await page.getByTestId("bluesky-run-count").waitFor({ timeout: 60_000 });
    expect(Number(await text("bluesky-run-count"))).toBe(names.length);

    // a drop of one run (a synthetic DataTransfer with a File, as a drop from the desktop carries)
    await page.goto(`${views.shared.origin}/`);
    await page.getByTestId("empty").waitFor({ timeout: 30_000 });
    const bytes = readFileSync(join(SHARED, "docmodel", names[0]!)).toString("base64");
    await page.evaluate(
      ({ b64, name }) => {
        const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([data], name));
        window.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
      },
      { b64: bytes, name: names[0]! },
    );
    await page.getByTestId("bluesky-run-count").waitFor({ timeout: 60_000 });
    expect(Number(await text("bluesky-run-count"))).toBe(1);
  });

  test("bad input shows the coded error in the page", async () => {
    for (const [file, format] of [
      ["truncated.lh5", undefined],
      ["cut-short.msgpack", "bluesky"],
    ] as const) {
      await open(views.bad, file, { format });
      const code = page.getByTestId("error-code").first();
      await code.waitFor({ timeout: 60_000 });
      expect((await code.textContent())?.trim()).toMatch(/^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/);
      await shot(`error-${file}`);
    }
    expect(pageErrors).toEqual([]);
  });
});
