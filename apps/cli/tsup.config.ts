import { cp, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { defineConfig } from "tsup";

/** The built viewer (apps/viewer, built before the CLI by turbo) ships inside the CLI as dist/viewer/ (`daqkit view`). */
const VIEWER_DIST = new URL("../viewer/dist/", import.meta.url);
const CLI_VIEWER = new URL("./dist/viewer/", import.meta.url);

export default defineConfig({
  entry: { index: "src/index.ts", "view-server": "src/view/server.ts" },
  format: ["esm"],
  dts: false,
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
  async onSuccess() {
    await rm(CLI_VIEWER, { recursive: true, force: true });
    // source maps stay in apps/viewer/dist (22 of the 38 MB): the published CLI ships the app only
    if (existsSync(new URL("index.html", VIEWER_DIST))) {
      await cp(VIEWER_DIST, CLI_VIEWER, { recursive: true, filter: (source) => !String(source).endsWith(".map") });
    }
  },
});
