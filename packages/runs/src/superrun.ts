/**
 * Superruns (spec runs.md §2.3–§2.5, §7), platform-neutral: a definition's normal form, the plan
 * to assemble an unstored superrun from its subruns (ordered by data, validated) and the stream of
 * its chunks. Loading in general is in `load.ts`; defining and storing superruns (Node) in
 * `superrun-write.ts`.
 */
import { intersectNs, type NsInterval } from "@daqkit/timestamps";
import { type Chunk, clipChunk } from "./chunk.js";
import { superrunHash } from "./data-key.js";
import { type ChunkIterationOptions, type DataDirectory, type StoredData, WORKERS_AUTO_BYTES } from "./data-directory.js";
import { type Dtype, parseDtype } from "./dtype.js";
import { RunsError, withContext } from "./errors.js";
import type { DataMetadata } from "./metadata.js";
import { assertRunId, isSuperrunId, type RunDoc, type SubrunRange, type SubrunSpecEntry, subrunRanges } from "./run-doc.js";

/** Input accepted by {@link defineRun}: run ids, or run id → `"all"` | `[start, end]` | `[[start, end], …]`. */
export type SuperrunDefinition =
  | readonly string[]
  | Readonly<Record<string, "all" | readonly [bigint | number, bigint | number] | readonly (readonly [bigint | number, bigint | number])[]>>
  | readonly SubrunSpecEntry[];

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
    entries = (definition as readonly (string | SubrunSpecEntry)[]).map((d) =>
      typeof d === "string" ? { runId: d, range: "all" as const } : d,
    );
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
        if (i > 0 && r.start < sorted[i - 1]!.end)
          bad(`subrun ${e.runId}: ranges [${sorted[i - 1]!.start}, ${sorted[i - 1]!.end}) and [${r.start}, ${r.end}) overlap`);
      }
      out.push({ runId: e.runId, range: Array.isArray(e.range) ? sorted : e.range });
    } else out.push({ runId: e.runId, range: "all" });
  }
  return out;
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
type DataSource = { readonly kind: "stored"; readonly stored: StoredData } | { readonly kind: "superrun"; readonly plan: SuperrunPlan };

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

async function resolveSource(
  dir: DataDirectory,
  runId: string,
  dataType: string,
  options: ChunkIterationOptions,
  depth: number,
): Promise<DataSource> {
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
    throw new RunsError("RUNS_BAD_SUPERRUN", `strax: ${name} has no sub_run_spec: you must assign subruns information for a superrun`, {
      runId: name,
    });
  }
  const pieces: PlanPiece[] = [];
  for (const e of doc.subRunSpec) {
    const source = await resolveSource(
      dir,
      e.runId,
      dataType,
      { ...(options.lineageHash ? { lineageHash: options.lineageHash } : {}) },
      depth,
    );
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
      throw new RunsError(
        "RUNS_BAD_METADATA",
        `strax: superrun ${name}: ${dataType} of subrun ${p.runId} has a different dtype than ${pieces[0]!.runId}`,
        {
          runId: name,
          dataType,
        },
      );
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
    total +=
      p.source.kind === "stored" ? p.source.stored.metadata.chunks.reduce((s, c) => s + c.nbytes, 0) : superrunPlanBytes(p.source.plan);
  }
  return total;
}

/**
 * Stream the chunks of a planned superrun: each subrun's chunks in time order, clipped to its
 * ranges (rows fully inside), relabelled with the superrun id and a `subruns` map. Checks that
 * consecutive chunks do not overlap (`RUNS_CHUNK_OVERLAP`).
 */
export async function* iterateSuperrunPlan(
  dir: DataDirectory,
  plan: SuperrunPlan,
  options: ChunkIterationOptions = {},
): AsyncGenerator<Chunk> {
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

/** The strax 2.x folder-name hash of a superrun's current definition. */
export async function superrunKeyHash(dir: DataDirectory, name: string): Promise<string> {
  const doc = await dir.readRunDoc(name);
  if (!doc.subRunSpec) throw new RunsError("RUNS_BAD_SUPERRUN", `strax: ${name} has no sub_run_spec`, { runId: name });
  return superrunHash(doc.subRunSpec);
}
