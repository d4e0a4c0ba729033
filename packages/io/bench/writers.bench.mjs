// @daqkit/io writers benchmark: the atomic writer's cost (temporary + fsync + rename + stale scan) against a
// plain fs.writeFile, and the streaming Parquet writer on a photon-like table, with ratios from the same run.
// Run: pnpm exec turbo run build --filter @daqkit/io && node packages/io/bench/writers.bench.mjs
// Env: IO_BENCH_ROWS (default 5e6 rows for Parquet), IO_BENCH_FILES (default 200 small files).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileAtomic, writeTableFile } from "@daqkit/io/node";
import { tableFromArrays } from "apache-arrow";
import { emit } from "../../../bench/lib.mjs";

const ROWS = Number(process.env.IO_BENCH_ROWS ?? 5_000_000);
const FILES = Number(process.env.IO_BENCH_FILES ?? 200);
const dir = mkdtempSync(join(tmpdir(), "daqkit-io-bench-"));

async function time(fn) {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

try {
  const small = new Uint8Array(64 * 1024).fill(7);
  const plain = await time(async () => {
    for (let i = 0; i < FILES; i++) writeFileSync(join(dir, `p${i}.bin`), small);
  });
  const atomic = await time(async () => {
    for (let i = 0; i < FILES; i++) await writeFileAtomic(join(dir, `a${i}.bin`), small);
  });
  const atomicNoSync = await time(async () => {
    for (let i = 0; i < FILES; i++) await writeFileAtomic(join(dir, `n${i}.bin`), small, { fsync: false });
  });
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
  console.log(
    `${FILES} × 64 KiB: writeFileSync ${((plain * 1000) / FILES).toFixed(2)} ms/file, writeFileAtomic ${((atomic * 1000) / FILES).toFixed(2)} ms/file (${(atomic / plain).toFixed(1)}×), without fsync ${((atomicNoSync * 1000) / FILES).toFixed(2)} ms/file (${(atomicNoSync / plain).toFixed(1)}×)`,
  );

  emit("io.write-plain", "ms/file", (plain * 1000) / FILES, "lower");
  emit("io.write-atomic", "ms/file", (atomic * 1000) / FILES, "lower");
  emit("io.write-atomic-nofsync", "ms/file", (atomicNoSync * 1000) / FILES, "lower");

  const batch = 1 << 20;
  function* tables() {
    for (let at = 0; at < ROWS; at += batch) {
      const n = Math.min(batch, ROWS - at);
      yield tableFromArrays({
        xy: new Uint16Array(n).map((_, i) => (at + i) & 0xffff),
        timestamp: new BigInt64Array(n).map((_, i) => BigInt(at + i) * 7n),
        phase: new Int32Array(n).map((_, i) => (i * 37) & 0x3ffff),
        baseline: new Int32Array(n).map((_, i) => (i * 11) & 0x1ffff),
      });
    }
  }
  const pq = await time(() =>
    writeTableFile(join(dir, "t.parquet"), tables(), { dictionary: false, columnEncoding: { timestamp: "DELTA_BINARY_PACKED" } }),
  );
  const arrow = await time(() => writeTableFile(join(dir, "t.arrow"), tables()));
  emit("io.write-parquet", "M rows/s", ROWS / pq / 1e6, "higher");
  emit("io.write-arrow", "M rows/s", ROWS / arrow / 1e6, "higher");
  console.log(
    `${ROWS} rows: Parquet ${(ROWS / pq / 1e6).toFixed(2)} M rows/s, Arrow IPC ${(ROWS / arrow / 1e6).toFixed(2)} M rows/s; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
