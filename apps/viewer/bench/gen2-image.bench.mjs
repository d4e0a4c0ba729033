// The viewer's gen2 count image (issue 16): the 202 MB benchmark file (gen2_make.py --photons
// 25000000 --seconds 1, the file of packages/gen2-bin/bench/decode.bench.mjs) opened in the built
// viewer (apps/viewer/dist) in headless Chromium through the folder picker, timed from
// setInputFiles until the count image's canvas is on the page, vs the Node API decoding and binning
// the same file (binGen2Directory, one pass) in the same run, interleaved (Node, page, Node, page …).
// Also the longest main-thread task while the page works (PerformanceObserver "longtask").
// Targets (issue 16): page ≤ 1.5× Node; no main-thread task over 200 ms.
// Run: `pnpm bench gen2-image` (or `node apps/viewer/bench/gen2-image.bench.mjs` after `pnpm build`).
import { execFileSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { binGen2Directory } from "../../../packages/gen2-bin/dist/index.js";
import { openDirectorySource } from "../../../packages/io/dist/node.js";

const here = dirname(fileURLToPath(import.meta.url));
const shared = join(here, "../../../../shared");
const root = join(here, "../../..");
const dist = join(here, "../dist");
const data = join(process.env.DAQKIT_BENCH_DATA ?? join(root, "bench/.data"), "gen2-bin");
const PHOTONS = Number(process.env.GEN2_BENCH_PHOTONS ?? 25_000_000);
const REPS = Number(process.env.VIEWER_BENCH_REPS ?? 3);
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

if (!existsSync(CHROMIUM)) {
  console.log(`gen2-image: ${CHROMIUM} is missing (apt-get install -y chromium); skipped`);
  process.exit(process.env.CI === "true" ? 1 : 0);
}
if (!existsSync(join(dist, "index.html"))) {
  console.log(`gen2-image: ${dist}/index.html is missing: run pnpm build first`);
  process.exit(1);
}
mkdirSync(data, { recursive: true });
const night = join(data, `one-${PHOTONS}`);
if (!existsSync(join(night, "manifest.json"))) {
  console.log(`generating ${PHOTONS} photons in one second with gen2_make.py (once) …`);
  execFileSync("python3", [join(shared, "tools/gen2_make.py"), night, "--photons", String(PHOTONS), "--seconds", "1", "--quiet"], {
    stdio: "inherit",
  });
}
const mb = readdirSync(night)
  .filter((n) => n.endsWith(".bin"))
  .reduce((s, n) => s + statSync(join(night, n)).size / 1e6, 0);

// The built viewer from a local static server.
const TYPES = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".json": "application/json",
};
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
  const file = normalize(join(dist, path === "/" ? "index.html" : path));
  if (!file.startsWith(dist) || !existsSync(file) || !statSync(file).isFile()) return res.writeHead(404).end();
  res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
  createReadStream(file).pipe(res);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

async function nodeRun() {
  const t0 = performance.now();
  const r = await binGen2Directory(await openDirectorySource(night), { lightCurveBinUs: 1000 });
  return { seconds: (performance.now() - t0) / 1000, photons: r.photons };
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--no-sandbox", "--enable-unsafe-swiftshader", "--use-angle=swiftshader"],
});
async function pageRun() {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  try {
    await page.addInitScript(() => {
      window.__tasks = [];
      window.__from = Number.POSITIVE_INFINITY;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__tasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: "longtask", buffered: true });
    });
    await page.goto(`${origin}/index.html`);
    await page.getByTestId("empty").waitFor();
    // count only tasks that start once the page is loaded and idle (observer entries arrive late)
    await page.waitForTimeout(500);
    await page.evaluate(() => {
      window.__from = performance.now();
    });
    const t0 = performance.now();
    await page.getByTestId("open-folder").setInputFiles(night);
    await page.getByTestId("gen2-image").locator("canvas").first().waitFor({ timeout: 300_000 });
    const seconds = (performance.now() - t0) / 1000;
    const photons = Number(await page.getByTestId("gen2-photon-count").textContent());
    await page.waitForTimeout(500); // the first frames of the plots
    const tasks = await page.evaluate(() =>
      window.__tasks.filter((t) => t.start >= window.__from).map((t) => ({ at: t.start - window.__from, ms: t.duration })),
    );
    if (process.env.VIEWER_BENCH_TASKS)
      console.log(
        `  long tasks (ms after setInputFiles: duration): ${tasks.map((t) => `${t.at.toFixed(0)}: ${t.ms.toFixed(0)}`).join(", ")}`,
      );
    const longestMs = Math.max(0, ...tasks.map((t) => t.ms));
    return { seconds, photons, longestMs };
  } finally {
    await page.close();
  }
}

const nodeTimes = [];
const pageTimes = [];
const ratios = [];
const longest = [];
try {
  for (let i = 0; i < REPS; i++) {
    const n = await nodeRun();
    const p = await pageRun();
    if (p.photons !== n.photons) throw new Error(`the page shows ${p.photons} photons, Node binned ${n.photons}`);
    nodeTimes.push(n.seconds);
    pageTimes.push(p.seconds);
    ratios.push(p.seconds / n.seconds);
    longest.push(p.longestMs);
    console.log(
      `run ${i + 1}: Node decode+bin ${n.seconds.toFixed(2)} s, page count image ${p.seconds.toFixed(2)} s (${(p.seconds / n.seconds).toFixed(2)}×), longest main-thread task ${p.longestMs.toFixed(0)} ms, ${n.photons} photons`,
    );
  }
} finally {
  await browser.close();
  server.close();
}
const range = (xs, d = 2) => `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`file            ${night} (${mb.toFixed(1)} MB)`);
console.log(`Node            ${range(nodeTimes)} s (decode + bin)`);
console.log(`page            ${range(pageTimes)} s (setInputFiles → count image on the page)`);
console.log(`page / Node     ${range(ratios)}× (target ≤ 1.5×)`);
console.log(`longest task    ${range(longest, 0)} ms (target < 200 ms)`);
console.log(
  `@@bench ${JSON.stringify({ workload: "viewer.gen2-image-ratio", metric: "page/Node", value: median(ratios), better: "lower" })}`,
);
console.log(`@@bench ${JSON.stringify({ workload: "viewer.gen2-image", metric: "s", value: median(pageTimes), better: "lower" })}`);
console.log(
  `@@bench ${JSON.stringify({ workload: "viewer.gen2-image-longest-task", metric: "ms", value: Math.max(...longest), better: "lower" })}`,
);
