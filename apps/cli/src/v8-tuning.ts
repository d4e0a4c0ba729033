/**
 * Applies the `daqkit` process's V8 flags ({@link v8FlagsFor}: the wasm tier-up budget, and no TurboFan inlining
 * for `load`) before any WebAssembly module is compiled. Imported first by the executable's entry (src/index.ts),
 * never by the library code the tests import.
 */
import { setFlagsFromString } from "node:v8";
import { v8FlagsFor } from "./v8-flags.js";

for (const flag of v8FlagsFor(process.argv.slice(2), process.env)) setFlagsFromString(flag);
