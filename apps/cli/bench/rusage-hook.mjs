// Preloaded (`node --import …/rusage-hook.mjs CLI ARGS`) into every process the scale-out bench measures, and
// so also into any child the CLI starts with the same Node options (process.execArgv): at exit each process
// writes its peak RSS, its CPU time (user + system, all threads) and its main thread's CPU time on stderr,
// where scale-out.bench.mjs sums them.
import { readFileSync } from "node:fs";

/** CPU seconds of this process's main thread (Linux /proc; NaN elsewhere). The rest is its helper threads. */
function mainThreadCpu() {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return Number.NaN;
  }
}

process.on("exit", () => {
  const u = process.resourceUsage();
  process.stderr.write(`\n@@rss ${u.maxRSS * 1024} @@cpu ${(u.userCPUTime + u.systemCPUTime) / 1e6} @@main ${mainThreadCpu()}\n`);
});
