import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ingestTiffSeries, ingestTiffSeriesLazy, ingestTiffStack } from "@daqkit/docmodel/node";
import { CliUsageError } from "../errors.js";
import type { CliIngestor, IngestCliOptions } from "./types.js";

const TIFF = /\.tiff?$/i;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The inputs of a series: a directory stands for its `*.tif`/`*.tiff` files (not hidden, sorted); files and
 * glob patterns pass through (the series ingestor matches patterns and reports DOCS_NO_FILES).
 */
function expand(path: string): string | string[] {
  if (!isDirectory(path)) return path;
  return readdirSync(path)
    .filter((n) => TIFF.test(n) && !n.startsWith("."))
    .sort()
    .map((n) => join(path, n));
}

function series(input: string | string[], { stream, metadata, options }: IngestCliOptions) {
  const opts = { stream, metadata };
  return options.lazy === "true" ? ingestTiffSeriesLazy(input, opts) : ingestTiffSeries(input, opts);
}

/** `daqkit docs ingest tiff PATH…`: the seed's TIFF series (one event per file), stack or lazy series. */
export const tiffIngestor: CliIngestor = {
  kind: "tiff",
  description:
    "TIFF series (files, a directory of *.tif[f] or a quoted glob pattern; one event per file) or a multi-page stack (--option stack=true)",
  optionHelp: "stack=true (one multi-page file → one event page), lazy=true (resource/datum per file, filled on read)",
  ingest(path, options) {
    if (options.options.stack === "true") return ingestTiffStack(path, { stream: options.stream, metadata: options.metadata });
    return series(expand(path), options);
  },
  ingestMany(paths, options) {
    if (options.options.stack === "true") throw new CliUsageError(`--option stack=true takes one file, got ${paths.length} paths`);
    // Shell-expanded globs and directories mixed: every directory contributes its TIFF files.
    const files = paths.flatMap((p) => expand(p));
    return series(files, options);
  },
};
