import { defineConfig } from "tsup";
import shared from "../../tsup.shared.js";

// The shared build plus the worker script of the parallel loader (dist/load-worker.js).
export default defineConfig({ ...(shared as object), entry: ["src/index.ts", "src/load-worker.ts"] });
