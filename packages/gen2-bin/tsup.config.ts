import { defineConfig } from "tsup";
import shared from "../../tsup.shared.js";

// Three entries: the platform-neutral library, its Node entry `@daqkit/gen2-bin/node`, and the
// worker-thread script that BinDirectory starts for conversions.
export default defineConfig({ ...(shared as object), entry: ["src/index.ts", "src/node.ts", "src/convert-worker.ts"] });
