import type { DocumentStream, RunStart } from "@daqkit/docmodel";

/** Options every `daqkit docs ingest KIND` ingestor receives from the command line. */
export interface IngestCliOptions {
  /** Stream name for single-stream ingestors (default `primary`). */
  stream?: string;
  /** Extra free-form RunStart metadata (from `--metadata JSON`). */
  metadata?: Record<string, unknown>;
  /** KIND-specific options (`--option key=value`, repeatable). */
  options: Record<string, string>;
}

/** One ingestor kind of `daqkit docs ingest`: turns PATH into the documents of exactly one run. */
export interface CliIngestor {
  readonly kind: string;
  readonly description: string;
  /** Documented `--option` keys. */
  readonly optionHelp?: string;
  ingest(path: string, options: IngestCliOptions): DocumentStream;
  /**
   * Ingest several paths as one run (a shell-expanded glob, `DIR/*.tiff`). Kinds without it take exactly
   * one PATH; more is a usage error.
   */
  ingestMany?(paths: readonly string[], options: IngestCliOptions): DocumentStream;
}

/** Keys of a RunStart set by an ingestor that `--metadata` must not override. */
export function mergeMetadata(base: Record<string, unknown>, extra: Record<string, unknown> | undefined): Record<string, unknown> {
  return { ...base, ...(extra ?? {}) };
}

export type { RunStart };
