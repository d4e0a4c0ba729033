/**
 * V8 settings of the `daqkit` process: which flags it sets, for which command. src/v8-tuning.ts applies them
 * before any WebAssembly module (h5wasm, parquet-wasm, the blosc codecs) is compiled.
 *
 * Wasm tier-up budget: V8 runs wasm functions in its baseline compiler (Liftoff) and recompiles a function
 * with TurboFan once it has executed about `--wasm-tiering-budget` bytes of code (default 1.8 M). A daqkit
 * command runs for seconds, and a shard of a cluster job runs the same start-up as every other shard: with
 * the default, TurboFan compiles hundreds of h5wasm and zstd functions that each run only briefly (0.1–0.2 s of
 * CPU in a 1-cycle `load`, measured with `/usr/bin/time`), work that buys nothing before the process exits.
 * A ten times larger budget still tiers up the genuinely hot loops (decompression, compression) within their
 * first milliseconds. Figures: apps/cli/README.md (conventions list) and docs/scale-out.md (cost model).
 */

export const WASM_TIERING_BUDGET = 20_000_000;

/**
 * Commands whose process runs TurboFan without inlining (`--no-turbo-inlining`). A `daqkit load` spends its time in
 * wasm (Parquet, zstd), zlib and typed-array loops, and compiles ≈ 90 JS functions with TurboFan on V8's helper
 * threads (≈ 0.3 s of CPU per process, 15 % of a 50-cycle shard). Without inlining those compiles are smaller and its
 * helper threads use ≈ 0.1 s less (a 50-cycle shard 0.54 → 0.43 s, the 100-cycle load 0.81 → 0.67 s, medians of 6
 * interleaved runs) while its main thread takes the same time (1.44 / 1.46 s, 2.57 / 2.55 s): CPU that two shards on
 * two cores compete for and one process gets for free on the other core. Not for gen2: its decode and sort loops are
 * 7 % slower without inlining (10 files, main thread 3.31–3.43 → 3.62–3.66 s).
 */
export const NO_INLINING_COMMANDS: readonly string[] = ["load"];

/**
 * The V8 flags the `daqkit` process sets for its arguments `args` (`process.argv.slice(2)`) and environment: none
 * when `DAQKIT_V8_DEFAULTS=1`; otherwise the wasm tier-up budget, and no TurboFan inlining when the command is one of
 * {@link NO_INLINING_COMMANDS}. The command is the first argument that is not an option (the only global option,
 * `--json`, takes no value).
 */
export function v8FlagsFor(args: readonly string[], env: Readonly<Record<string, string | undefined>>): string[] {
  if (env.DAQKIT_V8_DEFAULTS === "1") return [];
  const command = args.find((a) => !a.startsWith("-"));
  return [
    `--wasm-tiering-budget=${WASM_TIERING_BUDGET}`,
    ...(command !== undefined && NO_INLINING_COMMANDS.includes(command) ? ["--no-turbo-inlining"] : []),
  ];
}
