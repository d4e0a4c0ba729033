#!/usr/bin/env node
// The README's screenshots (docs/img/view-*.png): `daqkit view` (the built CLI) over ../shared/testdata
// and a generated gen2 night, each format opened in headless Chromium, one PNG per format.
// Run after `pnpm build`: `node scripts/view-screenshots.mjs [OUT_DIR]` (default docs/img).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const shared = join(root, "../shared/testdata");
const out = process.argv[2] ?? join(root, "docs/img");
mkdirSync(out, { recursive: true });

async function view(path) {
  const child = spawn(process.execPath, [join(root, "apps/cli/dist/index.js"), "--json", "view", path, "--no-open"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise((resolve, reject) => {
    let text = "";
    child.stdout.on("data", (b) => {
      text += b;
      try {
        resolve(JSON.parse(text).url);
      } catch {
        // not complete yet
      }
    });
    child.on("exit", (code) => reject(new Error(`daqkit view exited ${code}`)));
  });
  return { url, stop: () => child.kill("SIGINT") };
}

const tmp = mkdtempSync(join(tmpdir(), "daqkit-shots-"));
const night = join(tmp, "night");
execFileSync("/usr/bin/python3", [join(shared, "../tools/gen2_make.py"), night, "--photons", "200000", "--seconds", "4", "--quiet"]);
const servers = { shared: await view(shared), night: await view(night) };
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--enable-unsafe-swiftshader", "--use-angle=swiftshader"],
});
const page = await browser.newPage({ viewport: { width: 1200, height: 820 } });

async function open(server, rel, format) {
  const url = new URL(server.url);
  url.searchParams.set("path", rel);
  await page.goto(url.href);
  await page.getByTestId("entries").waitFor();
  const tab = page.getByTestId(`format-${format}`);
  if (await tab.count()) await tab.click();
}
async function settle() {
  await page.waitForFunction(() => !document.querySelector('[data-testid="job-running"]'), null, { timeout: 120_000 });
  await page.waitForTimeout(1500);
}
const shoot = (name) => page.screenshot({ path: join(out, `view-${name}.png`) });

try {
  await open(servers.night, "", "gen2");
  await page.getByTestId("gen2-image").waitFor({ timeout: 120_000 });
  await settle();
  await page.getByTestId("gen2-image").scrollIntoViewIfNeeded();
  await shoot("gen2");

  await open(servers.shared, "lh5/prod-ref-l200/generated/tier/raw/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_raw.lh5", "lh5");
  await page.locator('[data-testid="lh5-node"][data-path="ch1084803/raw"]').click({ timeout: 60_000 });
  await page.getByTestId("lh5-column-select").selectOption("daqenergy");
  await page.getByTestId("lh5-histogram").waitFor({ timeout: 60_000 });
  await settle();
  await shoot("lh5");

  await open(servers.shared, "rawhdf5/raw_v0_0_two_iogroups.h5", "larpix");
  await page.getByTestId("larpix-occupancy").waitFor({ timeout: 60_000 });
  await settle();
  await page.getByTestId("larpix-occupancy").scrollIntoViewIfNeeded();
  await shoot("larpix");

  await open(servers.shared, "lh5", "filedb");
  await page.getByTestId("filedb-loader-config").selectOption("configs/variants/data-loader-config-evt_synthetic.json");
  await page.getByTestId("filedb-cycle-count").waitFor({ timeout: 60_000 });
  await page.getByTestId("load-hit").fill("trapEmax > 1000");
  await page.getByTestId("load-columns").fill("trapEmax, multiplicity");
  await page.getByTestId("load-run").click();
  await page.getByTestId("load-histogram").waitFor({ timeout: 60_000 });
  await settle();
  await page.getByTestId("load-histogram").scrollIntoViewIfNeeded();
  await shoot("filedb");

  await open(servers.shared, "strax/v2/main", "strax");
  await page.getByTestId("strax-waveforms").waitFor({ timeout: 60_000 });
  await settle();
  await shoot("strax");

  await open(servers.shared, "docmodel", "bluesky");
  await page.locator('[data-testid="bluesky-catalog-cell"][data-col="uid"]', { hasText: "530894b3" }).click({ timeout: 60_000 });
  await page.getByTestId("bluesky-image").waitFor({ timeout: 60_000 });
  await settle();
  await page.getByTestId("bluesky-lines").scrollIntoViewIfNeeded();
  await shoot("bluesky");
} finally {
  await browser.close();
  for (const s of Object.values(servers)) s.stop();
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`screenshots in ${out}`);
