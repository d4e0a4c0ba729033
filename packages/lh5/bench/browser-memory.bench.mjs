// Peak memory of reading one column of a large LH5 file in Chromium from a `File` (issue 13).
//
// Input: a table `bench/tbl` of 4 float64 columns, LH5_MEM_BENCH_MB (default 500) MB of data, written
// by @daqkit/lh5's writer (chunked, uncompressed) into a temp dir (removed at the end).
// In Chromium (playwright-core, /usr/bin/chromium): the file is handed to the page through
// <input type=file> (a disk-backed File, nothing read), posted to a Web Worker that opens it with
// @daqkit/lh5's main entry (WORKERFS: read in place) and reads the `energy` column.
// The page is cross-origin isolated (COOP/COEP headers), so @daqkit/io reads the File's slices through
// its shared channel (a helper worker + SharedArrayBuffer); LH5_MEM_BENCH_ISOLATED=0 serves the page
// without the headers, which measures the WORKERFS/FileReaderSync fallback.
// Memory: the JS heap + ArrayBuffer backing stores of every worker (the reader and its helper) and of the
// page (CDP Runtime.getHeapUsage, summed per sample, sampled every 10 ms during the read; a
// SharedArrayBuffer is counted once per worker holding it) + the reader's wasm memory
// (memory.buffer.byteLength; wasm memory never shrinks, so its size after the read is its peak).
// Figure: peak / decoded column size; target ≤ 1.5 × column + 64 MB.
// The column is read twice, each time in a fresh page and worker: with `readObject` (one synchronous read)
// and with `readObjectAsync` (windows of 4 MiB, the event loop turning between them, so the worker's GC
// frees WORKERFS's slice buffers during the read); LH5_MEM_BENCH_API=readObject|readObjectAsync runs one.
// LH5_MEM_BENCH_TRANSFER=1: the worker posts the column to the page as a transfer (the page is sampled
// with the workers, so the moved buffer is counted where it ends up). LH5_MEM_BENCH_WINDOW_MB sets
// readObjectAsync's window. Prints one `@@bench` line per figure (peak MiB, peak / column).
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createReadStream } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { createArray, createTable, openLh5Writer } from "@daqkit/lh5/node";
import { esbuildBenchRoot } from "../../../bench/lib.mjs";

const CHROMIUM = "/usr/bin/chromium";
if (!existsSync(CHROMIUM)) {
  console.log(`skipped: ${CHROMIUM} is missing`);
  process.exit(process.env.CI === "true" ? 1 : 0);
}
const MB = 1 << 20;
const TOTAL_MB = Number(process.env.LH5_MEM_BENCH_MB ?? 500);
const COLUMNS = ["energy", "timestamp", "baseline", "trapEmax"];
const N = Math.round((TOTAL_MB * MB) / (8 * COLUMNS.length));
const BATCH = 1 << 20;
const ISOLATED = process.env.LH5_MEM_BENCH_ISOLATED !== "0";
const APIS = process.env.LH5_MEM_BENCH_API ? [process.env.LH5_MEM_BENCH_API] : ["readObject", "readObjectAsync"];
const TRANSFER = process.env.LH5_MEM_BENCH_TRANSFER === "1";
/** readObjectAsync window (LH5_MEM_BENCH_WINDOW_MB; 0: its default, 4 MiB). */
const WINDOW_BYTES = Number(process.env.LH5_MEM_BENCH_WINDOW_MB ?? 0) * (1 << 20);
const HEADERS = ISOLATED ? { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" } : {};

const dir = mkdtempSync(join(tmpdir(), "lh5-mem-bench-"));
let browser;
let server;
try {
  // 1. Generate the file with our writer, in batches.
  const path = join(dir, "big.lh5");
  const t0 = performance.now();
  const writer = await openLh5Writer(path, { mode: "w", chunkRows: 65536, compression: "none" });
  try {
    let seed = 12345;
    for (let start = 0; start < N; start += BATCH) {
      const n = Math.min(BATCH, N - start);
      const cols = {};
      for (const [k, name] of COLUMNS.entries()) {
        const a = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          seed = (seed * 1103515245 + 12345) >>> 0;
          a[i] = k === 1 ? 1.6e9 + (start + i) * 1e-4 : (seed % 100000) / 37.0;
        }
        cols[name] = createArray(a);
      }
      writer.write("bench/tbl", createTable(cols), { append: start > 0 });
    }
    writer.close();
  } catch (error) {
    writer.abort();
    throw error;
  }
  const fileSize = statSync(path).size;
  console.log(
    `generated ${(fileSize / MB).toFixed(0)} MiB (${N.toLocaleString("en")} rows × ${COLUMNS.length} float64) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  // 2. Bundle the worker and serve it with the compression plugins.
  const bundleDir = join(dir, "bundle");
  await build({
    entryPoints: [join(import.meta.dirname, "browser/memory-worker.mjs")],
    outfile: join(bundleDir, "worker.js"),
    bundle: true,
    platform: "browser",
    format: "esm",
    conditions: ["@daqkit/source"],
    plugins: [esbuildBenchRoot()],
    logLevel: "silent",
  });
  const plugins = join(dirname(new URL(import.meta.resolve("h5wasm-plugins")).pathname), "plugins");
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x").pathname;
    const file =
      url === "/"
        ? null
        : url.startsWith("/plugins/")
          ? join(plugins, url.slice(9))
          : url === "/worker.js"
            ? join(bundleDir, "worker.js")
            : null;
    if (url === "/") {
      res.writeHead(200, { "content-type": "text/html", ...HEADERS }).end("<!doctype html><title>lh5 memory</title><input type=file id=f>");
      return;
    }
    if (!file || !existsSync(file) || url.includes("..")) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": file.endsWith(".js") ? "text/javascript" : "application/octet-stream", ...HEADERS });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;

  // 3. Chromium: page with the File, a worker reading it; CDP attached to the worker.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  async function measure(api) {
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    await page.setInputFiles("#f", path);
    const cdp = await page.context().newCDPSession(page);
    // Worker sessions (not flattened): the reader worker is attached from the page, its helper worker
    // from the reader's session; messages to a nested session are wrapped once per level.
    const workers = [];
    function workerSession(sessionId, sendToParent) {
      const pendingCalls = new Map();
      let nextId = 1;
      const children = new Map();
      const session = {
        sessionId,
        call: (method, params = {}) =>
          new Promise((resolve) => {
            const id = nextId++;
            pendingCalls.set(id, resolve);
            void sendToParent("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id, method, params }) });
          }),
        receive(msg) {
          if (msg.id !== undefined) {
            const done = pendingCalls.get(msg.id);
            pendingCalls.delete(msg.id);
            done?.(msg.result ?? { error: msg.error });
          } else if (msg.method === "Target.attachedToTarget" && msg.params.targetInfo.type === "worker") {
            const child = workerSession(msg.params.sessionId, session.call);
            children.set(child.sessionId, child);
            attached(child);
          } else if (msg.method === "Target.receivedMessageFromTarget") {
            children.get(msg.params.sessionId)?.receive(JSON.parse(msg.params.message));
          }
        },
      };
      return session;
    }
    const topLevel = new Map();
    function attached(session) {
      workers.push(session);
      void session.call("Runtime.enable");
      void session.call("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    }
    cdp.on("Target.attachedToTarget", (e) => {
      if (e.targetInfo.type !== "worker") return;
      const session = workerSession(e.sessionId, (method, params) => cdp.send(method, params));
      topLevel.set(e.sessionId, session);
      attached(session);
    });
    cdp.on("Target.receivedMessageFromTarget", (e) => topLevel.get(e.sessionId)?.receive(JSON.parse(e.message)));
    await cdp.send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });

    const loaded = await page.evaluate(`(async () => {
      window.w = new Worker(${JSON.stringify(`${origin}/worker.js`)}, { type: "module" });
      window.ask = (msg) => new Promise((resolve) => { window.w.onmessage = (e) => resolve(e.data); window.w.postMessage(msg); });
      return window.ask({ op: "load", plugins: ${JSON.stringify(`${origin}/plugins`)} });
    })()`);
    for (let i = 0; i < 200 && workers.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    if (workers.length === 0) throw new Error("no CDP session for the worker");
    const reader = workers[0];
    await reader.call("Runtime.enable");
    await reader.call("HeapProfiler.collectGarbage");
    await cdp.send("Runtime.enable");
    // Every sample: the workers' and the page's JS heap + ArrayBuffer backing stores.
    const usage = async () => {
      const [page, ...all] = await Promise.all([cdp.send("Runtime.getHeapUsage"), ...workers.map((w) => w.call("Runtime.getHeapUsage"))]);
      return {
        heap: all.reduce((a, u) => a + (u.usedSize ?? 0), 0) + (page.usedSize ?? 0),
        backing: all.reduce((a, u) => a + (u.backingStorageSize ?? 0), 0) + (page.backingStorageSize ?? 0),
        workers: all.length,
        page: (page.usedSize ?? 0) + (page.backingStorageSize ?? 0),
      };
    };
    const before = await usage();

    let peakJs = before.heap + before.backing;
    let peakAt = before;
    let sampling = true;
    let samples = 0;
    const sampler = (async () => {
      while (sampling) {
        const u = await usage();
        samples++;
        if (u.heap + u.backing > peakJs) {
          peakJs = u.heap + u.backing;
          peakAt = u;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const t1 = performance.now();
    const read = await page.evaluate(
      `window.ask({ op: "read", file: document.getElementById("f").files[0], column: "bench/tbl/energy", sync: ${api === "readObject"}, transfer: ${TRANSFER}, windowBytes: ${WINDOW_BYTES} }).then((r) => { if (r.column) { window.kept = r.column; r.column = r.column.byteLength; } return r; })`,
    );
    const readMs = performance.now() - t1;
    const after = await usage();
    peakJs = Math.max(peakJs, after.heap + after.backing);
    sampling = false;
    await sampler;
    if (read.op !== "read") throw new Error(read.error);
    await Promise.all(workers.map((w) => w.call("HeapProfiler.collectGarbage")));
    const afterGc = await usage();
    // Wasm memory is not in V8's backing-store count (a forced GC leaves column + baseline): add it.
    const peak = peakJs + read.wasm;
    const column = read.bytes;
    const target = 1.5 * column + 64 * MB;

    console.log(
      `column bench/tbl/energy: ${read.length.toLocaleString("en")} float64 = ${f(column)} decoded; read in ${(read.ms / 1000).toFixed(2)} s in the worker (${(readMs / 1000).toFixed(2)} s round trip)`,
    );
    console.log(
      `${api}${TRANSFER ? " (column transferred to the page)" : ""}, read path: ${read.readPath}; peak memory ${f(peak)} = JS heap + backing stores of ${peakAt.workers ?? after.workers} worker(s) and the page ${f(peakJs)} (max of ${samples} CDP samples; the page's share ${f(peakAt.page)})` +
        ` + wasm memory ${f(read.wasm)}`,
    );
    console.log(
      `worker before the read: JS heap ${f(before.heap)}, backing stores ${f(before.backing)}; at the peak: ${f(peakAt.heap)} + ${f(peakAt.backing)}; ` +
        `after: ${f(after.heap)} + ${f(after.backing)}; after a forced GC: ${f(afterGc.heap)} + ${f(afterGc.backing)}; wasm memory at load ${f(loaded.wasm)}, after the read ${f(read.wasm)}`,
    );
    console.log(
      `ratio peak / column = ${(peak / column).toFixed(2)}×; target ≤ 1.5 × column + 64 MiB = ${f(target)}: ${peak <= target ? "met" : "NOT met"}`,
    );
    const workload = `lh5.browser-memory.${ISOLATED ? "isolated" : "not-isolated"}.${api}${TRANSFER ? ".transfer" : ""}`;
    console.log(`@@bench ${JSON.stringify({ workload, metric: "peak MiB", value: Number((peak / MB).toFixed(1)), better: "lower" })}`);
    console.log(
      `@@bench ${JSON.stringify({ workload: `${workload}.ratio`, metric: "peak / column", value: Number((peak / column).toFixed(3)), better: "lower" })}`,
    );
    await page.close();
  }
  const f = (b) => `${(b / MB).toFixed(1)} MiB`;
  for (const api of APIS) await measure(api);
} finally {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r()));
  rmSync(dir, { recursive: true, force: true });
}
