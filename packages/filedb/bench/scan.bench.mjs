// FileDB scan benchmark (issue 5): name scan (names, file_status, sizes) of a synthetic 20 000-file
// tree (4 000 cycles × 5 tiers, prod-ref-l200 naming) and table/column scan of 500 real-format LH5
// files (one real cycle copied under 125 names). Reference figures measured in the same run:
// `find -type f` and `find -printf '%s'` over the same tree; pygama.flow's rates (62 000 and 1 700
// files/s, measured by the lead on this machine) are quoted from the issue, pygama is not installed here.
//
// Which `find` is the fair comparison (issue 17: "within 1.5× of find"): `find -printf '%s'`. The
// scan must give every tier file's size (`{tier}_size`, spec filedb-loader §1.6, pygama's
// `os.path.getsize`) and existence (`file_status`), so it stats each of the 20 000 names — the 4 000
// lowest-tier files found by the walk and the 16 000 names derived for the other tiers (which are
// never listed, §1.5) — and `find -printf '%s'` stats each file too (fstatat per entry). Nothing
// else per file is needed (no mtime, owner, …), and there is no names-only scan to skip the stats
// for. Plain `find -type f` never stats: it reads directory entries and their d_type only, which is
// the walk part of our scan alone; it is printed for reference.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FileDb } from "@daqkit/filedb/node";
import { emit } from "../../../bench/lib.mjs";

const PYGAMA_NAME_SCAN = 62_000;
const PYGAMA_TABLE_SCAN = 1_700;
const root = process.env.DAQKIT_BENCH_DATA ?? join(process.cwd(), "bench", ".data");
const testdata = join(import.meta.dirname, "../../../../shared/testdata/lh5/prod-ref-l200/generated/tier");
const TIERS = ["raw", "dsp", "hit", "tcm", "evt"];
const CYCLES = 4000;

function key(i) {
  const d = new Date(Date.UTC(2023, 0, 1) + i * 3_600_000 + (i % 7) * 61_000);
  return d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}
function cycle(i) {
  const type = i % 5 === 0 ? "cal" : "phy";
  const period = `p${String(3 + Math.floor(i / 1000)).padStart(2, "0")}`;
  const run = `r${String(Math.floor(i / 50) % 20).padStart(3, "0")}`;
  return { type, period, run, timestamp: key(i) };
}
const fileFormat = Object.fromEntries(
  TIERS.map((t) => [t, `/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-{timestamp}-tier_${t}.lh5`]),
);
function config(dataDir, tiers = TIERS) {
  return {
    data_dir: dataDir,
    tier_dirs: Object.fromEntries(tiers.map((t) => [t, `/${t}`])),
    file_format: Object.fromEntries(tiers.map((t) => [t, fileFormat[t]])),
    table_format: { raw: "ch{ch:07d}/raw", dsp: "ch{ch:07d}/dsp", hit: "ch{ch:07d}/hit", tcm: "hardware_tcm_1", evt: "{grp}/evt" },
  };
}
const pick = (o, keys) => Object.fromEntries(keys.map((k) => [k, o[k]]));
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
/** CPU seconds (user + sys) of a child command, from bash's `times`. */
function childCpu(cmd) {
  const r = spawnSync("bash", ["-c", `${cmd} > /dev/null; times`], { encoding: "utf8" });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  const m = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((x) => Number(x[1]) * 60 + Number(x[2]));
  return (m[0] ?? Number.NaN) + (m[1] ?? Number.NaN);
}
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// --- 1. name scan -------------------------------------------------------------------------------
const tree = join(root, "filedb-tree-20000");
if (!existsSync(join(tree, ".complete"))) {
  rmSync(tree, { recursive: true, force: true });
  const t0 = performance.now();
  for (let i = 0; i < CYCLES; i++) {
    const c = cycle(i);
    for (const t of TIERS) {
      const dir = join(tree, t, c.type, c.period, c.run);
      if (i % 50 === 0 || i % 5 < 2) mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `l200-${c.period}-${c.run}-${c.type}-${c.timestamp}-tier_${t}.lh5`), Buffer.alloc((i * 7 + t.length) % 97));
    }
  }
  writeFileSync(join(tree, ".complete"), "");
  console.log(`generated ${CYCLES * TIERS.length} files in ${((performance.now() - t0) / 1000).toFixed(1)} s under ${tree}`);
}
// find, find -printf '%s' (stats every file, as the scan does for sizes) and the scan, interleaved.
const findCmd = (printf) => [tree, "-type", "f", ...(printf ? ["-name", "*.lh5", "-printf", "%s\n"] : [])];
const T = { find: [], findp: [], scan: [] };
const C = { find: [], findp: [], scan: [] };
let db;
for (let k = 0; k < 7; k++) {
  for (const printf of [false, true]) {
    const t0 = performance.now();
    const r = spawnSync("find", findCmd(printf), { maxBuffer: 1 << 26 });
    T[printf ? "findp" : "find"].push((performance.now() - t0) / 1000);
    if (r.status !== 0) throw new Error(`find failed: ${r.stderr}`);
    C[printf ? "findp" : "find"].push(childCpu(`find ${tree} -type f${printf ? ` -name '*.lh5' -printf '%s\\n'` : ""}`));
  }
  const c0 = cpuMs();
  const t0 = performance.now();
  db = FileDb.fromConfig(config(tree));
  T.scan.push((performance.now() - t0) / 1000);
  C.scan.push((cpuMs() - c0) / 1000);
}
if (db.length !== CYCLES) throw new Error(`expected ${CYCLES} rows, got ${db.length}`);
if (db.query("file_status == 31").length !== CYCLES) throw new Error("not every cycle has all 5 tiers");
const files = CYCLES * TIERS.length;
const tScan = median(T.scan);
const tFind = median(T.find);
const tFindP = median(T.findp);
console.log(
  `name scan: ${files} files (${CYCLES} cycles × ${TIERS.length} tiers; walk + parse + derive + stat for status and size + sort), medians of ${T.scan.length} interleaved rounds`,
);
const cScan = median(C.scan);
console.log(
  `  daqkit FileDb.fromConfig   wall ${tScan.toFixed(3)} s  ${Math.round(files / tScan).toLocaleString("en")} files/s; cpu ${cScan.toFixed(3)} s  ${Math.round(files / cScan).toLocaleString("en")} files/cpu-s`,
);
console.log(
  `  find -type f               wall ${tFind.toFixed(3)} s  ${Math.round(files / tFind).toLocaleString("en")} files/s; cpu ${median(C.find).toFixed(3)} s (wall incl. process spawn)`,
);
console.log(
  `  find -printf '%s'          wall ${tFindP.toFixed(3)} s  ${Math.round(files / tFindP).toLocaleString("en")} files/s; cpu ${median(C.findp).toFixed(3)} s (wall incl. process spawn)`,
);
console.log(
  `  ratio daqkit/find: wall ${(tScan / tFind).toFixed(2)}× (find -printf: ${(tScan / tFindP).toFixed(2)}×), cpu ${(cScan / median(C.find)).toFixed(2)}× (${(cScan / median(C.findp)).toFixed(2)}×) (target ≤ 1.5×)`,
);
console.log(
  `  vs pygama ${PYGAMA_NAME_SCAN.toLocaleString("en")} files/s (issue figure): wall ${(files / tScan / PYGAMA_NAME_SCAN).toFixed(1)}×, cpu ${(files / cScan / PYGAMA_NAME_SCAN).toFixed(1)}× (target ≥ 4×)`,
);
emit("filedb.name-scan", "files/s", files / tScan, "higher");
emit("filedb.name-scan-cpu", "files/cpu-s", files / cScan, "higher");
emit("filedb.name-scan-vs-find", "time ratio", tScan / tFind, "lower");
emit("filedb.name-scan-vs-find-printf", "time ratio", tScan / tFindP, "lower");
const queryTimes = [];
let sel;
for (let k = 0; k < 7; k++) {
  const tQuery0 = performance.now();
  sel = db.query("type == 'cal' and run in ['r001', 'r002'] and file_status == 31");
  queryTimes.push(performance.now() - tQuery0);
}
console.log(
  `  query over ${CYCLES} rows: first ${queryTimes[0].toFixed(2)} ms, median ${median(queryTimes).toFixed(2)} ms (${sel.length} rows)`,
);

// --- 2. table/column scan -----------------------------------------------------------------------
const real = join(root, "filedb-real-500");
const REAL_TIERS = ["raw", "dsp", "hit", "tcm"];
const src = cycle(0);
if (!existsSync(join(real, ".complete"))) {
  rmSync(real, { recursive: true, force: true });
  for (let i = 0; i < 125; i++) {
    const c = { ...cycle(i), type: "phy", period: "p03", run: "r001" };
    for (const t of REAL_TIERS) {
      const dir = join(real, t, c.type, c.period, c.run);
      mkdirSync(dir, { recursive: true });
      copyFileSync(
        join(testdata, t, "phy/p03/r001", `l200-p03-r001-phy-20230322T160139Z-tier_${t}.lh5`),
        join(dir, `l200-${c.period}-${c.run}-${c.type}-${c.timestamp}-tier_${t}.lh5`),
      );
    }
  }
  writeFileSync(join(real, ".complete"), "");
}
void src;
const realConfig = config(real, REAL_TIERS);
realConfig.table_format = pick(realConfig.table_format, REAL_TIERS);
const tableTimes = [];
const tableCpu = [];
let tdb;
for (let k = 0; k < 5; k++) {
  tdb = FileDb.fromConfig(realConfig);
  const c0 = cpuMs();
  const t0 = performance.now();
  const report = await tdb.scanTablesColumns();
  tableTimes.push((performance.now() - t0) / 1000);
  tableCpu.push((cpuMs() - c0) / 1000);
  if (report.filesOpened !== 500) throw new Error(`opened ${report.filesOpened} files`);
}
const slowDb = FileDb.fromConfig(realConfig);
const s0 = performance.now();
const sc0 = cpuMs();
await slowDb.scanTablesColumns({ fastLinks: false });
const tSlow = (performance.now() - s0) / 1000;
const cSlow = (cpuMs() - sc0) / 1000;
if (JSON.stringify(slowDb.records()) !== JSON.stringify(tdb.records())) throw new Error("fast and lh5 table scans differ");
if (tdb.columns.length !== 6) throw new Error(`expected 6 column lists, got ${tdb.columns.length}`);
const tTables = median(tableTimes);
const cTables = median(tableCpu);
console.log(`table/column scan: 500 LH5 files (125 copies of the phy cycle 20230322T160139Z, tiers ${REAL_TIERS.join(", ")})`);
console.log(
  `  daqkit scanTablesColumns            wall ${tTables.toFixed(3)} s  ${Math.round(500 / tTables).toLocaleString("en")} files/s; cpu ${cTables.toFixed(3)} s  ${Math.round(500 / cTables).toLocaleString("en")} files/cpu-s (medians of ${tableTimes.length})`,
);
console.log(
  `  same via @daqkit/lh5 (fastLinks off) wall ${tSlow.toFixed(3)} s  ${Math.round(500 / tSlow).toLocaleString("en")} files/s; cpu ${cSlow.toFixed(3)} s (one run)`,
);
console.log(
  `  vs pygama ${PYGAMA_TABLE_SCAN.toLocaleString("en")} files/s (issue figure): wall ${(500 / tTables / PYGAMA_TABLE_SCAN).toFixed(2)}×, cpu ${(500 / cTables / PYGAMA_TABLE_SCAN).toFixed(2)}× (target ≥ 5×)`,
);
emit("filedb.table-scan", "files/s", 500 / tTables, "higher");
emit("filedb.table-scan-cpu", "files/cpu-s", 500 / cTables, "higher");
console.log(
  `load average during the run: ${(await import("node:os"))
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")} on ${(await import("node:os")).cpus().length} CPUs`,
);
console.log(`peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
