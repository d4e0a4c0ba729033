import { defineConfig } from "tsup";
import shared from "../../tsup.shared.js";

// The shared configuration plus the Node-only entry point `@daqkit/lh5/node` (h5wasm and its plugins come through @daqkit/io).
export default defineConfig({ ...(shared as object), entry: ["src/index.ts", "src/node.ts"] });
