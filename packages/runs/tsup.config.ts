import { defineConfig } from "tsup";
import shared from "../../tsup.shared.js";

// The shared configuration plus the Node-only entry point `@daqkit/runs/node`.
export default defineConfig({ ...(shared as object), entry: ["src/index.ts", "src/node.ts"] });
