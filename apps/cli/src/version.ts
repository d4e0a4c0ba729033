import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
/** The version of the daqkit CLI package. */
export const VERSION: string = (require("../package.json") as { version: string }).version;
