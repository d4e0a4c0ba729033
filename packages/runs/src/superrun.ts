/**
 * Superruns (spec runs.md §2.3–§2.5, §7): definition, loading by concatenating subrun data in
 * time order, and writing under the strax 2.x superrun key with rechunking.
 */
import { intersectNs, type NsInterval } from "@daqkit/timestamps";
import type { Table } from "apache-arrow";
import { chunksToTable } from "./arrow.js";
import { type Chunk, clipChunk } from "./chunk.js";
import type { Compressor } from "./codecs.js";
import { superrunHash } from "./data-key.js";
import { type ChunkIterationOptions, type DataDirectory, type StoredData, WORKERS_AUTO_BYTES } from "./data-directory.js";
import type { OverwritePolicy } from "./data-writer.js";
import { type Dtype, parseDtype } from "./dtype.js";
import { RunsError, withContext } from "./errors.js";
import type { DataMetadata } from "./metadata.js";
import { Rechunker } from "./rechunk.js";
import { assertRunId, isSuperrunId, type RunDoc, type SubrunRange, type SubrunSpecEntry, subrunRanges } from "./run-doc.js";

/** Input accepted by {@link defineRun}: run ids, or run id → `"all"` | `[start, end]` | `[[start, end], …]`. */
export type SuperrunDefinition =
  | readonly string[]
  | Readonly<Record<string, "all" | readonly [bigint | number, bigint | number] | readonly (readonly [bigint | number, bigint | number])[]>>
  | readonly SubrunSpecEntry[];

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

function toBig(v: bigint | number, where: string): bigint {
  if (typeof v === "bigint") return v;
  if (Number.isSafeInteger(v)) return BigInt(v);
  throw new RunsError("RUNS_BAD_SUPERRUN", `strax: ${where}: time ${v} must be an integer ns value (use bigint beyond 2^53)`);
}

/** Normalise a definition to spec entries; validates shape, ranges and duplicates. */
export function normalizeSuperrunDefinition(definition: SuperrunDefinition, name: string): SubrunSpecEntry[] {
  let entries: SubrunSpecEntry[];
  const bad = (what: string): never => {
    throw new RunsError("RUNS_BAD_SUPERRUN", `strax: superrun ${name}: ${what}`, { runId: name });
  };
  if (Array.isArray(definition)) {
    entries = (definition as readonly (string | SubrunSpecEntry)[]).map((d) => (typeof d === "string" ? { runId: d, range: "all" as const } : d));
  } else if (typeof definition === "object" && definition !== null) {
    entries = Object.entries(definition as Record<string, unknown>).map(([runId, v]) => {
      if (v === "all") return { runId, range: "all" as const };
      if (!Array.isArray(v) || v.length === 0) return bad(`subrun ${runId}: expected "all", [start, end] or [[start, end], …]`);
      const isPair = (x: unknown): x is [bigint | number, bigint | number] =>
        Array.isArray(x) && x.length === 2 && x.every((y) => typeof y === "bigint" || typeof y === "number");
      if (isPair(v)) return { runId, range: { start: toBig(v[0], runId), end: toBig(v[1], runId) } };
      if (v.every(isPair)) return { runId, range: v.map((p) => ({ start: toBig(p[0], runId), end: toBig(p[1], runId) })) };
      return bad(`subrun ${runId}: expected "all", [start, end] or [[start, end], …]`);
    });
  } else return bad(`cannot define a run from ${typeof definition}`);
  if (entries.length === 0) bad("no subruns given (an empty superrun cannot be loaded)");
  const seen = new Set<string>();
  const out: SubrunSpecEntry[] = [];
  for (const e of entries) {
    assertRunId(e.runId);
    if (e.runId === name) bad("a superrun cannot contain itself");
    if (seen.has(e.runId)) bad(`subrun ${e.runId} is listed twice`);
    seen.add(e.runId);
    const ranges = subrunRanges(e.range);
    if (ranges) {
      const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
      for (const [i, r] of sorted.entries()) {
        if (r.start < 0n || r.end <= r.start) bad(`subrun ${e.runId}: range [${r.start}, ${r.end}) is empty or negative`);
        if (i > 0 && r.start < sorted[i - 1]!.end) bad(`subrun ${e.runId}: ranges [${sorted[i - 1]!.start}, ${sorted[i - 1]!.end}) and [${r.start}, ${r.end}) overlap`);
      }
      out.push({ runId: e.runId, range: Array.isArray(e.range) ? sorted : e.range });
    } else out.push({ runId: e.runId, range: "all" });
  }
  return out;
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
    throw new RunsError("RUNS_BAD_RUN_ID", `strax: superrun name ${JSON.stringify(name)} must start with '_' (e.g. "_${name}")`, { runId: name });
  }
  const spec = normalizeSuperrunDefinition(definition, name);
  if (!options.overwrite && (await dir.hasRunDoc(name))) {
    throw new RunsError("RUNS_DATA_EXISTS", `strax: run ${name} is already defined (${dir.runDocPath(name)}); pass overwrite to redefine it`, { runId: name });
  }
  const docs = new Map<string, RunDoc>();
  for (const e of spec) {
    const doc = await dir.readRunDoc(e.runId);
    if (!doc.start || !doc.end) {
      throw new RunsError("RUNS_BAD_RUN_DOC", `strax: run document of subrun ${e.runId} lacks start or end`, { runId: e.runId, path: dir.runDocPath(e.runId) });
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
      throw new RunsError("RUNS_SUBRUN_OVERLAP", `strax: superrun ${name}: subruns ${a.id} [${a.r.start}, ${a.r.end}) and ${b.id} [${b.r.start}, ${b.r.end}) overlap in time`, {
        runId: name,
      });
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
    comments: distinct(subDocs.flatMap((d) => (d.comments && d.comments.length > 0 ? d.comments.map((c) => c.comment) : [""]))).map((c) => ({
      comment: c,
    })),
    subRunSpec: ordered,
    extra: {},
  };
  await dir.writeRunDoc(doc, { overwrite: options.overwrite ?? false });
  return { doc, warnings };
}

/** One piece of a superrun load plan: a subrun's stored data (or nested superrun) and its ranges. */
interface PlanPiece {
  readonly runId: string;
  readonly range: SubrunRange;
  /** Effective extent: data extent clipped to the ranges. */
  readonly extent: NsInterval;
  readonly source: DataSource;
}

/** Where a (run, type)'s chunks come from. */
type DataSource =
  | { readonly kind: "stored"; readonly stored: StoredData }
  | { readonly kind: "superrun"; readonly plan: SuperrunPlan };

/** A validated plan to assemble a superrun from its subruns. */
export interface SuperrunPlan {
  readonly name: string;
  readonly dataType: string;
  readonly doc: RunDoc;
  /** Subruns in time order. */
  readonly pieces: readonly PlanPiece[];
  readonly dtype: Dtype;
  /** Metadata of the first leaf subrun (for data kind, lineage, compressor). */
  readonly template: DataMetadata;
}

function sourceExtent(source: DataSource): NsInterval {
  if (source.kind === "stored") {
    const m = source.stored.metadata;
    return { start: m.start ?? m.chunks[0]!.start, end: m.end ?? m.chunks[m.chunks.length - 1]!.end };
  }
  const p = source.plan.pieces;
  return { start: p[0]!.extent.start, end: p[p.length - 1]!.extent.end };
}

function sourceTemplate(source: DataSource): DataMetadata {
  return source.kind === "stored" ? source.stored.metadata : source.plan.template;
}

async function resolveSource(dir: DataDirectory, runId: string, dataType: string, options: ChunkIterationOptions, depth: number): Promise<DataSource> {
  const stored = await dir.findData(runId, dataType, options);
  if (stored) return { kind: "stored", stored };
  if (isSuperrunId(runId)) return { kind: "superrun", plan: await planSuperrunLoad(dir, runId, dataType, options, depth + 1) };
  return dir.requireData(runId, dataType, options).then((s) => ({ kind: "stored" as const, stored: s }));
}

/**
 * Validate and plan loading an unstored superrun: resolves every subrun's data (nested superruns
 * are flattened), orders subruns by the start of their (clipped) data — never by name — and checks
 * that they do not overlap and share a dtype. Nothing is read beyond metadata.
 *
 * Throws `RUNS_RUN_DOC_NOT_FOUND`, `RUNS_BAD_SUPERRUN`, `RUNS_DATA_NOT_FOUND`,
 * `RUNS_SUBRUN_OVERLAP`, `RUNS_BAD_METADATA` (dtype mismatch).
 */
export async function planSuperrunLoad(
  dir: DataDirectory,
  name: string,
  dataType: string,
  options: ChunkIterationOptions = {},
  depth = 0,
): Promise<SuperrunPlan> {
  if (depth > 16) throw new RunsError("RUNS_BAD_SUPERRUN", `strax: superrun ${name}: nesting too deep (cycle?)`, { runId: name });
  const doc = await dir.readRunDoc(name);
  if (!doc.subRunSpec || doc.subRunSpec.length === 0) {
    throw new RunsError("RUNS_BAD_SUPERRUN", `strax: ${name} has no sub_run_spec: you must assign subruns information for a superrun`, { runId: name });
  }
  const pieces: PlanPiece[] = [];
  for (const e of doc.subRunSpec) {
    const source = await resolveSource(dir, e.runId, dataType, { ...(options.lineageHash ? { lineageHash: options.lineageHash } : {}) }, depth);
    const data = sourceExtent(source);
    const ranges = subrunRanges(e.range);
    let extent = data;
    if (ranges) {
      const lo = ranges[0]!.start;
      const hi = ranges[ranges.length - 1]!.end;
      extent = { start: lo > data.start ? lo : data.start, end: hi < data.end ? hi : data.end };
      if (extent.end < extent.start) extent = { start: extent.start, end: extent.start };
    }
    pieces.push({ runId: e.runId, range: e.range, extent, source });
  }
  pieces.sort((a, b) => (a.extent.start < b.extent.start ? -1 : a.extent.start > b.extent.start ? 1 : 0));
  for (let i = 1; i < pieces.length; i++) {
    const a = pieces[i - 1]!;
    const b = pieces[i]!;
    if (b.extent.start < a.extent.end) {
      throw new RunsError(
        "RUNS_SUBRUN_OVERLAP",
        `strax: superrun ${name}: ${dataType} of subruns ${a.runId} [${a.extent.start}, ${a.extent.end}) and ${b.runId} [${b.extent.start}, ${b.extent.end}) overlap`,
        { runId: name, dataType },
      );
    }
  }
  const template = sourceTemplate(pieces[0]!.source);
  let dtype: Dtype;
  try {
    dtype = parseDtype(template.dtype);
  } catch (error) {
    throw withContext(error, `strax: superrun ${name} in ${dir.path}: field "dtype" of ${dataType} of subrun ${pieces[0]!.runId}`, {
      path: dir.path,
      runId: name,
      dataType,
      field: "dtype",
    });
  }
  for (const p of pieces) {
    const m = sourceTemplate(p.source);
    if (m.dtype !== template.dtype) {
      throw new RunsError("RUNS_BAD_METADATA", `strax: superrun ${name}: ${dataType} of subrun ${p.runId} has a different dtype than ${pieces[0]!.runId}`, {
        runId: name,
        dataType,
      });
    }
  }
  return { name, dataType, doc, pieces, dtype, template };
}

async function* iterateSource(dir: DataDirectory, source: DataSource, options: ChunkIterationOptions): AsyncGenerator<Chunk> {
  if (source.kind === "stored") yield* dir.iterateStored(source.stored, options);
  else yield* iterateSuperrunPlan(dir, source.plan, options);
}

/** Uncompressed bytes a plan will read (whole subruns; ranges are not subtracted). */
export function superrunPlanBytes(plan: SuperrunPlan): number {
  let total = 0;
  for (const p of plan.pieces) {
    total += p.source.kind === "stored" ? p.source.stored.metadata.chunks.reduce((s, c) => s + c.nbytes, 0) : superrunPlanBytes(p.source.plan);
  }
  return total;
}

/**
 * Stream the chunks of a planned superrun: each subrun's chunks in time order, clipped to its
 * ranges (rows fully inside), relabelled with the superrun id and a `subruns` map. Checks that
 * consecutive chunks do not overlap (`RUNS_CHUNK_OVERLAP`).
 */
export async function* iterateSuperrunPlan(dir: DataDirectory, plan: SuperrunPlan, options: ChunkIterationOptions = {}): AsyncGenerator<Chunk> {
  let previousEnd: bigint | undefined;
  // Decide once for the whole superrun (a subrun alone may be below the threshold).
  const workers = options.workers ?? superrunPlanBytes(plan) >= WORKERS_AUTO_BYTES;
  const outer = options.timeRange;
  for (const piece of plan.pieces) {
    const ranges = subrunRanges(piece.range) ?? [undefined];
    for (const range of ranges) {
      let window = range;
      if (outer) {
        const common = window ? intersectNs(window, outer) : outer;
        if (!common) continue;
        window = common;
      }
      const sub = iterateSource(dir, piece.source, {
        ...(options.signal ? { signal: options.signal } : {}),
        workers,
        ...(options.readAhead !== undefined ? { readAhead: options.readAhead } : {}),
        ...(window ? { timeRange: window } : {}),
      });
      for await (const chunk of sub) {
        const clipped = window ? clipChunk(chunk, window) : chunk;
        if (clipped.start === clipped.end && clipped.n === 0) continue;
        if (previousEnd !== undefined && clipped.start < previousEnd) {
          throw new RunsError(
            "RUNS_CHUNK_OVERLAP",
            `strax: attempt to concatenate overlapping or out-of-order chunks in superrun ${plan.name}: subrun ${piece.runId} chunk [${clipped.start}, ${clipped.end}) starts before ${previousEnd}`,
            { runId: plan.name, dataType: plan.dataType },
          );
        }
        previousEnd = clipped.end;
        const subruns = clipped.subruns ?? new Map([[piece.runId, { start: clipped.start, end: clipped.end }]]);
        yield { ...clipped, runId: plan.name, subruns };
      }
    }
  }
}

/** Options of {@link iterateChunks} / {@link loadTable}. */
export interface LoadOptions extends ChunkIterationOptions {
  /** For superruns: ignore stored superrun data and assemble from the subruns. Default false. */
  readonly fromSubruns?: boolean;
}

/**
 * Stream the chunks of (run, data type): stored data if present (for a superrun: under its own
 * key), otherwise for a superrun the concatenation of its subruns (see {@link planSuperrunLoad}).
 * Validation of a superrun happens before the first chunk is yielded.
 *
 * Throws `RUNS_DATA_NOT_FOUND` and the read errors of `DataDirectory.iterateStored`.
 */
export async function* iterateChunks(dir: DataDirectory, runId: string, dataType: string, options: LoadOptions = {}): AsyncGenerator<Chunk> {
  if (isSuperrunId(runId)) {
    const stored = options.fromSubruns ? undefined : await dir.findData(runId, dataType, options);
    if (stored) {
      yield* dir.iterateStored(stored, options);
      return;
    }
    const plan = await planSuperrunLoad(dir, runId, dataType, options);
    yield* iterateSuperrunPlan(dir, plan, options);
    return;
  }
  yield* dir.iterateStored(await dir.requireData(runId, dataType, options), options);
}

/** The dtype of (run, data type) without reading chunks. */
export async function dataDtype(dir: DataDirectory, runId: string, dataType: string, options: LoadOptions = {}): Promise<Dtype> {
  if (isSuperrunId(runId)) {
    const stored = options.fromSubruns ? undefined : await dir.findData(runId, dataType, options);
    if (stored) return stored.dtype;
    return (await planSuperrunLoad(dir, runId, dataType, options)).dtype;
  }
  return (await dir.requireData(runId, dataType, options)).dtype;
}

/** Load (run, data type) into one Arrow Table (all chunks in memory). */
export async function loadTable(dir: DataDirectory, runId: string, dataType: string, options: LoadOptions = {}): Promise<Table> {
  const chunks: Chunk[] = [];
  for await (const c of iterateChunks(dir, runId, dataType, options)) chunks.push(c);
  return chunksToTable(await dataDtype(dir, runId, dataType, options), chunks);
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
export async function writeSuperrun(dir: DataDirectory, name: string, dataType: string, options: WriteSuperrunOptions = {}): Promise<DataMetadata> {
  dir.assertWritable();
  const plan = await planSuperrunLoad(dir, name, dataType);
  const template = plan.template;
  const leaves = (p: SuperrunPlan): DataMetadata[] => p.pieces.flatMap((x) => (x.source.kind === "stored" ? [x.source.stored.metadata] : leaves(x.source.plan)));
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

/** The strax 2.x folder-name hash of a superrun's current definition. */
export async function superrunKeyHash(dir: DataDirectory, name: string): Promise<string> {
  const doc = await dir.readRunDoc(name);
  if (!doc.subRunSpec) throw new RunsError("RUNS_BAD_SUPERRUN", `strax: ${name} has no sub_run_spec`, { runId: name });
  return superrunHash(doc.subRunSpec);
}
