// gen2-bin in a browser vs Node (issue 13): decode of the 202 MB benchmark file (gen2_make.py
// --photons 25000000 --seconds 1, the file of decode.bench.mjs) in headless Chromium from a `File`
// (a real disk-backed File from an <input type=file>) vs Node from the path, in the same run,
// interleaved (Node, isolated page, plain page, Node, plain page, isolated page, …). All run the same
// reader, decodeGen2SourceArrays: Node through a file byte source (readGen2FileArrays); a
// cross-origin-isolated page (COOP/COEP) split across two Web Workers into SharedArrayBuffer columns
// (its default there); a plain page with the File's slices read in a Web Worker and decoded on the
// page (its default). GEN2_BENCH_PAGE_READS=1 adds the plain page's own Blob reads (readInWorker: false).
// Target: browser ≥ 0.8× Node. Run with `pnpm bench browser-decode` (or
// `node --expose-gc packages/gen2-bin/bench/browser-decode.bench.mjs` after a build).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
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

// The page: the built main entry (platform-neutral), bundled for the browser, and the split decode's
// module worker (`new URL("./web-split-worker.js", import.meta.url)` from the page's bundle: served beside it).
const bundleOf = async (contents) =>
  (
    await build({
      stdin: { contents, resolveDir: join(benchRoot, "packages/gen2-bin/bench"), loader: "js" }, // the build measured (DAQKIT_BENCH_ROOT)
      bundle: true,
      write: false,
      platform: "browser",
      format: "esm",
      logLevel: "silent",
    })
  ).outputFiles[0].text;
const pageScript = await bundleOf(`
      import { decodeGen2SourceArrays, gen2Checksum } from "../dist/index.js";
      let last;
      window.decodeFile = async (withChecksum, options = {}) => {
        last = undefined;
        const file = document.getElementById("file").files[0];
        const t0 = performance.now();
        last = await decodeGen2SourceArrays(file, options);
        const seconds = (performance.now() - t0) / 1000;
        const photons = last.stats.photons + last.stats.widePhotons;
        const checksum = withChecksum ? gen2Checksum(last.photons, last.wide) : null;
        const shared = typeof SharedArrayBuffer === "function" && last.photons.xy.buffer instanceof SharedArrayBuffer;
        const detail = withChecksum ? JSON.stringify({ stats: last.stats, lastHeader: last.lastHeader }) : null;
        last = undefined;
        return { seconds, photons, checksum, shared, detail };
      };
    `);
// (an entry point: `import "…"` of it would be dropped, the package being `sideEffects: false` but for it)
const workerEntry = join(benchRoot, "packages/gen2-bin/dist/web-split-worker.js");
const workerScript = existsSync(workerEntry)
  ? (await build({ entryPoints: [workerEntry], bundle: true, write: false, platform: "browser", format: "esm", logLevel: "silent" }))
      .outputFiles[0].text
  : null; // a build before the split decode: the isolated page decodes in one thread
let closeServer = () => {};
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--js-flags=--expose-gc"] });
try {
  // Two pages, decoding in turn: a plain one, and a cross-origin-isolated one (COOP/COEP, so
  // `SharedArrayBuffer` is available and the decode is split across Web Workers). Both are secure
  // contexts.
  const isolation = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };
  // A local server (127.0.0.1 is a secure context): /plain/… and /isolated/… (with COOP/COEP).
  const server = createServer((req, res) => {
    const [, kind, name] = (req.url ?? "").split("?")[0].split("/");
    const headers = kind === "isolated" ? { ...isolation } : {};
    if (process.env.GEN2_BENCH_CONSOLE === "1") console.log(`GET ${req.url}`);
    let body = null;
    if (name === "bench.js") body = pageScript;
    else if (name === "web-split-worker.js" && workerScript !== null) body = workerScript;
    else if (name === "index.html")
      body = '<!doctype html><meta charset=utf-8><input type=file id=file><script type=module src="bench.js"></script>';
    if (body === null) {
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, "content-type": name.endsWith(".js") ? "text/javascript" : "text/html" }).end(body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  closeServer = () => server.close();
  const origin = `http://127.0.0.1:${server.address().port}`;
  const openPage = async (kind) => {
    const page = await browser.newPage();
    page.on("crash", () => console.log(`${kind} page: crashed`));
    page.on("pageerror", (error) => console.log(`${kind} page: ${error}`));
    if (process.env.GEN2_BENCH_CONSOLE === "1") page.on("console", (m) => console.log(`${kind} page: console: ${m.text()}`));
    await page.goto(`${origin}/${kind}/index.html`);
    await page.waitForFunction(() => typeof window.decodeFile === "function");
    await page.setInputFiles("#file", file);
    return page;
  };
  const page = await openPage("plain");
  const isolatedPage = await openPage("isolated");
  const PAGE_READS = process.env.GEN2_BENCH_PAGE_READS === "1";

  const node = [];
  const chrome = [];
  const chromeIsolated = [];
  const chromePage = [];
  let nodeResult;
  let pageResult;
  let isolatedResult;
  // One untimed round each first (checksums, and both engines warmed the same way).
  {
    const r = await readGen2FileArrays(file);
    nodeResult = {
      photons: r.stats.photons + r.stats.widePhotons,
      checksum: gen2Checksum(r.photons, r.wide),
      detail: JSON.stringify({ stats: r.stats, lastHeader: r.lastHeader }),
    };
    pageResult = await page.evaluate(() => window.decodeFile(true));
    isolatedResult = await isolatedPage.evaluate(() => window.decodeFile(true));
    if (PAGE_READS) {
      const inPage = await page.evaluate(() => window.decodeFile(true, { readInWorker: false }));
      if (inPage.checksum !== pageResult.checksum || inPage.photons !== pageResult.photons) {
        console.log(`DIFFERENT RESULT: worker reads ${pageResult.checksum}, page reads ${inPage.checksum}`);
        pageResult = { ...pageResult, checksum: `${pageResult.checksum}≠${inPage.checksum}` };
      }
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
  const iMain = [];
  const iOther = [];
  // One decode in a page, with the renderers' CPU and faults around it.
  const timed = async (p, main, other, options) => {
    await p.evaluate(() => globalThis.gc?.());
    const r0 = rendererThreads();
    const seconds = (await p.evaluate((o) => window.decodeFile(false, o), options)).seconds;
    const r1 = rendererThreads();
    const m = { cpu: r1.main.cpu - r0.main.cpu, faults: r1.main.faults - r0.main.faults };
    main.push(m);
    other.push({ cpu: r1.process.cpu - r0.process.cpu - m.cpu, faults: r1.process.faults - r0.process.faults - m.faults });
    return seconds;
  };
  for (let rep = 0; rep < REPS; rep++) {
    globalThis.gc?.();
    const t0 = performance.now();
    await readGen2FileArrays(file); // the result is dropped at once, as in the page
    node.push((performance.now() - t0) / 1000);
    globalThis.gc?.();
    // alternate which page goes first after Node
    if (rep % 2 === 0) {
      chromeIsolated.push(await timed(isolatedPage, iMain, iOther, {}));
      chrome.push(await timed(page, rMain, rOther, {}));
    } else {
      chrome.push(await timed(page, rMain, rOther, {}));
      chromeIsolated.push(await timed(isolatedPage, iMain, iOther, {}));
    }
    if (PAGE_READS) {
      await page.evaluate(() => globalThis.gc?.());
      chromePage.push((await page.evaluate(() => window.decodeFile(false, { readInWorker: false }))).seconds);
    }
  }
  const sorted = (a) => [...a].sort((x, y) => x - y);
  const best = (a) => sorted(a)[0];
  const median = (a) => sorted(a)[Math.floor(a.length / 2)];
  const same = nodeResult.photons === pageResult.photons && nodeResult.checksum === pageResult.checksum;
  const sameIsolated =
    nodeResult.photons === isolatedResult.photons &&
    nodeResult.checksum === isolatedResult.checksum &&
    nodeResult.detail === isolatedResult.detail &&
    pageResult.detail === isolatedResult.detail;
  console.log(`file              ${file} (${mb.toFixed(1)} MB, ${nodeResult.photons} photons), ${REPS} interleaved rounds`);
  console.log(
    `Chromium ${browser.version().padEnd(15)} ${(await page.evaluate(() => navigator.userAgent)).includes("Headless") ? "headless" : ""}, plain page crossOriginIsolated ${await page.evaluate(() => globalThis.crossOriginIsolated === true)}, isolated page ${await isolatedPage.evaluate(() => globalThis.crossOriginIsolated === true)} (split into SharedArrayBuffer columns: ${isolatedResult.shared ? "yes" : "NO"})`,
  );
  const line = (label, a, extra = "") =>
    console.log(
      `${label.padEnd(18)} best ${best(a).toFixed(4)} s  ${(mb / best(a)).toFixed(1)} MB/s   median ${median(a).toFixed(4)} s   [${a.map((s) => s.toFixed(3)).join(", ")}]${extra}`,
    );
  line("node, path", node);
  line("chromium, isolated", chromeIsolated, "   (cross-origin isolated: split on 2 Web Workers)");
  line("chromium, plain", chrome, "   (reading worker, decode on the page)");
  if (PAGE_READS) {
    line("chromium, page", chromePage, "   (plain, readInWorker: false)");
    console.log(
      `ratio page-reads/Node speed: best ${(best(node) / best(chromePage)).toFixed(2)}×, median ${(median(node) / median(chromePage)).toFixed(2)}×`,
    );
  }
  const perRound = (a) => {
    const ratios = node.map((n, i) => n / a[i]);
    return `${ratios.map((r) => r.toFixed(2)).join(", ")} (range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×)`;
  };
  console.log(
    `ratio isolated page/Node speed: best ${(best(node) / best(chromeIsolated)).toFixed(2)}×, median ${(median(node) / median(chromeIsolated)).toFixed(2)}× (target ≥ 0.80×)   same result ${sameIsolated ? "yes (photons, checksum, stats, last header)" : `NO (${isolatedResult.checksum} ${isolatedResult.detail} vs ${nodeResult.checksum} ${nodeResult.detail})`}`,
  );
  console.log(`  per round: ${perRound(chromeIsolated)}`);
  console.log(
    `ratio plain page/Node speed: best ${(best(node) / best(chrome)).toFixed(2)}×, median ${(median(node) / median(chrome)).toFixed(2)}× (target ≥ 0.80×)   same result ${same ? "yes" : `NO (${pageResult.checksum} vs ${nodeResult.checksum})`}`,
  );
  console.log(`  per round: ${perRound(chrome)}`);
  const show = (a) => a.map((r) => `${r.cpu} ms/${(r.faults / 1000).toFixed(0)}k`).join(", ");
  const sum = (a, b) => a.map((r, i) => r.cpu + b[i].cpu);
  if (rMain.some((r) => r.cpu > 0)) {
    console.log(`renderer CPU/faults per decode, main thread | the rest of the renderer (workers; their ended threads included):`);
    console.log(`  isolated: [${show(iMain)}] | [${show(iOther)}]; total CPU median ${median(sum(iMain, iOther))} ms`);
    console.log(`  plain:    [${show(rMain)}] | [${show(rOther)}]; total CPU median ${median(sum(rMain, rOther))} ms`);
  }
  const bench = (workload, metric, value, better) => console.log(`@@bench ${JSON.stringify({ workload, metric, value, better })}`);
  bench("gen2-bin.browser-decode-node", "MB/s", Number((mb / median(node)).toFixed(1)), "higher");
  bench("gen2-bin.browser-decode-chromium", "MB/s", Number((mb / median(chrome)).toFixed(1)), "higher");
  bench("gen2-bin.browser-decode-chromium-isolated", "MB/s", Number((mb / median(chromeIsolated)).toFixed(1)), "higher");
  if (PAGE_READS) bench("gen2-bin.browser-decode-chromium-page-reads", "MB/s", Number((mb / median(chromePage)).toFixed(1)), "higher");
  bench("gen2-bin.browser-decode-vs-node", "ratio", Number((median(node) / median(chrome)).toFixed(3)), "higher");
  bench("gen2-bin.browser-decode-isolated-vs-node", "ratio", Number((median(node) / median(chromeIsolated)).toFixed(3)), "higher");
  if (!same || !sameIsolated) process.exitCode = 1;
  if (!same) process.exitCode = 1;
} finally {
  await browser.close();
  closeServer();
}
