import { defineConfig } from "tsup";
import shared from "../../tsup.shared.js";

// The shared build plus the Node entry (`@daqkit/loader/node`) and the worker script of the parallel loader (dist/load-worker.js).
export default defineConfig({ ...(shared as object), entry: ["src/index.ts", "src/node.ts", "src/load-worker.ts"] });
