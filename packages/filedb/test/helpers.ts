import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FileDbConfig } from "../src/index.js";

/** `shared/testdata` beside the repository. */
export const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata");
export const LH5 = join(TESTDATA, "lh5");
export const CONFIGS = join(LH5, "configs");
export const PROD_REF = join(LH5, "prod-ref-l200/generated/tier");
export const TRUNCATED = join(LH5, "l200-truncated/generated/tier");

/** A config from `configs/`, with `data_dir` made absolute (as pygama's fixtures do). */
export function loadConfig(name: string): FileDbConfig {
  const config = JSON.parse(readFileSync(join(CONFIGS, name), "utf8")) as FileDbConfig;
  return { ...config, data_dir: join(TESTDATA, config.data_dir) };
}
