// Helpers for *.bench.mjs files: the machine-readable figure line that `bench/run.mjs` collects, and
// the checkout whose build is measured (DAQKIT_BENCH_ROOT, default this one) for benches that spawn
// built files (the CLI) by path. Imports of packages need nothing: bench/preload.mjs redirects them.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout whose build a bench measures: DAQKIT_BENCH_ROOT, or this one. */
export const benchRoot = process.env.DAQKIT_BENCH_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Print one figure as `@@bench {"workload":…,"metric":…,"value":…,"better":…}` (one line; the
 * human-readable lines stay as they are). `workload` is `<pkg>.<name>`; `better` "higher" or "lower".
 */
export function emit(workload, metric, value, better) {
  if (better !== "higher" && better !== "lower") throw new Error(`emit: better must be "higher" or "lower", not ${better}`);
  if (!Number.isFinite(value)) return; // a figure that could not be measured is left out, not printed as null
  console.log(`@@bench ${JSON.stringify({ workload, metric, value, better })}`);
}
