// Loaded into every Node process of a benchmark run by `bench/run.mjs` (NODE_OPTIONS=--import=…, so
// a bench's own child processes get it too; worker threads are skipped). Two jobs:
// 1. Peak RSS: at exit, append {pid, ppid, maxRssKiB} (process.resourceUsage().maxRSS) as one JSON
//    line to DAQKIT_BENCH_RSS_FILE. A file, not stdout: several benches parse their children's stdout.
// 2. DAQKIT_BENCH_ROOT: when set, register bench/resolve-hook.mjs so that packages imported from a
//    bench file in this checkout resolve in that checkout instead (the same bench code measures a
//    baseline build; `pnpm bench --baseline REF`).
import { appendFileSync } from "node:fs";
import { register } from "node:module";
import { pathToFileURL } from "node:url";
import { isMainThread } from "node:worker_threads";

if (isMainThread) {
  const rssFile = process.env.DAQKIT_BENCH_RSS_FILE;
  if (rssFile) {
    process.on("exit", () => {
      const line = { pid: process.pid, ppid: process.ppid, maxRssKiB: process.resourceUsage().maxRSS, argv: process.argv.slice(1, 3) };
      try {
        appendFileSync(rssFile, `${JSON.stringify(line)}\n`);
      } catch {
        // the harness is gone or its folder was removed: nothing to report to
      }
    });
  }
  const root = process.env.DAQKIT_BENCH_ROOT;
  if (root) {
    const from = new URL("..", import.meta.url).href;
    const to = pathToFileURL(root.endsWith("/") ? root : `${root}/`).href;
    register("./resolve-hook.mjs", import.meta.url, { data: { from, to } });
  }
}
