// gen2-bin in a browser vs Node (issue 13): decode of the 202 MB benchmark file (gen2_make.py
// --photons 25000000 --seconds 1, the file of decode.bench.mjs) in headless Chromium from a `File`
// (a real disk-backed File from an <input type=file>) vs Node from the path, in the same run,
// interleaved (Node, browser, browser with page reads, Node, …). All run the same reader,
// decodeGen2SourceArrays: Node through a file byte source (readGen2FileArrays), the page with the
// File's slices read in a Web Worker (the default) and, for comparison, with the page's own Blob
// reads (readInWorker: false).
// Target: browser ≥ 0.8× Node. Run with `pnpm bench browser-decode` (or
// `node --expose-gc packages/gen2-bin/bench/browser-decode.bench.mjs` after a build).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { gen2Checksum, readGen2FileArrays } from "../dist/node.js";
import { benchRoot } from "../../../bench/lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const shared = join(here, "../../../../shared");
const root = join(here, "../../..");
const data = join(process.env.DAQKIT_BENCH_DATA ?? join(root, "bench/.data"), "gen2-bin");
const PHOTONS = Number(process.env.GEN2_BENCH_PHOTONS ?? 25_000_000);
const REPS = Number(process.env.GEN2_BENCH_REPS ?? 5);
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
mkdirSync(data, { recursive: true });

if (!existsSync(CHROMIUM)) {
  console.log(`browser-decode: ${CHROMIUM} is missing (apt-get install -y chromium); skipped`);
  process.exit(process.env.CI === "true" ? 1 : 0);
}

const oneDir = join(data, `one-${PHOTONS}`);
if (!existsSync(join(oneDir, "manifest.json"))) {
  console.log(`generating ${PHOTONS} photons in one second with gen2_make.py (once) …`);
  execFileSync("python3", [join(shared, "tools/gen2_make.py"), oneDir, "--photons", String(PHOTONS), "--seconds", "1", "--quiet"], {
    stdio: "inherit",
  });
}
const file = join(
  oneDir,
  readdirSync(oneDir)
    .filter((n) => n.endsWith(".bin"))
    .sort()[0],
);
const mb = statSync(file).size / 1e6;

// The page: the built main entry (platform-neutral), bundled for the browser.
const bundle = await build({
  stdin: {
    contents: `
      import { decodeGen2SourceArrays, gen2Checksum } from "../dist/index.js";
      let last;
      window.decodeFile = async (withChecksum, readInWorker = true) => {
        last = undefined;
        const file = document.getElementById("file").files[0];
        const t0 = performance.now();
        last = await decodeGen2SourceArrays(file, { readInWorker });
        const seconds = (performance.now() - t0) / 1000;
        const photons = last.stats.photons + last.stats.widePhotons;
        const checksum = withChecksum ? gen2Checksum(last.photons, last.wide) : null;
        last = undefined;
        return { seconds, photons, checksum };
      };
    `,
    resolveDir: join(benchRoot, "packages/gen2-bin/bench"), // the build measured (DAQKIT_BENCH_ROOT)
    loader: "js",
  },
  bundle: true,
  write: false,
  platform: "browser",
  format: "esm",
  logLevel: "silent",
});
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--js-flags=--expose-gc"] });
try {
  const page = await browser.newPage();
  const origin = "http://gen2-bench.localhost"; // a secure context (needed for cross-origin isolation), served by the route below
  // GEN2_BENCH_ISOLATED=1: a cross-origin-isolated page (COOP/COEP; `SharedArrayBuffer` available).
  const headers =
    process.env.GEN2_BENCH_ISOLATED === "1"
      ? { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" }
      : {};
  await page.route(`${origin}/**`, (route) => {
    const url = route.request().url();
    if (url.endsWith("/bench.js")) return route.fulfill({ contentType: "text/javascript", headers, body: bundle.outputFiles[0].text });
    return route.fulfill({
      contentType: "text/html",
      headers,
      body: '<!doctype html><meta charset=utf-8><input type=file id=file><script type=module src="/bench.js"></script>',
    });
  });
  await page.goto(`${origin}/index.html`);
  await page.waitForFunction(() => typeof window.decodeFile === "function");
  await page.setInputFiles("#file", file);

  const node = [];
  const chrome = [];
  const chromePage = [];
  let nodeResult;
  let pageResult;
  // One untimed round each first (checksums, and both engines warmed the same way).
  {
    const r = await readGen2FileArrays(file);
    nodeResult = { photons: r.stats.photons + r.stats.widePhotons, checksum: gen2Checksum(r.photons, r.wide) };
    pageResult = await page.evaluate(() => window.decodeFile(true));
    const inPage = await page.evaluate(() => window.decodeFile(true, false));
    if (inPage.checksum !== pageResult.checksum || inPage.photons !== pageResult.photons) {
      console.log(`DIFFERENT RESULT: worker reads ${pageResult.checksum}, page reads ${inPage.checksum}`);
      pageResult = { ...pageResult, checksum: `${pageResult.checksum}≠${inPage.checksum}` };
    }
  }
  // CPU time and minor page faults of the renderer (Linux /proc): its main thread (which decodes) and
  // the rest of the process (the reading worker, whose thread ends with each decode), per decode in the worker mode.
  const rendererThreads = () => {
    const out = { main: { cpu: 0, faults: 0 }, process: { cpu: 0, faults: 0 } };
    try {
      const kids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
      for (const pid of kids) {
        let cmd = "";
        let stat = "";
        try {
          cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
          stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        } catch {
          continue;
        }
        if (!cmd.includes("--type=renderer")) continue;
        // a renderer of our browser: its parent chain (zygotes, the browser) reaches this process
        let p = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        let mine = false;
        for (let hops = 0; hops < 6 && p > 1; hops++) {
          if (p === process.pid) mine = true;
          try {
            const ps = readFileSync(`/proc/${p}/stat`, "utf8");
            p = Number(ps.slice(ps.lastIndexOf(")") + 2).split(" ")[1]);
          } catch {
            break;
          }
        }
        if (!mine) continue;
        // the process's own counters include threads that have ended (the reading worker's, ended per decode)
        const pf = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        out.process.cpu += (Number(pf[11]) + Number(pf[12])) * 10;
        out.process.faults += Number(pf[7]);
        for (const tid of readdirSync(`/proc/${pid}/task`)) {
          try {
            const t = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
            const f = t.slice(t.lastIndexOf(")") + 2).split(" ");
            if (tid !== pid) continue; // the main thread (CrRendererMain) has the process's id
            const slot = out.main;
            slot.cpu += (Number(f[11]) + Number(f[12])) * 10; // ms (USER_HZ 100)
            slot.faults += Number(f[7]);
          } catch {}
        }
      }
    } catch {}
    return out;
  };
  const rMain = [];
  const rOther = [];
  for (let rep = 0; rep < REPS; rep++) {
    globalThis.gc?.();
    const t0 = performance.now();
    await readGen2FileArrays(file); // the result is dropped at once, as in the page
    node.push((performance.now() - t0) / 1000);
    globalThis.gc?.();
    await page.evaluate(() => globalThis.gc?.());
    const r0 = rendererThreads();
    chrome.push((await page.evaluate(() => window.decodeFile(false))).seconds);
    const r1 = rendererThreads();
    const main = { cpu: r1.main.cpu - r0.main.cpu, faults: r1.main.faults - r0.main.faults };
    rMain.push(main);
    rOther.push({ cpu: r1.process.cpu - r0.process.cpu - main.cpu, faults: r1.process.faults - r0.process.faults - main.faults });
    await page.evaluate(() => globalThis.gc?.());
    chromePage.push((await page.evaluate(() => window.decodeFile(false, false))).seconds);
  }
  const sorted = (a) => [...a].sort((x, y) => x - y);
  const best = (a) => sorted(a)[0];
  const median = (a) => sorted(a)[Math.floor(a.length / 2)];
  const same = nodeResult.photons === pageResult.photons && nodeResult.checksum === pageResult.checksum;
  console.log(`file              ${file} (${mb.toFixed(1)} MB, ${nodeResult.photons} photons), ${REPS} interleaved rounds`);
  console.log(
    `Chromium ${browser.version().padEnd(15)} ${(await page.evaluate(() => navigator.userAgent)).includes("Headless") ? "headless" : ""}, crossOriginIsolated ${await page.evaluate(() => globalThis.crossOriginIsolated === true)}`,
  );
  console.log(
    `node, path       best ${best(node).toFixed(4)} s  ${(mb / best(node)).toFixed(1)} MB/s   median ${median(node).toFixed(4)} s   [${node.map((s) => s.toFixed(3)).join(", ")}]`,
  );
  console.log(
    `chromium, worker best ${best(chrome).toFixed(4)} s  ${(mb / best(chrome)).toFixed(1)} MB/s   median ${median(chrome).toFixed(4)} s   [${chrome.map((s) => s.toFixed(3)).join(", ")}]`,
  );
  console.log(
    `chromium, page   best ${best(chromePage).toFixed(4)} s  ${(mb / best(chromePage)).toFixed(1)} MB/s   median ${median(chromePage).toFixed(4)} s   [${chromePage.map((s) => s.toFixed(3)).join(", ")}]   (readInWorker: false)`,
  );
  console.log(
    `ratio page-reads/Node speed: best ${(best(node) / best(chromePage)).toFixed(2)}×, median ${(median(node) / median(chromePage)).toFixed(2)}×`,
  );
  console.log(
    `ratio browser/Node speed: best ${(best(node) / best(chrome)).toFixed(2)}×, median ${(median(node) / median(chrome)).toFixed(2)}× (target ≥ 0.80×)   same result ${same ? "yes" : `NO (${pageResult.checksum} vs ${nodeResult.checksum})`}`,
  );
  if (rMain.some((r) => r.cpu > 0)) {
    const show = (a) => a.map((r) => `${r.cpu} ms/${(r.faults / 1000).toFixed(0)}k`).join(", ");
    console.log(
      `chromium, worker: renderer main thread (decodes) CPU/faults per decode [${show(rMain)}]; other renderer threads [${show(rOther)}]`,
    );
  }
  const ratios = node.map((n, i) => n / chrome[i]);
  console.log(
    `ratio browser/Node speed per round: ${ratios.map((r) => r.toFixed(2)).join(", ")} (range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×)`,
  );
  const bench = (workload, metric, value, better) => console.log(`@@bench ${JSON.stringify({ workload, metric, value, better })}`);
  bench("gen2-bin.browser-decode-node", "MB/s", Number((mb / median(node)).toFixed(1)), "higher");
  bench("gen2-bin.browser-decode-chromium", "MB/s", Number((mb / median(chrome)).toFixed(1)), "higher");
  bench("gen2-bin.browser-decode-chromium-page-reads", "MB/s", Number((mb / median(chromePage)).toFixed(1)), "higher");
  bench("gen2-bin.browser-decode-vs-node", "ratio", Number((median(node) / median(chrome)).toFixed(3)), "higher");
  if (!same) process.exitCode = 1;
} finally {
  await browser.close();
}
