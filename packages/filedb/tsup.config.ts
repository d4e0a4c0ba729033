import { defineConfig } from "tsup";
import shared from "../../tsup.shared.js";

// The shared configuration plus the Node entry point `@daqkit/filedb/node`.
export default defineConfig({ ...(shared as object), entry: ["src/index.ts", "src/node.ts"] });
