import { defineConfig } from "tsup";
import shared from "../../tsup.shared.js";

// Five entries: the platform-neutral library, its Node entry `@daqkit/gen2-bin/node`, the
// worker-thread scripts that BinDirectory starts for conversions and readGen2FileArrays for the
// split decode of one large file, and the Web Worker of the split decode of a `File` in a
// cross-origin-isolated page (`web-split-worker.js`, found beside the main entry).
export default defineConfig({
  ...(shared as object),
  entry: ["src/index.ts", "src/node.ts", "src/convert-worker.ts", "src/decode-worker.ts", "src/web-split-worker.ts"],
});
