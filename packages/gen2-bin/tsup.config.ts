import { defineConfig } from "tsup";
import shared from "../../tsup.shared.js";

// Four entries: the platform-neutral library, its Node entry `@daqkit/gen2-bin/node`, and the
// worker-thread scripts that BinDirectory starts for conversions and readGen2FileArrays for the
// split decode of one large file.
export default defineConfig({
  ...(shared as object),
  entry: ["src/index.ts", "src/node.ts", "src/convert-worker.ts", "src/decode-worker.ts"],
});
