import { defineConfig } from "tsup";
import shared from "../../tsup.shared.js";

// Two entries: the library and the worker-thread script that BinDirectory starts for conversions.
export default defineConfig({ ...(shared as object), entry: ["src/index.ts", "src/convert-worker.ts"] });
