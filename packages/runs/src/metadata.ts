/**
 * Data metadata (`{data_type}-{lineage_hash}-metadata.json`, spec runs.md §5).
 */
import type { NsInterval } from "@daqkit/timestamps";
import { type Compressor, COMPRESSORS } from "./codecs.js";
import { RunsError } from "./errors.js";
import { formatPythonJson, type PyJsonValue, PyFloat, parsePythonJson } from "./python-json.js";

/** A superrun chunk's `subruns` map: subrun id → `[start, end)` ns, ordered by start. */
export type SubrunsMap = ReadonlyMap<string, NsInterval>;

/** One entry of `chunks` (times in ns, half-open `[start, end)`). */
export interface ChunkInfo {
  readonly chunkIndex: number;
  readonly start: bigint;
  readonly end: bigint;
  readonly runId: string;
  /** Rows. */
  readonly n: number;
  /** Uncompressed bytes (`n × itemsize`). */
  readonly nbytes: number;
  /** Absent for empty chunks. */
  readonly filename?: string;
  /** Compressed bytes, when the writer recorded it. */
  readonly filesize?: number;
  readonly firstTime?: bigint;
  readonly lastTime?: bigint;
  readonly firstEndtime?: bigint;
  readonly lastEndtime?: bigint;
  /** `null` for regular runs. */
  readonly subruns: SubrunsMap | null;
  /** Unknown fields, kept. */
  readonly extra: Readonly<Record<string, PyJsonValue>>;
}

/** The data metadata of one stored data type of one run. */
export interface DataMetadata {
  readonly runId: string;
  readonly dataType: string;
  readonly dataKind: string;
  /** numpy `dtype.descr` repr (parse with `parseDtype`). */
  readonly dtype: string;
  readonly compressor: Compressor;
  /** Lineage as parsed (lossless). */
  readonly lineage: PyJsonValue;
  readonly lineageHash: string;
  readonly chunkTargetSizeMb: number;
  readonly straxVersion?: string;
  /** Unix seconds. */
  readonly writingStarted?: number;
  /** Unix seconds; absent ⇒ incomplete. */
  readonly writingEnded?: number;
  /** Formatted traceback when writing failed. */
  readonly exception?: string;
  /** First chunk start (ns). */
  readonly start?: bigint;
  /** Last chunk end (ns). */
  readonly end?: bigint;
  readonly chunks: readonly ChunkInfo[];
  /** Unknown top-level fields, kept. */
  readonly extra: Readonly<Record<string, PyJsonValue>>;
}

function asBigInt(v: unknown): bigint | undefined {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  return undefined;
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (v instanceof PyFloat) return v.value;
  if (typeof v === "bigint") return Number(v);
  return undefined;
}

/** Parse a `subruns` JSON object into an ordered map (sorted by start). Throws `RUNS_BAD_METADATA`. */
export function subrunsFromJson(value: unknown, where: string): SubrunsMap | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new RunsError("RUNS_BAD_METADATA", `strax: ${where}: subruns must be an object or null`);
  }
  const entries: [string, NsInterval][] = Object.entries(value).map(([id, r]) => {
    const start = asBigInt((r as { start?: unknown })?.start);
    const end = asBigInt((r as { end?: unknown })?.end);
    if (start === undefined || end === undefined) {
      throw new RunsError("RUNS_BAD_METADATA", `strax: ${where}: subruns entry ${JSON.stringify(id)} lacks integer start/end`);
    }
    return [id, { start, end }];
  });
  entries.sort((a, b) => (a[1].start < b[1].start ? -1 : a[1].start > b[1].start ? 1 : 0));
  return entries.length === 0 ? null : new Map(entries);
}

const REQUIRED = ["run_id", "data_type", "data_kind", "dtype", "compressor"] as const;
const KNOWN_TOP = new Set([
  ...REQUIRED,
  "lineage",
  "lineage_hash",
  "chunk_target_size_mb",
  "strax_version",
  "writing_started",
  "writing_ended",
  "exception",
  "start",
  "end",
  "chunks",
]);
const KNOWN_CHUNK = new Set([
  "chunk_i",
  "start",
  "end",
  "run_id",
  "n",
  "nbytes",
  "filename",
  "filesize",
  "first_time",
  "last_time",
  "first_endtime",
  "last_endtime",
  "subruns",
]);

/**
 * Parse data metadata text. Structural problems throw `RUNS_BAD_METADATA` (or `RUNS_BAD_JSON`,
 * `RUNS_UNKNOWN_COMPRESSOR`); completeness (`writing_ended`, `exception`) is checked separately by
 * {@link assertMetadataComplete}.
 */
export function parseDataMetadata(text: string, path: string): DataMetadata {
  const json = parsePythonJson(text, path);
  const bad = (what: string): never => {
    throw new RunsError("RUNS_BAD_METADATA", `strax: ${path}: ${what}`, { path });
  };
  if (typeof json !== "object" || json === null || Array.isArray(json) || json instanceof PyFloat) return bad("not a JSON object");
  const obj = json as Record<string, PyJsonValue>;
  const missing = REQUIRED.filter((k) => typeof obj[k] !== "string");
  if (missing.length > 0) bad(`required field(s) missing: ${missing.join(", ")}`);
  const compressor = obj.compressor as string;
  if (!(COMPRESSORS as readonly string[]).includes(compressor)) {
    throw new RunsError(
      "RUNS_UNKNOWN_COMPRESSOR",
      `strax: ${path}: unknown compressor ${JSON.stringify(compressor)} (expected one of ${COMPRESSORS.join(", ")})`,
      { path },
    );
  }
  if (!Array.isArray(obj.chunks)) bad("chunks must be a list");
  const chunks = (obj.chunks as PyJsonValue[]).map((c, i): ChunkInfo => {
    if (typeof c !== "object" || c === null || Array.isArray(c) || c instanceof PyFloat) return bad(`chunk ${i} is not an object`);
    const e = c as Record<string, PyJsonValue>;
    const start = asBigInt(e.start);
    const end = asBigInt(e.end);
    if (start === undefined || end === undefined || typeof e.run_id !== "string") {
      return bad(`chunk ${i} lacks start, end or run_id`);
    }
    const n = asNumber(e.n) ?? bad(`chunk ${i} lacks n`);
    const extra: Record<string, PyJsonValue> = {};
    for (const [k, v] of Object.entries(e)) if (!KNOWN_CHUNK.has(k)) extra[k] = v;
    const info: { -readonly [K in keyof ChunkInfo]: ChunkInfo[K] } = {
      chunkIndex: asNumber(e.chunk_i) ?? i,
      start,
      end,
      runId: e.run_id,
      n,
      nbytes: asNumber(e.nbytes) ?? 0,
      subruns: subrunsFromJson(e.subruns, `${path} chunk ${i}`),
      extra,
    };
    if (typeof e.filename === "string") info.filename = e.filename;
    const filesize = asNumber(e.filesize);
    if (filesize !== undefined) info.filesize = filesize;
    for (const [k, field] of [
      ["first_time", "firstTime"],
      ["last_time", "lastTime"],
      ["first_endtime", "firstEndtime"],
      ["last_endtime", "lastEndtime"],
    ] as const) {
      const v = asBigInt(e[k]);
      if (v !== undefined) info[field] = v;
    }
    return info;
  });
  const extra: Record<string, PyJsonValue> = {};
  for (const [k, v] of Object.entries(obj)) if (!KNOWN_TOP.has(k)) extra[k] = v;
  const meta: { -readonly [K in keyof DataMetadata]: DataMetadata[K] } = {
    runId: obj.run_id as string,
    dataType: obj.data_type as string,
    dataKind: obj.data_kind as string,
    dtype: obj.dtype as string,
    compressor: compressor as Compressor,
    lineage: obj.lineage ?? null,
    lineageHash: typeof obj.lineage_hash === "string" ? obj.lineage_hash : "",
    chunkTargetSizeMb: asNumber(obj.chunk_target_size_mb) ?? 200,
    chunks,
    extra,
  };
  if (typeof obj.strax_version === "string") meta.straxVersion = obj.strax_version;
  const ws = asNumber(obj.writing_started);
  if (ws !== undefined) meta.writingStarted = ws;
  const we = asNumber(obj.writing_ended);
  if (we !== undefined) meta.writingEnded = we;
  if (typeof obj.exception === "string") meta.exception = obj.exception;
  const start = asBigInt(obj.start);
  if (start !== undefined) meta.start = start;
  const end = asBigInt(obj.end);
  if (end !== undefined) meta.end = end;
  return meta;
}

function versionLess(a: string, b: string): boolean {
  const pa = a.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0;
  }
  return false;
}

/** Why stored data is not loadable, or `undefined` when it is complete (spec §10). */
export function metadataProblem(meta: DataMetadata): string | undefined {
  if (meta.exception !== undefined) return "corrupted due to exception during writing";
  if (meta.writingEnded === undefined) return "incomplete: no writing_ended field present";
  if (meta.straxVersion !== undefined && versionLess(meta.straxVersion, "0.9.0")) {
    return `written by strax ${meta.straxVersion} < 0.9.0`;
  }
  if (meta.chunks.length === 0) return "it has no chunks";
  return undefined;
}

/** Throw `RUNS_BAD_METADATA` unless the data is complete and loadable. */
export function assertMetadataComplete(meta: DataMetadata, path: string): void {
  const problem = metadataProblem(meta);
  if (problem !== undefined) {
    throw new RunsError("RUNS_BAD_METADATA", `strax: cannot load data at ${path}: ${problem}`, {
      path,
      runId: meta.runId,
      dataType: meta.dataType,
    });
  }
}

function chunkToJson(c: ChunkInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...c.extra,
    chunk_i: c.chunkIndex,
    start: c.start,
    end: c.end,
    run_id: c.runId,
    n: c.n,
    nbytes: c.nbytes,
    subruns: c.subruns === null ? null : new Map([...c.subruns].map(([id, r]) => [id, { start: r.start, end: r.end }])),
  };
  if (c.filename !== undefined) out.filename = c.filename;
  if (c.filesize !== undefined) out.filesize = c.filesize;
  if (c.firstTime !== undefined) out.first_time = c.firstTime;
  if (c.lastTime !== undefined) out.last_time = c.lastTime;
  if (c.firstEndtime !== undefined) out.first_endtime = c.firstEndtime;
  if (c.lastEndtime !== undefined) out.last_endtime = c.lastEndtime;
  return out;
}

/** Serialise metadata as strax's Saver does (`sort_keys=True, indent=4`). */
export function formatDataMetadata(meta: DataMetadata): string {
  const out: Record<string, unknown> = {
    ...meta.extra,
    run_id: meta.runId,
    data_type: meta.dataType,
    data_kind: meta.dataKind,
    dtype: meta.dtype,
    compressor: meta.compressor,
    lineage: meta.lineage,
    lineage_hash: meta.lineageHash,
    chunk_target_size_mb: meta.chunkTargetSizeMb,
    chunks: meta.chunks.map(chunkToJson),
  };
  if (meta.straxVersion !== undefined) out.strax_version = meta.straxVersion;
  if (meta.writingStarted !== undefined) out.writing_started = new PyFloat(meta.writingStarted);
  if (meta.writingEnded !== undefined) out.writing_ended = new PyFloat(meta.writingEnded);
  if (meta.exception !== undefined) out.exception = meta.exception;
  if (meta.start !== undefined) out.start = meta.start;
  if (meta.end !== undefined) out.end = meta.end;
  return formatPythonJson(out, { indent: 4, sortKeys: true });
}
