// Benchmark: load a superrun of 10 runs × 100 MB of strax `records` rows (blosc, 10 chunks per run,
// written with our writer), streaming chunk by chunk; and a single run. Reports MB/s of raw rows and
// peak RSS of each measurement (each in its own child process).
//
//   node packages/runs/bench/superrun.bench.mjs            (after building @daqkit/runs)
//   DAQKIT_BENCH_DATA=/big/disk node …                     (where the 1 GB per profile is generated; reused)
//   DAQKIT_BENCH_PROFILES=noise,sparse                     (waveform content; default both)
//   DAQKIT_BENCH_WORKERS=auto|0|1                          (decode worker threads; default: library default)
//
// Reference (issue #7, strax 2.2.3 measured on the same workload): unstored superrun ≈ 305 MB/s
// (peak 2.2 GB), single run ≈ 860 MB/s. Targets: superrun ≥ 2× strax (610 MB/s), single run ≥ 0.7×
// strax (602 MB/s), peak RSS < 500 MB when streaming.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DataDirectory, defineRun, deterministicHash, iterateChunks, parseDtype, chunkToRecordBatch } from "@daqkit/runs/node";
import { emit } from "../../../bench/lib.mjs";

const RECORDS_DTYPE =
  "[(('Start time since unix epoch [ns]', 'time'), '<i8'), (('Length of the interval in samples', 'length'), '<i4'), (('Width of one sample [ns]', 'dt'), '<i2'), (('Channel/PMT number', 'channel'), '<i2'), (('Length of pulse to which the record belongs (without zero-padding)', 'pulse_length'), '<i4'), (('Fragment number in the pulse', 'record_i'), '<i2'), (('Integral in ADC counts x samples', 'area'), '<i4'), (('Level of data reduction applied (strax.ReductionLevel enum)', 'reduction_level'), '|u1'), (('Baseline in ADC counts. data = int(baseline) - data_orig', 'baseline'), '<f4'), (('Baseline RMS in ADC counts. data = baseline - data_orig', 'baseline_rms'), '<f4'), (('Multiply data by 2**(this number). Baseline is unaffected.', 'amplitude_bit_shift'), '<i2'), (('Waveform data in raw counts above integer part of baseline', 'data'), '<i2', (110,))]";
const LINEAGE = { records: ["Records", "0.0.0", { crash: false, dummy_tracked_option: 42 }] };
const RUNS = 10;
const RUN_BYTES = 100e6;
const CHUNKS_PER_RUN = 10;
const T0 = 1_700_000_000_000_000_000n;
const RUN_SPACING_NS = 10_000_000_000n; // 10 s between run starts
const ROW_SPACING_NS = 2_000n;

const dtype = parseDtype(RECORDS_DTYPE);
const off = Object.fromEntries(dtype.fields.map((f) => [f.name, f.byteOffset]));

/**
 * Fill `rows` rows starting at global row `first`. `noise`: a pulse over ±4 ADC noise on every
 * sample (compresses ~2×, blosc's slow case); `sparse`: a short pulse then zero padding, as
 * zero-suppressed DAQ records mostly are (compresses well).
 */
function makeRows(n, first, runStart, profile, seed) {
  const size = dtype.itemsize;
  const buf = new Uint8Array(n * size);
  const view = new DataView(buf.buffer);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    const o = i * size;
    const t = runStart + BigInt(first + i) * ROW_SPACING_NS;
    view.setBigInt64(o + off.time, t, true);
    view.setInt32(o + off.length, 110, true);
    view.setInt16(o + off.dt, 10, true);
    view.setInt16(o + off.channel, (first + i) % 494, true);
    const pulse = 30 + ((first + i) % 80);
    view.setInt32(o + off.pulse_length, pulse, true);
    view.setFloat32(o + off.baseline, 16000 + ((first + i) % 7), true);
    view.setFloat32(o + off.baseline_rms, 2.5, true);
    let area = 0;
    const samples = profile === "noise" ? 110 : pulse;
    for (let j = 0; j < samples; j++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const noise = ((s >>> 16) % 9) - 4;
      const signal = j >= 10 && j < 20 ? 50 * (20 - j) : 0;
      const v = signal + noise;
      area += v;
      view.setInt16(o + off.data + 2 * j, v, true);
    }
    view.setInt32(o + off.area, area, true);
  }
  return buf;
}

async function generate(root, profile) {
  const marker = join(root, "COMPLETE");
  if (existsSync(marker)) return false;
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  const dir = new DataDirectory(root, { overwrite: "always" });
  const rowsPerRun = Math.floor(RUN_BYTES / dtype.itemsize);
  const rowsPerChunk = Math.ceil(rowsPerRun / CHUNKS_PER_RUN);
  const started = performance.now();
  for (let r = 0; r < RUNS; r++) {
    const runId = `r${String(r).padStart(2, "0")}`;
    const runStart = T0 + BigInt(r) * RUN_SPACING_NS;
    const w = await dir.openWriter({ key: { runId, dataType: "records" }, dtype, lineage: LINEAGE });
    let chunkStart = runStart;
    for (let c = 0; c < CHUNKS_PER_RUN; c++) {
      const first = c * rowsPerChunk;
      const n = Math.min(rowsPerChunk, rowsPerRun - first);
      const data = makeRows(n, first, runStart, profile, r * 1000 + c + 1);
      const end =
        c === CHUNKS_PER_RUN - 1 ? runStart + BigInt(rowsPerRun) * ROW_SPACING_NS : runStart + BigInt(first + n) * ROW_SPACING_NS - 500n;
      await w.write({ runId, dataType: "records", dataKind: "records", dtype, start: chunkStart, end, n, data, subruns: null });
      chunkStart = end;
    }
    await w.close();
    const ms = Number(runStart / 1_000_000n);
    await dir.writeRunDoc(
      {
        name: runId,
        start: new Date(ms),
        end: new Date(ms + Math.ceil(Number(BigInt(rowsPerRun) * ROW_SPACING_NS) / 1e6)),
        mode: "bench",
        extra: {},
      },
      { overwrite: true },
    );
  }
  await defineRun(
    dir,
    "_bench",
    Array.from({ length: RUNS }, (_, r) => `r${String(r).padStart(2, "0")}`),
    { overwrite: true },
  );
  const { writeFile } = await import("node:fs/promises");
  await writeFile(marker, `${new Date().toISOString()}\n`);
  process.stderr.write(`generated ${profile} data in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return true;
}

/** Child-process measurement: stream (run, records), touching the time column of every chunk. */
async function measure(root, runId, arrow, workers) {
  const dir = new DataDirectory(root, { readonly: true });
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  let bytes = 0;
  let rows = 0;
  let chunks = 0;
  let check = 0n;
  for await (const chunk of iterateChunks(dir, runId, "records", { workers })) {
    bytes += chunk.data.byteLength;
    rows += chunk.n;
    chunks++;
    if (chunk.n > 0) {
      const view = new DataView(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength);
      check += view.getBigInt64((chunk.n - 1) * dtype.itemsize, true);
      if (arrow) check += BigInt(chunkToRecordBatch(chunk).numRows);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    runId,
    arrow,
    rows,
    chunks,
    mb: bytes / 1e6,
    seconds,
    mbPerS: bytes / 1e6 / seconds,
    cpuSeconds,
    mbPerCpuS: bytes / 1e6 / cpuSeconds,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    check: check.toString(),
  };
}

const self = fileURLToPath(import.meta.url);
if (process.argv[2] === "--measure") {
  const [, , , root, runId, arrow, workers] = process.argv;
  console.log(JSON.stringify(await measure(root, runId, arrow === "arrow", workers === "auto" ? undefined : workers !== "0")));
} else {
  const base = process.env.DAQKIT_BENCH_DATA ?? join(tmpdir(), "daqkit-bench");
  const profiles = (process.env.DAQKIT_BENCH_PROFILES ?? "sparse,noise").split(",");
  const repeats = Number(process.env.DAQKIT_BENCH_REPEATS ?? 2);
  const workers = process.env.DAQKIT_BENCH_WORKERS ?? "auto"; // auto = the library default
  const { loadavg, availableParallelism } = await import("node:os");
  console.log(
    `@daqkit/runs superrun benchmark: ${RUNS} runs × ${RUN_BYTES / 1e6} MB records (itemsize ${dtype.itemsize}), ${CHUNKS_PER_RUN} chunks/run, blosc`,
  );
  console.log(
    `data under ${base}; lineage ${deterministicHash(LINEAGE)}; node ${process.version}; ${availableParallelism()} cores; decode workers ${workers === "0" ? "off" : workers === "auto" ? "auto (≥ 256 MB to read)" : "on"}`,
  );
  for (const profile of profiles) {
    const root = join(base, `runs-superrun-${profile}`);
    await generate(root, profile);
    const { execSync } = await import("node:child_process");
    const size = execSync(`du -sm ${JSON.stringify(root)}`)
      .toString()
      .split("\t")[0];
    console.log(`\nprofile ${profile}: ${size} MB on disk`);
    for (const [label, runId, arrow, key] of [
      ["single run, raw chunks", "r00", "", "single"],
      ["superrun (unstored, 10 subruns), raw chunks", "_bench", "", "superrun"],
      ["superrun (unstored), chunks → Arrow RecordBatch", "_bench", "arrow", "superrun-arrow"],
    ]) {
      let best;
      for (let k = 0; k < repeats; k++) {
        const out = spawnSync(process.execPath, [self, "--measure", root, runId, arrow, workers], { encoding: "utf8" });
        if (out.status !== 0) throw new Error(out.stderr);
        const res = JSON.parse(out.stdout.trim().split("\n").pop());
        if (!best || res.mbPerS > best.mbPerS) best = res;
      }
      const target = runId === "r00" ? 0.7 * 860 : 2 * 305;
      const ref = runId === "r00" ? 860 : 305;
      console.log(
        `  ${label.padEnd(50)} ${best.mb.toFixed(0).padStart(5)} MB in ${best.seconds.toFixed(2).padStart(6)} s = ${best.mbPerS.toFixed(0).padStart(5)} MB/s ` +
          `(${(best.mbPerS / ref).toFixed(2)}× strax ${ref} MB/s; target ${target.toFixed(0)}); ${best.mbPerCpuS.toFixed(0)} MB per CPU-second; peak RSS ${best.maxRssMb.toFixed(0)} MB; ${best.chunks} chunks; load avg ${loadavg()[0].toFixed(1)}`,
      );
      emit(`runs.${profile}.${key}`, "MB/s", best.mbPerS, "higher");
      emit(`runs.${profile}.${key}-rss`, "MiB", best.maxRssMb, "lower");
    }
  }
}
