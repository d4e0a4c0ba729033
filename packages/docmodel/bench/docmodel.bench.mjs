// docmodel benchmark (issue 9): 1 000 000 events of 5 number keys in one descriptor.
// compose with validation, compose without, export to msgpack, read back (records, and read() into columns).
// Reference (Python, measured on the issue's machine): event-model + jsonschema compose with validation
// ≈ 10 000 events/s (247 000 without), suitcase-msgpack export ≈ 146 000 events/s, plain msgpack read ≈ 806 000
// events/s. Targets: compose+validate ≥ 20×, export ≥ 5×, read ≥ 2×.
// Run: pnpm exec turbo run build --filter @daqkit/docmodel && node packages/docmodel/bench/docmodel.bench.mjs
// Env: DOCMODEL_BENCH_EVENTS (default 1e6), DAQKIT_BENCH_DATA (output directory, default a temp dir).
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { composeRun, decodeMsgpackRecords, exportMsgpack, openMsgpackCatalog } from "@daqkit/docmodel";

const N = Number(process.env.DOCMODEL_BENCH_EVENTS ?? 1_000_000);
const KEYS = ["x0", "x1", "x2", "x3", "x4"];
const REF = { validate: 10_000, novalidate: 247_000, export: 146_000, read: 806_000 };
const dataKeys = Object.fromEntries(KEYS.map((k) => [k, { dtype: "number", shape: [], source: `sim:${k}` }]));
const rss = () => Math.round(process.resourceUsage().maxRSS / 1024);
const rows = [];

function report(label, events, seconds, ref) {
  const rate = events / seconds;
  rows.push({ label, rate, ratio: ref ? rate / ref : undefined, rss: rss() });
  console.log(
    `${label.padEnd(34)} ${(rate / 1e3).toFixed(0).padStart(7)} k events/s  ${seconds.toFixed(2).padStart(6)} s` +
      `${ref ? `  ${(rate / ref).toFixed(1).padStart(5)}× ref` : ""}  peak RSS ${rss()} MiB`,
  );
}

function compose(validate, keep) {
  const run = composeRun({ uid: "bench-run", time: 1700000000, metadata: { plan_name: "bench" } });
  const d = run.composeDescriptor({ name: "primary", data_keys: dataKeys, time: 1700000000, validate });
  const out = keep ? new Array(N) : undefined;
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const t = 1700000000 + i * 1e-3;
    const data = { x0: i, x1: i * 0.5, x2: Math.sin(i), x3: -i, x4: 1.25 };
    const ev = d.composeEvent({ data, timestamps: { x0: t, x1: t, x2: t, x3: t, x4: t }, time: t, validate });
    if (out) out[i] = ev;
    else sink += ev.seq_num;
  }
  const seconds = (performance.now() - t0) / 1000;
  const stop = run.composeStop({ time: 1700000000 + N * 1e-3, validate });
  return { seconds, docs: out && [["start", run.startDoc], ["descriptor", d.descriptorDoc], ...out.map((e) => ["event", e]), ["stop", stop]], sink };
}

const base = process.env.DAQKIT_BENCH_DATA ?? mkdtempSync(join(tmpdir(), "docmodel-bench-"));
const outDir = join(base, "docmodel");
rmSync(join(outDir, "bench-run.msgpack"), { force: true });
console.log(`docmodel bench: ${N} events × ${KEYS.length} number keys, node ${process.version}`);

const v = compose(true, false);
report("compose + validate", N, v.seconds, REF.validate);
const nv0 = compose(false, false);
report("compose, no validation", N, nv0.seconds, REF.novalidate);
const nv = compose(false, true); // kept in memory as the export input (not timed)

let t0 = performance.now();
const r = await exportMsgpack(nv.docs, outDir);
report("export → msgpack (one-row pages)", N, (performance.now() - t0) / 1000, REF.export);
console.log(`  file ${r.path}: ${(statSync(r.path).size / 2 ** 20).toFixed(1)} MiB`);
nv.docs = undefined;

t0 = performance.now();
const bytes = readFileSync(r.path);
let events = 0;
for (const [name, doc] of decodeMsgpackRecords(bytes)) if (name === "event_page") events += doc.seq_num.length;
report("read back: decode all records", events, (performance.now() - t0) / 1000, REF.read);

t0 = performance.now();
const { catalog } = openMsgpackCatalog(outDir);
const run = await catalog.run("bench-run");
const cols = run.stream("primary").read();
report("read back: catalog run + read()", cols.length, (performance.now() - t0) / 1000, REF.read);
if (!process.env.DAQKIT_BENCH_DATA) rmSync(base, { recursive: true, force: true });
console.log(`peak RSS ${rss()} MiB`);
