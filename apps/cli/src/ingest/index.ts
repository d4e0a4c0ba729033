import { gen2Ingestor } from "./gen2.js";
import { lh5Ingestor } from "./lh5.js";
import { rawhdf5Ingestor } from "./rawhdf5.js";
import { tiffIngestor } from "./tiff.js";
import type { CliIngestor } from "./types.js";

/** Ingestor kinds of `daqkit docs ingest`, by name. Cross-format ingestors are composition and live here. */
export const INGESTORS: readonly CliIngestor[] = [tiffIngestor, gen2Ingestor, rawhdf5Ingestor, lh5Ingestor];

export type { CliIngestor, IngestCliOptions } from "./types.js";
