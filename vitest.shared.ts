import { defineConfig } from "vitest/config";

// Setting `conditions` replaces Vite's defaults, so they are repeated after ours.
const conditions = ["@daqkit/source", "module", "node", "development|production"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: { pool: "forks", testTimeout: 60_000, hookTimeout: 120_000 },
});
