import { defineConfig } from "tsup";
import shared, { vendorH5wasmPlugins } from "../../tsup.shared.js";

// The shared configuration plus the Node-only entry point `@daqkit/io/node` and the Arrow entry `@daqkit/io/arrow`, with h5wasm-plugins shipped in dist.
export default defineConfig({ ...(shared as object), ...vendorH5wasmPlugins, entry: ["src/index.ts", "src/node.ts", "src/arrow.ts"] });
