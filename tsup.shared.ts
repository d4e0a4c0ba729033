import { defineConfig } from "tsup";

/** The one build configuration every library package uses: ESM + .d.ts, nothing bundled. */
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
});
