import { ingestTiffSeries, ingestTiffSeriesLazy, ingestTiffStack } from "@daqkit/docmodel/node";
import type { CliIngestor } from "./types.js";

/** `daqkit docs ingest tiff PATTERN`: the seed's TIFF series (one event per file), stack or lazy series. */
export const tiffIngestor: CliIngestor = {
  kind: "tiff",
  description: "TIFF series (glob pattern, one event per file) or a multi-page stack (--option stack=true)",
  optionHelp: "stack=true (one multi-page file → one event page), lazy=true (resource/datum per file, filled on read)",
  ingest(path, { stream, metadata, options }) {
    const opts = { stream, metadata };
    if (options.stack === "true") return ingestTiffStack(path, opts);
    if (options.lazy === "true") return ingestTiffSeriesLazy(path, opts);
    return ingestTiffSeries(path, opts);
  },
};
