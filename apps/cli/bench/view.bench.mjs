// `daqkit view` in headless Chromium (issue 16), interleaved with the Node API in the same run:
//
// 1. gen2: the count image of the 202 MB benchmark file (gen2_make.py --photons 25000000 --seconds 1,
//    the file of packages/gen2-bin/bench) appears in the page — from navigating to the served folder
//    until the `gen2-image` plot's WebGL canvas has drawn (its first draw call) and the second frame
//    after it begins, timed in the page — vs the Node API decoding and binning the same file
//    (binGen2Directory over a local directory source). Target: page ≤ 1.5 × Node. The longest
//    main-thread task while the page works (PerformanceObserver "longtask") must stay under 200 ms;
//    the longest task setting up the other three plots after the image is reported apart.
// 2. LH5: a 500 MB LH5 table (5 float64 columns, chunked) is opened in the page, a table page shown
//    and one column's histogram drawn; the bytes the server sent for the file are counted and
//    compared with that column's stored bytes: the histogram must read only that column's chunks
//    (plus the first table page and HDF5 metadata), not the file.
//
// Run with `pnpm bench view` (after a build). Sizes: VIEW_BENCH_PHOTONS (default 25 000 000),
// VIEW_BENCH_LH5_ROWS (default 12 500 000 rows × 5 columns × 8 bytes = 500 MB), VIEW_BENCH_REPS (3);
// VIEW_BENCH_VIEWER_DIR serves another build of the viewer (a copy of an apps/viewer/dist);
// VIEW_BENCH_FRESH_BROWSER=1 loads each gen2 page in a new browser (the first WebGL context's cost each time).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { binGen2Directory } from "../../../packages/gen2-bin/dist/index.js";
import { openDirectorySource } from "../../../packages/io/dist/node.js";
import { startViewServer } from "../dist/view-server.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../../..");
const shared = join(root, "../shared");
const data = join(process.env.DAQKIT_BENCH_DATA ?? join(root, "bench/.data"), "view");
const PHOTONS = Number(process.env.VIEW_BENCH_PHOTONS ?? 25_000_000);
const LH5_ROWS = Number(process.env.VIEW_BENCH_LH5_ROWS ?? 12_500_000);
const REPS = Number(process.env.VIEW_BENCH_REPS ?? 3);
const ONLY = process.env.VIEW_BENCH_ONLY ?? ""; // "gen2" or "lh5": only that part
const FRESH_BROWSER = process.env.VIEW_BENCH_FRESH_BROWSER === "1"; // gen2: a new browser per page load
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const PYTHON = "/usr/bin/python3";
// another build of the viewer to serve (A/B runs against the same server and data), default this CLI's
const viewerDir = process.env.VIEW_BENCH_VIEWER_DIR ?? join(here, "../dist/viewer");
mkdirSync(data, { recursive: true });

if (!existsSync(CHROMIUM)) {
  console.log(`view: ${CHROMIUM} is missing (apt-get install -y chromium); skipped`);
  process.exit(process.env.CI === "true" ? 1 : 0);
}
if (!existsSync(join(viewerDir, "index.html"))) {
  console.log(`view: ${viewerDir}/index.html is missing: run pnpm build first`);
  process.exit(1);
}

const bench = (workload, metric, value, better) => console.log(`@@bench ${JSON.stringify({ workload, metric, value, better })}`);
const range = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---- inputs (generated once, reused) ----
const nightDir = join(data, `gen2-${PHOTONS}`);
if (!existsSync(join(nightDir, "manifest.json"))) {
  console.log(`generating ${PHOTONS} photons in one second with gen2_make.py (once) …`);
  execFileSync(PYTHON, [join(shared, "tools/gen2_make.py"), nightDir, "--photons", String(PHOTONS), "--seconds", "1", "--quiet"], {
    stdio: "inherit",
  });
}
const binFile = readdirSync(nightDir).find((n) => n.endsWith(".bin"));
const gen2Mb = statSync(join(nightDir, binFile)).size / 1e6;

const WANT_LH5 = ONLY !== "gen2";
const lh5Dir = join(data, `lh5-${LH5_ROWS}`);
const lh5File = join(lh5Dir, "big.lh5");
if (WANT_LH5 && !existsSync(lh5File)) {
  console.log(`generating an LH5 table of ${LH5_ROWS} rows × 5 float64 columns with h5py (once) …`);
  mkdirSync(lh5Dir, { recursive: true });
  const script = `
import sys, h5py, numpy as np
rows = int(sys.argv[2]); names = ["a", "b", "c", "d", "e"]
rng = np.random.default_rng(16)
with h5py.File(sys.argv[1] + ".tmp", "w") as f:
    g = f.create_group("tbl")
    g.attrs["datatype"] = "table{" + ",".join(names) + "}"
    step = 1_000_000
    for i, n in enumerate(names):
        d = g.create_dataset(n, shape=(rows,), dtype="<f8", chunks=(65536,), maxshape=(None,))
        d.attrs["datatype"] = "array<1>{real}"
        for s in range(0, rows, step):
            k = min(step, rows - s)
            d[s:s + k] = rng.normal(1000.0 * (i + 1), 50.0 * (i + 1), k)
import os; os.replace(sys.argv[1] + ".tmp", sys.argv[1])
`;
  execFileSync(PYTHON, ["-c", script, lh5File, String(LH5_ROWS)], { stdio: "inherit" });
}
const lh5Bytes = WANT_LH5 ? statSync(lh5File).size : 0;
const columnInfo = WANT_LH5
  ? JSON.parse(
      execFileSync(
        PYTHON,
        [
          "-c",
          `
import sys, json, h5py
with h5py.File(sys.argv[1], "r") as f:
    out = {}
    for n in f["tbl"]:
        d = f["tbl"][n]
        extents = []
        for i in range(d.id.get_num_chunks()):
            c = d.id.get_chunk_info(i)
            extents.append([c.byte_offset, c.byte_offset + c.size])
        out[n] = {"stored": d.id.get_storage_size(), "chunk": d.chunks[0] * 8, "extents": extents}
print(json.dumps(out))
`,
          lh5File,
        ],
        { encoding: "utf8" },
      ),
    )
  : {};

// ---- CPU time (the machine is shared: CPU seconds are steadier than wall seconds) ----
/** CPU seconds used so far by this process. */
const ownCpu = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};
/**
 * CPU seconds used so far by this process's descendants (the Chromium processes), from /proc (Linux;
 * null elsewhere). Processes that ended in between are not counted.
 */
function childrenCpu() {
  if (!existsSync("/proc/self/stat")) return null;
  const parent = new Map();
  const ticks = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(name), Number(f[1]));
      ticks.set(Number(name), Number(f[11]) + Number(f[12]));
    } catch {
      // gone meanwhile
    }
  }
  let sum = 0;
  for (const [pid, t] of ticks) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === process.pid) {
        sum += t;
        break;
      }
    }
  }
  return sum / 100; // USER_HZ
}

/**
 * CPU ticks of every thread of this process and its descendants, from /proc (Linux; null elsewhere):
 * key `pid/tid` → { process kind, thread name, ticks }. The kind is "node" for this process (the
 * `daqkit view` server and Playwright's client share it) and Chromium's `--type` otherwise ("browser"
 * without one, "network" for the network service's utility process, "renderer", "gpu-process", …).
 */
function threadTicks() {
  if (!existsSync("/proc/self/stat")) return null;
  const parent = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out = new Map();
  for (const pid of parent.keys()) {
    let mine = pid === process.pid;
    for (let p = parent.get(pid); !mine && p !== undefined && p > 1; p = parent.get(p)) mine = p === process.pid;
    if (!mine) continue;
    let kind = "node";
    try {
      if (pid !== process.pid) {
        // (Chromium rewrites its children's argv into one string with spaces)
        const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split(/[\0 ]/);
        const type = args.find((a) => a.startsWith("--type="))?.slice(7);
        const sub = args.find((a) => a.startsWith("--utility-sub-type="))?.slice(19) ?? "";
        kind = type === undefined ? "browser" : type === "utility" ? (sub.includes("NetworkService") ? "network" : `utility ${sub}`) : type;
      }
      // a process's Web Workers numbered in the order their threads started (lower thread ids first): in the
      // page, worker 1 is the viewer's decoding worker and worker 2 its fetch helper
      let workers = 0;
      for (const tid of readdirSync(`/proc/${pid}/task`).sort((a, b) => Number(a) - Number(b))) {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
        const name = stat
          .slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))
          .replace(/[\d/]+$/, "")
          .trim();
        const thread = tid === String(pid) ? `${name} (main)` : name === "DedicatedWorker" ? `${name} ${++workers}` : name;
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        out.set(`${pid}/${tid}`, { kind, thread, ticks: Number(f[11]) + Number(f[12]) });
      }
      // the whole process, read after its threads: it also counts threads that have ended (e.g. the
      // viewer's fetch helper, closed when its file is read), which no thread entry shows any more
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(`${pid}/process`, { kind, thread: null, ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * The CPU seconds between two {@link threadTicks} snapshots, per process kind and per kind + thread
 * name (threads and processes that started count from zero). What threads that ended in between used
 * is the process's own count less its live threads': it shows as the thread "(threads that ended)".
 * Processes that ended in between are not counted.
 */
function cpuSplit(before, after) {
  if (!before || !after) return null;
  const byKind = new Map();
  const byThread = new Map();
  const add = (kind, thread, d) => {
    byKind.set(kind, (byKind.get(kind) ?? 0) + d);
    const k = `${kind}: ${thread}`;
    byThread.set(k, (byThread.get(k) ?? 0) + d);
  };
  /** Per process: its own CPU delta, and its live threads' sum. */
  const processes = new Map();
  for (const [key, t] of after) {
    const d = (t.ticks - (before.get(key)?.ticks ?? 0)) / 100; // USER_HZ
    const pid = key.slice(0, key.indexOf("/"));
    const p = processes.get(pid) ?? { kind: t.kind, own: 0, threads: 0 };
    processes.set(pid, p);
    if (t.thread === null) {
      p.own = d;
      continue;
    }
    if (d <= 0) continue;
    p.threads += d;
    add(t.kind, t.thread, d);
  }
  for (const p of processes.values()) {
    const ended = p.own - p.threads;
    // (the process and thread counts are read a moment apart: a tick or two either way is not a thread)
    if (ended > 0.02) add(p.kind, "(threads that ended)", ended);
  }
  return { byKind, byThread };
}

// ---- Node: decode + bin the gen2 file ----
async function nodeBin() {
  const t0 = performance.now();
  const c0 = ownCpu();
  const binned = await binGen2Directory(await openDirectorySource(nightDir));
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, cpu: ownCpu() - c0, photons: binned.photons };
}

// ---- the page ----
const launch = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--enable-unsafe-swiftshader", "--use-angle=swiftshader"],
  });
const browser = await launch();

/** The gen2 panel's plots other than the count image. */
const OTHER_PLOTS = ["gen2-light-curve", "gen2-phase-histogram", "gen2-baseline-histogram"];

/**
 * A fresh page that records main-thread long tasks from its first script on, and when each plot's
 * WebGL canvas first draws (`window.__firstDraw[testid]`: the first drawArrays/drawElements call on
 * a canvas inside that test id's container; any build of the viewer, no help from the app) and when
 * the second animation frame after that draw begins (`window.__shown[testid]`: the frame with the
 * drawing has been produced; these callbacks are queued at the draw, before anything the page
 * queues after it).
 */
async function newPage(inBrowser = browser) {
  const page = await inBrowser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.addInitScript(() => {
    window.__firstDraw = {};
    window.__shown = {};
    const waiters = {};
    /** A promise of `__shown[id]` (no polling: a waiting page is not made to produce frames). */
    window.__whenShown = (id) =>
      window.__shown[id] !== undefined ? Promise.resolve(window.__shown[id]) : new Promise((resolve) => (waiters[id] ??= []).push(resolve));
    for (const Context of [window.WebGLRenderingContext, window.WebGL2RenderingContext]) {
      for (const name of ["drawArrays", "drawElements"]) {
        const draw = Context?.prototype[name];
        if (!draw) continue;
        Context.prototype[name] = function (...args) {
          const id = this.canvas.closest?.("[data-testid]")?.getAttribute("data-testid");
          if (id && window.__firstDraw[id] === undefined) {
            window.__firstDraw[id] = performance.now();
            requestAnimationFrame(() =>
              requestAnimationFrame(() => {
                window.__shown[id] = performance.now();
                for (const resolve of waiters[id] ?? []) resolve(window.__shown[id]);
              }),
            );
          }
          return draw.apply(this, args);
        };
      }
    }
    // how long each plot's WebGL getContext blocked the main thread (wall ms): the first context of a page
    // waits for the renderer's and the GPU process's set-up
    window.__contextMs = {};
    const getContext = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = function (type, ...rest) {
      if (!String(type).startsWith("webgl")) return getContext.call(this, type, ...rest);
      const t = performance.now();
      const context = getContext.call(this, type, ...rest);
      const id = this.closest?.("[data-testid]")?.getAttribute("data-testid");
      if (id && window.__contextMs[id] === undefined) window.__contextMs[id] = performance.now() - t;
      return context;
    };
    // when the whole night's result is first on the page (its photon count): the span from there to the
    // image's first draw is the plots' set-up after the decode (a mutation observer: nothing polls)
    window.__resultAt = undefined;
    new MutationObserver((_, observer) => {
      if (document.querySelector('[data-testid="gen2-photon-count"]')) {
        window.__resultAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { subtree: true, childList: true });
    window.__longtasks = [];
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longtasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: "longtask", buffered: true });
    } catch {
      // no longtask support: reported as unknown
      window.__longtasks = null;
    }
  });
  return page;
}

async function pageImage(server) {
  // VIEW_BENCH_FRESH_BROWSER=1: each page in a browser of its own, as when `daqkit view` opens one — its
  // first WebGL context pays the GPU process's set-up (otherwise only the first repetition does)
  const own = FRESH_BROWSER ? await launch() : null;
  const page = await newPage(own ?? browser);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    // the /proc snapshots before the clocks start and after they stop (reading /proc takes this process
    // tens of ms: neither the page's time nor its CPU includes it)
    const requests0 = server.stats.dataRequests;
    const b0 = childrenCpu();
    const s0 = threadTicks();
    const c0 = ownCpu();
    const t0 = performance.now();
    await page.goto(server.url);
    // "while it works": from the moment the panel's first worker job shows its progress bar. The
    // waits poll on a timer or not at all: polling on animation frames (Playwright's default) makes
    // the page produce frames, which costs software-rendered Chromium ~0.1 s of CPU per second.
    await page.waitForFunction(() => document.querySelector('[data-testid="job-running"]') !== null, null, {
      timeout: 120_000,
      polling: 50,
    });
    const working = await page.evaluate(() => performance.now());
    // until the image's WebGL canvas has drawn and two frames have begun since (so that frame is on
    // screen), timed in the page (see newPage): the container appears before react-three-fiber has
    // sized the canvas and drawn, and a wait here would also count what the page does next
    await page.evaluate(() =>
      Promise.race([
        window.__whenShown("gen2-image"),
        new Promise((_, reject) => setTimeout(() => reject(new Error("view bench: no count image drawn in 600 s")), 600_000)),
      ]),
    );
    // this process (the server, and playwright's side) + Chromium's processes
    const c1 = ownCpu();
    const b1 = childrenCpu();
    const split = cpuSplit(s0, threadTicks());
    // the data requests the page made until then (listing not counted): headers scanned, bodies streamed
    const requests = server.stats.dataRequests - requests0;
    const cpu = b0 === null || b1 === null ? null : c1 - c0 + (b1 - b0);
    const shown = await page.evaluate(() => ({
      origin: performance.timeOrigin,
      at: window.__shown["gen2-image"],
      drawn: window.__firstDraw["gen2-image"],
      contextMs: window.__contextMs["gen2-image"],
      resultAt: window.__resultAt,
    }));
    /** A time of the page's clock as seconds since navigating. */
    const sinceNav = (at) => (shown.origin + at - (performance.timeOrigin + t0)) / 1000;
    const seconds = sinceNav(shown.at);
    // the page's clock and this one are the same wall clock: the image cannot be seen before navigating or after now
    const seenBy = (performance.now() - t0) / 1000;
    if (!(seconds > 0 && seconds <= seenBy + 0.05)) {
      throw new Error(`view bench: the page's time ${seconds.toFixed(3)} s is outside 0…${seenBy.toFixed(3)} s (clocks disagree)`);
    }
    // the other plots, drawn after the image: their long tasks are reported apart
    await page
      .waitForFunction((ids) => ids.every((id) => window.__firstDraw[id] !== undefined), OTHER_PLOTS, { timeout: 120_000, polling: 100 })
      .catch(() => undefined);
    const tasks = await page.evaluate(() => window.__longtasks);
    if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
    const max = (list) => Math.max(0, ...list.map((t) => t.duration));
    return {
      seconds,
      cpu,
      split,
      // when the job's progress showed (polled every 50 ms) and the image's first draw call
      timeline: {
        working: sinceNav(working),
        result: shown.resultAt === undefined ? null : sinceNav(shown.resultAt),
        drawn: sinceNav(shown.drawn),
        contextMs: shown.contextMs ?? null,
      },
      requests,
      longest: tasks === null ? null : max(tasks.filter((t) => t.start + t.duration >= working && t.start < shown.at)),
      loading: tasks === null ? null : max(tasks.filter((t) => t.start + t.duration < working)),
      after: tasks === null ? null : max(tasks.filter((t) => t.start >= shown.at)),
    };
  } finally {
    await page.close();
    await own?.close();
  }
}

if (ONLY !== "lh5") {
  console.log(`gen2: ${binFile} (${gen2Mb.toFixed(0)} MB, ${PHOTONS} photons), ${REPS} interleaved repetitions (Node, page, …)`);
  const gen2Server = await startViewServer({ root: nightDir, viewerDir });
  const node = [];
  const page = [];
  const longest = [];
  const loading = [];
  const after = [];
  const nodeCpu = [];
  const pageCpu = [];
  const splits = [];
  const aftermath = [];
  const contextMs = [];
  const setUp = [];
  try {
    for (let r = 0; r < REPS; r++) {
      globalThis.gc?.();
      const n = await nodeBin();
      // the Node API's garbage collected and its buffers freed now, outside both clocks: else V8's
      // background threads free them while the page's clock runs and that CPU is counted as the
      // page's (the server shares this process). Reported apart, as "after the Node API".
      const a0 = ownCpu();
      globalThis.gc?.();
      await new Promise((resolve) => setTimeout(resolve, 500));
      aftermath.push(ownCpu() - a0);
      node.push(n.seconds);
      nodeCpu.push(n.cpu);
      const p = await pageImage(gen2Server);
      page.push(p.seconds);
      if (p.cpu !== null) pageCpu.push(p.cpu);
      if (p.longest !== null) longest.push(p.longest);
      if (p.loading !== null) loading.push(p.loading);
      if (p.after !== null) after.push(p.after);
      if (p.split) splits.push(p.split);
      if (p.timeline.contextMs !== null) contextMs.push(p.timeline.contextMs);
      if (p.timeline.result !== null) setUp.push((p.timeline.drawn - p.timeline.result) * 1000);
      console.log(
        `  rep ${r + 1}: Node decode+bin ${n.seconds.toFixed(2)} s (CPU ${n.cpu.toFixed(2)} s); page count image ${p.seconds.toFixed(2)} s (${(p.seconds / n.seconds).toFixed(2)}× Node; working by ${p.timeline.working.toFixed(2)} s, result on the page at ${p.timeline.result === null ? "unseen" : `${p.timeline.result.toFixed(2)} s`}, first draw call at ${p.timeline.drawn.toFixed(2)} s, its getContext ${p.timeline.contextMs === null ? "unseen" : `${p.timeline.contextMs.toFixed(0)} ms`}; CPU of the server + Chromium ${p.cpu === null ? "unknown" : `${p.cpu.toFixed(2)} s`}; ${p.requests} data requests); longest main-thread task while working ${p.longest === null ? "unknown" : `${p.longest.toFixed(0)} ms`} (while loading the app ${p.loading === null ? "unknown" : `${p.loading.toFixed(0)} ms`}; setting up the other plots after the image ${p.after === null ? "unknown" : `${p.after.toFixed(0)} ms`})`,
      );
    }
  } finally {
    await gen2Server.close();
  }
  const ratios = page.map((p, i) => p / node[i]);
  console.log(
    `gen2 count image: page/Node ${range(ratios)}× (median ${median(ratios).toFixed(2)}×; target ≤ 1.5×); Node ${range(node)} s, page ${range(page)} s; longest main-thread task while working ${longest.length ? `${range(longest)} ms` : "unknown"} (target < 200 ms), while loading the app ${loading.length ? `${range(loading)} ms` : "unknown"}, setting up the other plots after the image ${after.length ? `${range(after)} ms` : "unknown"}`,
  );
  const cpuRatios = pageCpu.length === nodeCpu.length ? pageCpu.map((p, i) => p / nodeCpu[i]) : [];
  if (cpuRatios.length) {
    console.log(
      `gen2 CPU time: page (server + Chromium) ${range(pageCpu)} s, Node ${range(nodeCpu)} s, page/Node ${range(cpuRatios)}× (median ${median(cpuRatios).toFixed(2)}×)`,
    );
    bench("view.gen2-image-cpu-vs-node", "ratio", Number(median(cpuRatios).toFixed(3)), "lower");
  }
  console.log(`  (this process after the Node API, outside both clocks: GC and freeing its buffers, ${range(aftermath)} s of CPU)`);
  if (splits.length) printSplit(splits);
  bench("view.gen2-image-vs-node", "ratio", Number(median(ratios).toFixed(3)), "lower");
  bench("view.gen2-image-page", "s", Number(median(page).toFixed(3)), "lower");
  bench("view.gen2-node-decode-bin", "s", Number(median(node).toFixed(3)), "lower");
  if (longest.length) bench("view.gen2-longest-task", "ms", Math.max(...longest), "lower");
  if (contextMs.length) {
    console.log(`  the count image's WebGL getContext blocked the main thread ${range(contextMs)} ms`);
    bench("view.gen2-image-get-context", "ms", Number(median(contextMs).toFixed(1)), "lower");
  }
  if (setUp.length) {
    console.log(`  from the result on the page to the image's first draw call: ${range(setUp)} ms`);
    bench("view.gen2-result-to-first-draw", "ms", Number(median(setUp).toFixed(1)), "lower");
  }
  if (loading.length) bench("view.app-load-longest-task", "ms", Math.max(...loading), "lower");
  if (after.length) bench("view.gen2-other-plots-longest-task", "ms", Math.max(...after), "lower");
}

/**
 * The page's CPU per process (step 1 of issue 16's work: where the page's CPU goes), over the reps:
 * ranges per process kind, then the threads that used ≥ 0.05 s (median) — the renderer's main thread
 * (CrRendererMain), its workers (DedicatedWorker 1, the decoding worker, and 2, its fetch helper, by thread start), the GPU process's threads, the network service, and
 * this process (the server; Playwright's client shares its main thread).
 */
function printSplit(splits) {
  const kinds = [...new Set(splits.flatMap((s) => [...s.byKind.keys()]))];
  const of = (map, k) => splits.map((s) => s[map].get(k) ?? 0);
  kinds.sort((a, b) => median(of("byKind", b)) - median(of("byKind", a)));
  console.log(
    `gen2 page CPU by process (s, range over ${splits.length} reps): ${kinds.map((k) => `${k} ${range(of("byKind", k))}`).join(", ")}`,
  );
  const threads = [...new Set(splits.flatMap((s) => [...s.byThread.keys()]))].filter((k) => median(of("byThread", k)) >= 0.05);
  threads.sort((a, b) => median(of("byThread", b)) - median(of("byThread", a)));
  console.log(`  by thread (median ≥ 0.05 s): ${threads.map((k) => `${k} ${range(of("byThread", k))}`).join("; ")}`);
  for (const k of kinds) {
    const slug = k.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
    bench(`view.gen2-image-cpu-${slug}`, "s", Number(median(of("byKind", k)).toFixed(3)), "lower");
  }
}

// ---- LH5: one column's histogram reads only that column ----
const lh5Server = WANT_LH5 ? await startViewServer({ root: lh5Dir, viewerDir }) : undefined;
try {
  if (lh5Server) await lh5Part(lh5Server);
} finally {
  await lh5Server?.close();
  await browser.close();
}

async function lh5Part(lh5Server) {
  const p = await newPage();
  const url = new URL(lh5Server.url);
  url.searchParams.set("path", "big.lh5");
  const t0 = performance.now();
  await p.goto(url.href);
  await p.locator('[data-testid="lh5-node"][data-path="tbl"]').click({ timeout: 120_000 });
  await p.locator('[data-testid="lh5-cell"][data-row="0"][data-col="a"]').waitFor({ timeout: 120_000 });
  const afterTable = lh5Server.stats.bytesByPath.get("big.lh5") ?? 0;
  const rangesBefore = (lh5Server.stats.rangesByPath.get("big.lh5") ?? []).length;
  await p.getByTestId("lh5-column-select").selectOption("c");
  await p.getByTestId("lh5-histogram-entries").waitFor({ timeout: 600_000 });
  await p.waitForFunction(() => /\d/.test(document.querySelector('[data-testid="lh5-histogram-entries"]')?.textContent ?? ""));
  const entries = (await p.getByTestId("lh5-histogram-entries").first().textContent())?.trim();
  const seconds = (performance.now() - t0) / 1000;
  const served = lh5Server.stats.bytesByPath.get("big.lh5") ?? 0;
  const longtasks = (await p.evaluate(() => window.__longtasks))?.map((t) => t.duration);
  await p.close();
  const column = columnInfo.c.stored;
  const others = Object.entries(columnInfo)
    .filter(([n]) => n !== "c")
    .reduce((s, [, v]) => s + v.stored, 0);
  // which column's chunks the bytes sent for the histogram (after the table page) fall in
  const histRanges = (lh5Server.stats.rangesByPath.get("big.lh5") ?? []).slice(rangesBefore);
  const inColumn = {};
  let outside = 0;
  for (const [a, b] of histRanges) {
    let covered = 0;
    for (const [name, info] of Object.entries(columnInfo)) {
      for (const [s0, e0] of info.extents) {
        const overlap = Math.max(0, Math.min(b, e0) - Math.max(a, s0));
        if (overlap) {
          inColumn[name] = (inColumn[name] ?? 0) + overlap;
          covered += overlap;
        }
      }
    }
    outside += b - a - covered;
  }
  const otherColumns = Object.entries(inColumn)
    .filter(([n]) => n !== "c")
    .reduce((t, [, v]) => t + v, 0);
  const passes = (inColumn.c ?? 0) / column;
  console.log(
    `  histogram requests: ${histRanges.length}; bytes in column c's chunks ${((inColumn.c ?? 0) / 1e6).toFixed(1)} MB (${passes.toFixed(2)} × the column: ${passes > 1.5 ? "read twice, a range pass then the fill" : "read once"}), in other columns' chunks ${(otherColumns / 1e6).toFixed(1)} MB, outside any chunk (metadata) ${(outside / 1e6).toFixed(2)} MB`,
  );
  bench("view.lh5-histogram-other-column-bytes", "MB", Number((otherColumns / 1e6).toFixed(3)), "lower");
  bench("view.lh5-histogram-column-passes", "ratio", Number(passes.toFixed(3)), "lower");
  const budget = column + afterTable + 8 * 2 ** 20;
  console.log(
    `LH5 ${(lh5Bytes / 1e6).toFixed(0)} MB, histogram of column c (${entries} entries) in ${seconds.toFixed(1)} s: the server sent ${(served / 1e6).toFixed(1)} MB ` +
      `(${(afterTable / 1e6).toFixed(1)} MB for the tree and the first table page, then ${((served - afterTable) / 1e6).toFixed(1)} MB); column c stores ${(column / 1e6).toFixed(1)} MB, ` +
      `the other columns ${(others / 1e6).toFixed(1)} MB; sent/column = ${(served / column).toFixed(3)}, sent/file = ${(served / lh5Bytes).toFixed(3)} — ` +
      `${served <= budget ? "that column's chunks once (plus the table page and metadata)" : "more than that column once (split above)"}; longest task ${longtasks ? Math.max(0, ...longtasks).toFixed(0) : "unknown"} ms`,
  );
  bench("view.lh5-histogram-bytes-per-column", "ratio", Number((served / column).toFixed(4)), "lower");
  bench("view.lh5-histogram-bytes-per-file", "ratio", Number((served / lh5Bytes).toFixed(4)), "lower");
  bench("view.lh5-histogram-seconds", "s", Number(seconds.toFixed(3)), "lower");
}
