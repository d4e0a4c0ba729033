import { join } from "node:path";

/** `shared/testdata` beside the repository (`/work/shared` here, `<clone>/../shared` in CI). */
export const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata");
export const LH5_DATA = join(TESTDATA, "lh5");
export const CONFIGS = join(LH5_DATA, "configs");
