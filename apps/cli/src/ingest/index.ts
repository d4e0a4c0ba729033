import { tiffIngestor } from "./tiff.js";
import type { CliIngestor } from "./types.js";

/** Ingestor kinds of `daqkit docs ingest`, by name. Cross-format ingestors are composition and live here. */
export const INGESTORS: readonly CliIngestor[] = [tiffIngestor];

export type { CliIngestor, IngestCliOptions } from "./types.js";
