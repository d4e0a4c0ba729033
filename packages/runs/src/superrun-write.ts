/**
 * Defining superruns (their run documents) and storing them under the strax 2.x superrun key
 * (spec runs.md §2.5, §7.3). Node only: writes through the Node `DataDirectory`.
 */
import type { NsInterval } from "@daqkit/timestamps";
import type { Chunk } from "./chunk.js";
import type { Compressor } from "./codecs.js";
import type { OverwritePolicy } from "./data-writer.js";
import { RunsError } from "./errors.js";
import type { DataMetadata } from "./metadata.js";
import type { DataDirectory } from "./node-data-directory.js";
import { Rechunker } from "./rechunk.js";
import { assertRunId, isSuperrunId, type RunDoc, type SubrunSpecEntry, subrunRanges } from "./run-doc.js";
import {
  iterateSuperrunPlan,
  normalizeSuperrunDefinition,
  planSuperrunLoad,
  type SuperrunDefinition,
  type SuperrunPlan,
} from "./superrun.js";

/** Options of {@link defineRun}. */
export interface DefineRunOptions {
  /** Replace an existing run document of that name (strax overwrites silently). Default false. */
  readonly overwrite?: boolean;
}

/** Result of {@link defineRun}. */
export interface DefineRunResult {
  readonly doc: RunDoc;
  /** E.g. "more than one source". */
  readonly warnings: readonly string[];
}

function distinct<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

function asList(v: string | readonly string[] | undefined): string[] {
  if (v === undefined) return [""];
  return typeof v === "string" ? [v] : [...v];
}

const MS_TO_NS = 1_000_000n;

/**
 * Define a superrun and write its run document (`{name}-metadata.json`) — strax `define_run`
 * with its sharp edges removed (spec §2.5, §10): the name must start with `_` (no silent prefix);
 * every subrun document must exist and have `start`/`end`; duplicates, empty definitions, bad
 * ranges and subruns overlapping in time are rejected; subruns are ordered by start time (ties:
 * range start). `start`/`end`/`livetime`/`mode`/`source`/`tags`/`comments` are derived as strax
 * does (livetime = Σ(end − start) of the subrun documents, seconds). All validation happens before
 * anything is written; the document is written atomically.
 *
 * Throws `RUNS_BAD_RUN_ID`, `RUNS_BAD_SUPERRUN`, `RUNS_RUN_DOC_NOT_FOUND`, `RUNS_BAD_RUN_DOC`,
 * `RUNS_SUBRUN_OVERLAP`, `RUNS_DATA_EXISTS`, `RUNS_READONLY`.
 */
export async function defineRun(
  dir: DataDirectory,
  name: string,
  definition: SuperrunDefinition,
  options: DefineRunOptions = {},
): Promise<DefineRunResult> {
  dir.assertWritable();
  assertRunId(name);
  if (!isSuperrunId(name)) {
    throw new RunsError("RUNS_BAD_RUN_ID", `strax: superrun name ${JSON.stringify(name)} must start with '_' (e.g. "_${name}")`, {
      runId: name,
    });
  }
  const spec = normalizeSuperrunDefinition(definition, name);
  if (!options.overwrite && (await dir.hasRunDoc(name))) {
    throw new RunsError(
      "RUNS_DATA_EXISTS",
      `strax: run ${name} is already defined (${dir.runDocPath(name)}); pass overwrite to redefine it`,
      { runId: name },
    );
  }
  const docs = new Map<string, RunDoc>();
  for (const e of spec) {
    const doc = await dir.readRunDoc(e.runId);
    if (!doc.start || !doc.end) {
      throw new RunsError("RUNS_BAD_RUN_DOC", `strax: run document of subrun ${e.runId} lacks start or end`, {
        runId: e.runId,
        path: dir.runDocPath(e.runId),
      });
    }
    docs.set(e.runId, doc);
  }
  const rangeStart = (e: SubrunSpecEntry) => subrunRanges(e.range)?.[0]?.start ?? -1n;
  const ordered = spec
    .map((e, i) => ({ e, i }))
    .sort((a, b) => {
      const da = docs.get(a.e.runId)!.start!.getTime();
      const db = docs.get(b.e.runId)!.start!.getTime();
      if (da !== db) return da - db;
      const ra = rangeStart(a.e);
      const rb = rangeStart(b.e);
      return ra < rb ? -1 : ra > rb ? 1 : a.i - b.i;
    })
    .map((x) => x.e);
  // Overlap check from the definition: ranges when given, the run documents' [start, end) otherwise.
  const intervals: { id: string; r: NsInterval }[] = [];
  for (const e of ordered) {
    const ranges = subrunRanges(e.range);
    const doc = docs.get(e.runId)!;
    if (ranges) for (const r of ranges) intervals.push({ id: e.runId, r });
    else intervals.push({ id: e.runId, r: { start: BigInt(doc.start!.getTime()) * MS_TO_NS, end: BigInt(doc.end!.getTime()) * MS_TO_NS } });
  }
  intervals.sort((a, b) => (a.r.start < b.r.start ? -1 : a.r.start > b.r.start ? 1 : 0));
  for (let i = 1; i < intervals.length; i++) {
    const a = intervals[i - 1]!;
    const b = intervals[i]!;
    if (b.r.start < a.r.end && a.id !== b.id) {
      throw new RunsError(
        "RUNS_SUBRUN_OVERLAP",
        `strax: superrun ${name}: subruns ${a.id} [${a.r.start}, ${a.r.end}) and ${b.id} [${b.r.start}, ${b.r.end}) overlap in time`,
        {
          runId: name,
        },
      );
    }
  }
  const subDocs = ordered.map((e) => docs.get(e.runId)!);
  const warnings: string[] = [];
  const sources = distinct(subDocs.flatMap((d) => asList(d.source)));
  if (sources.length > 1) warnings.push(`You are defining a superrun with more than one source: ${sources.join(", ")}`);
  let livetimeMs = 0;
  for (const d of subDocs) livetimeMs += d.end!.getTime() - d.start!.getTime();
  const doc: RunDoc = {
    name,
    start: new Date(Math.min(...subDocs.map((d) => d.start!.getTime()))),
    end: new Date(Math.max(...subDocs.map((d) => d.end!.getTime()))),
    livetime: livetimeMs / 1000,
    mode: distinct(subDocs.flatMap((d) => asList(d.mode))),
    source: sources,
    tags: distinct(subDocs.flatMap((d) => (d.tags && d.tags.length > 0 ? d.tags.map((t) => t.name) : [""]))).map((n) => ({ name: n })),
    comments: distinct(subDocs.flatMap((d) => (d.comments && d.comments.length > 0 ? d.comments.map((c) => c.comment) : [""]))).map(
      (c) => ({
        comment: c,
      }),
    ),
    subRunSpec: ordered,
    extra: {},
  };
  await dir.writeRunDoc(doc, { overwrite: options.overwrite ?? false });
  return { doc, warnings };
}

/** Options of {@link writeSuperrun}. */
export interface WriteSuperrunOptions {
  /** Target uncompressed chunk size in MB (1e6 bytes). Default 200 (strax). */
  readonly targetSizeMb?: number;
  /** Default: the subruns' compressor if writable, else blosc. */
  readonly compressor?: Compressor;
  /** Default: the directory's policy. */
  readonly overwrite?: OverwritePolicy;
  readonly signal?: AbortSignal;
  /** Called after each chunk written (rows so far). */
  readonly onProgress?: (rowsWritten: number) => void;
}

/**
 * Assemble a superrun from its subruns and store it under the strax 2.x superrun key
 * (`{name}_{H}-{type}-{lineage}`), rechunked to `targetSizeMb` (strax 2.x splitter) with per-chunk
 * `subruns` maps and `run_id = name`. The plan is validated and the overwrite policy checked
 * before anything is created; on any failure the temporary folder is removed.
 * Returns the final metadata.
 */
export async function writeSuperrun(
  dir: DataDirectory,
  name: string,
  dataType: string,
  options: WriteSuperrunOptions = {},
): Promise<DataMetadata> {
  dir.assertWritable();
  const plan = await planSuperrunLoad(dir, name, dataType);
  const template = plan.template;
  const leaves = (p: SuperrunPlan): DataMetadata[] =>
    p.pieces.flatMap((x) => (x.source.kind === "stored" ? [x.source.stored.metadata] : leaves(x.source.plan)));
  const mixed = leaves(plan).find((m) => m.lineageHash !== template.lineageHash);
  if (mixed) {
    throw new RunsError(
      "RUNS_BAD_METADATA",
      `strax: cannot store superrun ${name}/${dataType}: subrun ${mixed.runId} has lineage ${mixed.lineageHash}, ${template.runId} has ${template.lineageHash} (one lineage per stored data)`,
      { runId: name, dataType },
    );
  }
  const compressor = options.compressor ?? (template.compressor === "bz2" ? "blosc" : template.compressor);
  const targetSizeMb = options.targetSizeMb ?? 200;
  const writer = await dir.openWriter({
    key: { runId: name, dataType, lineageHash: template.lineageHash, subRunSpec: plan.doc.subRunSpec! },
    dtype: plan.dtype,
    dataKind: template.dataKind,
    compressor,
    lineage: template.lineage,
    chunkTargetSizeMb: targetSizeMb,
    ...(options.overwrite ? { overwrite: options.overwrite } : {}),
  });
  try {
    const rechunker = new Rechunker(targetSizeMb * 1e6);
    let rows = 0;
    const save = async (c: Chunk) => {
      await writer.write(c);
      rows += c.n;
      options.onProgress?.(rows);
    };
    for await (const chunk of iterateSuperrunPlan(dir, plan, options.signal ? { signal: options.signal } : {})) {
      for (const ready of rechunker.receive(chunk)) await save(ready);
    }
    const rest = rechunker.flush();
    if (rest) await save(rest);
    return await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
