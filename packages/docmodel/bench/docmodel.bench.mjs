// docmodel benchmark (issue 9): 1 000 000 events of 5 number keys in one descriptor.
// compose with validation, compose without, export to msgpack, read back (all records decoded, and the run
// opened through the directory catalog + stream read() into columns).
// Reference (Python, measured on the issue's machine): event-model + jsonschema compose with validation
// ≈ 10 000 events/s (247 000 without), suitcase-msgpack export ≈ 146 000 events/s, plain msgpack read ≈ 806 000
// events/s. Targets: compose+validate ≥ 20×, export ≥ 5×, read ≥ 2×.
// Each phase runs in its own child process so that its peak RSS is its own. Wall-clock and CPU time (user +
// system of the process, all threads) are both reported: on a shared, overloaded machine the CPU figure is the
// fairer one (the load average is printed).
// Run: pnpm exec turbo run build --filter @daqkit/docmodel && node packages/docmodel/bench/docmodel.bench.mjs
// Env: DOCMODEL_BENCH_EVENTS (default 1e6), DAQKIT_BENCH_DATA (where the msgpack file goes; default a temp dir,
// removed afterwards), DOCMODEL_BENCH_PHASES (comma-separated phase names, default all; the read phases need the
// file the export phase writes).
// Machine-readable output: one `@@bench {"workload":"docmodel.<phase>",…}` line per figure (events/s wall, events
// per CPU-s, peak RSS).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";

// Each phase's child process imports docmodel by the URLs this process resolved (through bench/resolve-hook.mjs when
// `pnpm bench --baseline` measures another build, so both builds are resolved the same way) and is started without
// DAQKIT_BENCH_ROOT, so it runs no module-hooks thread: that thread alone added ≈ 10 MiB to a phase's peak RSS.
const MAIN_URL = process.env.DOCMODEL_BENCH_MAIN_URL ?? import.meta.resolve("@daqkit/docmodel");
const NODE_URL = process.env.DOCMODEL_BENCH_NODE_URL ?? import.meta.resolve("@daqkit/docmodel/node");
const { composeRun, decodeMsgpackRecords } = await import(MAIN_URL);
const { exportMsgpack, loadMsgpackRun, openMsgpackCatalog } = await import(NODE_URL);

const N = Number(process.env.DOCMODEL_BENCH_EVENTS ?? 1_000_000);
const KEYS = ["x0", "x1", "x2", "x3", "x4"];
const REF = {
  "compose-validate": 10_000,
  "compose-novalidate": 247_000,
  export: 146_000,
  "read-records": 806_000,
  "read-load": 806_000,
  "read-columns": 806_000,
};
const LABELS = {
  "compose-validate": "compose + validate",
  "compose-novalidate": "compose, no validation",
  export: "export → msgpack (one-row pages)",
  "read-records": "read back: decode every record",
  "read-load": "read back: loadMsgpackRun + read()",
  "read-columns": "read back: catalog index+run+read()",
};
const dataKeys = Object.fromEntries(KEYS.map((k) => [k, { dtype: "number", shape: [], source: `sim:${k}` }]));

function* compose(validate) {
  const run = composeRun({ uid: "bench-run", time: 1700000000, metadata: { plan_name: "bench" }, validate });
  yield ["start", run.startDoc];
  const d = run.composeDescriptor({ name: "primary", data_keys: dataKeys, time: 1700000000, validate });
  yield ["descriptor", d.descriptorDoc];
  for (let i = 0; i < N; i++) {
    const t = 1700000000 + i * 1e-3;
    const data = { x0: i, x1: i * 0.5, x2: Math.sin(i), x3: -i, x4: 1.25 };
    yield ["event", d.composeEvent({ data, timestamps: { x0: t, x1: t, x2: t, x3: t, x4: t }, time: t, validate })];
  }
  yield ["stop", run.composeStop({ time: 1700000000 + N * 1e-3, validate })];
}

async function phase(name, dir) {
  const file = join(dir, "bench-run.msgpack");
  let events = N;
  let t0 = performance.now();
  let c0 = process.cpuUsage();
  let extra = "";
  switch (name) {
    case "compose-validate":
    case "compose-novalidate": {
      let n = 0;
      for (const [kind] of compose(name === "compose-validate")) if (kind === "event") n++;
      events = n;
      break;
    }
    case "export": {
      // Streaming export of composed documents (no list of 1 M documents held in memory). The export-only cost is
      // the total minus composing the same documents without exporting, both measured here.
      rmSync(file, { force: true });
      for (const _ of compose(false));
      const composeCpu = process.cpuUsage(c0);
      const composeWall = performance.now() - t0;
      t0 = performance.now();
      c0 = process.cpuUsage();
      await exportMsgpack(compose(false), dir);
      const total = process.cpuUsage(c0);
      const totalWall = performance.now() - t0;
      extra = `file ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB; compose+export ${(N / (totalWall / 1000) / 1e3).toFixed(0)} k events/s wall`;
      // Report export alone: subtract the compose-only time.
      return {
        name,
        events: N,
        seconds: (totalWall - composeWall) / 1000,
        cpuSeconds: (total.user + total.system - composeCpu.user - composeCpu.system) / 1e6,
        maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
        extra,
      };
    }
    case "read-records": {
      const bytes = readFileSync(file);
      events = 0;
      for (const [kind, doc] of decodeMsgpackRecords(bytes)) if (kind === "event_page") events += doc.seq_num.length;
      break;
    }
    case "read-load": {
      const cols = loadMsgpackRun(file).stream("primary").read();
      events = cols.length;
      break;
    }
    case "read-columns": {
      const { catalog } = openMsgpackCatalog(dir);
      const run = await catalog.run("bench-run");
      const cols = run.stream("primary").read();
      events = cols.length;
      extra = `columns ${Object.keys(cols.columns).join(",")} (${cols.columns.x0.dtype})`;
      break;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  return {
    name,
    events,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    extra,
  };
}

const [, , childPhase, childDir] = process.argv;
if (childPhase) {
  process.stdout.write(JSON.stringify(await phase(childPhase, childDir)));
} else {
  const base = process.env.DAQKIT_BENCH_DATA ?? mkdtempSync(join(tmpdir(), "docmodel-bench-"));
  const dir = join(base, "docmodel");
  mkdirSync(dir, { recursive: true });
  console.log(`docmodel bench: ${N} events × ${KEYS.length} number keys, node ${process.version}, load average ${loadavg()[0].toFixed(1)}`);
  // Machine calibration: CPU time of a trivial integer loop (an idle 3 GHz core: ≈ 0.3–0.5 ns per iteration).
  const c0 = process.cpuUsage();
  let acc = 0;
  for (let i = 0; i < 1e8; i++) acc = (acc + i) | 0;
  const calib = process.cpuUsage(c0);
  console.log(`calibration: ${((calib.user + calib.system) / 1e5).toFixed(2)} ns CPU per trivial loop iteration (${acc & 1})`);
  const phases = process.env.DOCMODEL_BENCH_PHASES?.split(",") ?? Object.keys(LABELS);
  const { DAQKIT_BENCH_ROOT: _resolvedAbove, ...childEnv } = process.env;
  for (const name of phases) {
    if (!(name in LABELS)) throw new Error(`docmodel bench: unknown phase ${name} (phases: ${Object.keys(LABELS).join(", ")})`);
    const out = JSON.parse(
      execFileSync(process.execPath, [new URL(import.meta.url).pathname, name, dir], {
        encoding: "utf8",
        maxBuffer: 1 << 20,
        env: { ...childEnv, DOCMODEL_BENCH_MAIN_URL: MAIN_URL, DOCMODEL_BENCH_NODE_URL: NODE_URL },
      }),
    );
    const rate = out.events / out.seconds;
    const cpuRate = out.events / out.cpuSeconds;
    console.log(
      `${LABELS[name].padEnd(34)} ${(rate / 1e3).toFixed(0).padStart(6)} k events/s (${(rate / REF[name]).toFixed(1)}× ref)` +
        `  ${out.seconds.toFixed(2)} s wall, ${out.cpuSeconds.toFixed(2)} s CPU → ${(cpuRate / 1e3).toFixed(0)} k events/CPU-s (${(cpuRate / REF[name]).toFixed(1)}×)` +
        `  peak RSS ${out.maxRssMiB} MiB  ${out.extra}`,
    );
    const figure = (metric, value, better) =>
      console.log(`@@bench ${JSON.stringify({ workload: `docmodel.${name}`, metric, value, better })}`);
    figure("events/s", Math.round(rate), "higher");
    figure("events/CPU-s", Math.round(cpuRate), "higher");
    figure("peak RSS MiB", out.maxRssMiB, "lower");
  }
  if (!process.env.DAQKIT_BENCH_DATA) rmSync(base, { recursive: true, force: true });
}
