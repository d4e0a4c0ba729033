import { defineConfig, mergeConfig } from "vitest/config";
import shared from "./vitest.shared.js";

// The repository-level tests (workspace manifest rules).
export default mergeConfig(shared, defineConfig({ test: { name: "workspace", include: ["test/**/*.test.ts"] } }));
