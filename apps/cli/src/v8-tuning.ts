/**
 * V8 settings of the `daqkit` process, applied before any WebAssembly module (h5wasm, parquet-wasm, the
 * blosc codecs) is compiled. Imported first by the executable's entry (src/index.ts), never by the library
 * code the tests import.
 *
 * Wasm tier-up budget: V8 runs wasm functions in its baseline compiler (Liftoff) and recompiles a function
 * with TurboFan once it has executed about `--wasm-tiering-budget` bytes of code (default 1.8 M). A daqkit
 * command runs for seconds, and a shard of a cluster job runs the same start-up as every other shard: with
 * the default, TurboFan compiles hundreds of h5wasm and zstd functions that each run only briefly (0.1–0.2 s of
 * CPU in a 1-cycle `load`, measured with `/usr/bin/time`), work that buys nothing before the process exits.
 * A ten times larger budget still tiers up the genuinely hot loops (decompression, compression) within their
 * first milliseconds. Figures: apps/cli/README.md (conventions list) and docs/scale-out.md (cost model).
 */
import { setFlagsFromString } from "node:v8";

export const WASM_TIERING_BUDGET = 20_000_000;

if (process.env.DAQKIT_V8_DEFAULTS !== "1") setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
