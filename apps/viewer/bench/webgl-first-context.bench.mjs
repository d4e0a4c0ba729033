// What a page's first WebGL context costs in a fresh headless Chromium (SwiftShader), and whether a
// context made and released earlier in a worker (OffscreenCanvas) removes that cost (issue 16: the
// count image's `getContext` blocks the main thread). No app involved: a blank page per browser, then
// an 800×600 canvas in the document and its `getContext("webgl2")` timed on the main thread, either
// cold or 300 ms after a worker made a 1×1 context, cleared it and ended. Browsers alternate between
// the two modes. The viewer itself did not gain from such a warm-up (apps/viewer/README.md, Performance).
// Run: `node apps/viewer/bench/webgl-first-context.bench.mjs` (WEBGL_BENCH_REPS browsers per mode, default 3).
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { emit } from "../../../bench/lib.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const REPS = Number(process.env.WEBGL_BENCH_REPS ?? 3);
if (!existsSync(CHROMIUM)) {
  console.log(`webgl-first-context: ${CHROMIUM} is missing (apt-get install -y chromium); skipped`);
  process.exit(process.env.CI === "true" ? 1 : 0);
}

/** One fresh browser: the main thread's getContext (ms) and the worker's warm-up (ms, or null). */
async function once(warm) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--enable-unsafe-swiftshader", "--use-angle=swiftshader"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.setContent("<!doctype html><body></body>");
    return await page.evaluate(async (warm) => {
      let warmMs = null;
      if (warm) {
        const source = `const gl = new OffscreenCanvas(1, 1).getContext("webgl2"); gl.clear(gl.COLOR_BUFFER_BIT); gl.finish(); postMessage(1);`;
        const worker = new Worker(URL.createObjectURL(new Blob([source], { type: "text/javascript" })));
        const t0 = performance.now();
        await new Promise((resolve) => (worker.onmessage = resolve));
        warmMs = performance.now() - t0;
        worker.terminate();
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const canvas = document.createElement("canvas");
      canvas.width = 800;
      canvas.height = 600;
      document.body.append(canvas);
      const t1 = performance.now();
      const gl = canvas.getContext("webgl2", { preserveDrawingBuffer: true });
      const contextMs = performance.now() - t1;
      if (!gl) throw new Error("webgl-first-context: no WebGL2 context");
      return { contextMs, warmMs };
    }, warm);
  } finally {
    await browser.close();
  }
}

const cold = [];
const warmed = [];
const warmups = [];
for (let r = 0; r < REPS; r++) {
  cold.push((await once(false)).contextMs);
  const w = await once(true);
  warmed.push(w.contextMs);
  warmups.push(w.warmMs);
}
const range = (xs) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `first on-page WebGL getContext in a fresh browser: cold ${range(cold)} ms; after a worker's context ${range(warmed)} ms (the worker's own set-up ${range(warmups)} ms); ${REPS} browsers each`,
);
emit("viewer.webgl-first-context-cold", "ms", Number(median(cold).toFixed(1)), "lower");
emit("viewer.webgl-first-context-after-worker", "ms", Number(median(warmed).toFixed(1)), "lower");
