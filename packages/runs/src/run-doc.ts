/**
 * Run documents (`{run_id}-metadata.json`, spec runs.md §2): BSON extended-JSON dates, the fields
 * strax interprets, everything else kept in `extra`.
 */
import type { NsInterval } from "@daqkit/timestamps";
import { RunsError } from "./errors.js";
import { formatPythonJson, InOrder, jsonKeyOrder, type PyJsonValue, PyFloat, parsePythonJson } from "./python-json.js";

/**
 * The part of one subrun a superrun uses: `"all"`, one half-open ns range `[start, end)` (what
 * strax can load), or a sorted list of disjoint ranges (the form strax documents but cannot load;
 * supported here).
 */
export type SubrunRange = "all" | NsInterval | readonly NsInterval[];

/** One entry of a superrun's `sub_run_spec`. */
export interface SubrunSpecEntry {
  readonly runId: string;
  readonly range: SubrunRange;
}

/** A run document. Dates are UTC with millisecond precision (BSON). */
export interface RunDoc {
  /** Run id (`name` field). */
  readonly name: string;
  /** Integer run number, if present. */
  readonly number?: number;
  readonly start?: Date;
  readonly end?: Date;
  /** String, or a list for superruns. */
  readonly mode?: string | readonly string[];
  readonly source?: string | readonly string[];
  readonly tags?: readonly { readonly name: string }[];
  readonly comments?: readonly { readonly comment: string }[];
  /** Seconds (strax ≥ 1.1.3). */
  readonly livetime?: number;
  /**
   * Superruns only: the `sub_run_spec`, in the document's key order (also for integer-like run ids,
   * which a plain JavaScript object would reorder); written back in this order.
   */
  readonly subRunSpec?: readonly SubrunSpecEntry[];
  /** Every other field, as parsed (lossless numbers). */
  readonly extra: Readonly<Record<string, PyJsonValue>>;
}

/** True when `runId` names a superrun (leading `_`). */
export function isSuperrunId(runId: string): boolean {
  return runId.startsWith("_");
}

/**
 * Check a run id for a DataDirectory: non-empty, no `-` (strax's file naming uses it as
 * separator), no path separators. Throws `RUNS_BAD_RUN_ID`.
 */
export function assertRunId(runId: string): void {
  if (typeof runId !== "string" || runId === "" || /[-/\\\0]/.test(runId) || runId === "." || runId === "..") {
    throw new RunsError(
      "RUNS_BAD_RUN_ID",
      `strax: run id ${JSON.stringify(runId)} is invalid: a DataDirectory run id must be non-empty and contain no '-' or '/' (use '_', e.g. "run_042")`,
      { runId: String(runId) },
    );
  }
}

/** Parse a BSON extended-JSON date (`{"$date": ms}`, `{"$date": "ISO"}`, `{"$date": {"$numberLong": "ms"}}`). */
export function parseBsonDate(value: unknown): Date | undefined {
  if (typeof value !== "object" || value === null || !("$date" in value)) return undefined;
  const inner = (value as { $date: unknown }).$date;
  let ms: number;
  if (typeof inner === "number") ms = inner;
  else if (typeof inner === "bigint") ms = Number(inner);
  else if (inner instanceof PyFloat) ms = inner.value;
  else if (typeof inner === "string") ms = Date.parse(inner);
  else if (typeof inner === "object" && inner !== null && "$numberLong" in inner)
    ms = Number((inner as { $numberLong: unknown }).$numberLong);
  else return undefined;
  if (!Number.isFinite(ms)) return undefined;
  return new Date(Math.trunc(ms));
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (value instanceof PyFloat) return value.value;
  if (typeof value === "bigint") return Number(value);
  return undefined;
}

function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (value instanceof PyFloat && Number.isInteger(value.value)) return BigInt(value.value);
  return undefined;
}

function parseSubRunSpec(value: unknown, where: string): SubrunSpecEntry[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RunsError("RUNS_BAD_RUN_DOC", `strax: ${where}: sub_run_spec must be an object {run_id: "all" | [start, end]}`);
  }
  return Object.entries(value).map(([runId, spec]) => {
    if (spec === "all") return { runId, range: "all" as const };
    const pair = (value: unknown): NsInterval | undefined => {
      if (!Array.isArray(value) || value.length !== 2) return undefined;
      const start = toBigInt(value[0]);
      const end = toBigInt(value[1]);
      return start !== undefined && end !== undefined ? { start, end } : undefined;
    };
    const single = pair(spec);
    if (single) return { runId, range: single };
    if (Array.isArray(spec) && spec.length > 0) {
      const list = spec.map(pair);
      if (list.every((r) => r !== undefined)) return { runId, range: list as NsInterval[] };
    }
    throw new RunsError(
      "RUNS_BAD_SUPERRUN",
      `strax: ${where}: sub_run_spec entry ${JSON.stringify(runId)} must be "all", [start_ns, end_ns] or [[start_ns, end_ns], …]`,
      { runId },
    );
  });
}

/** Build a {@link RunDoc} from a parsed JSON object. Throws `RUNS_BAD_RUN_DOC`. */
export function runDocFromJson(json: PyJsonValue, where = "run document"): RunDoc {
  if (typeof json !== "object" || json === null || Array.isArray(json) || json instanceof PyFloat) {
    throw new RunsError("RUNS_BAD_RUN_DOC", `strax: ${where} is not a JSON object`);
  }
  const extra: Record<string, PyJsonValue> = {};
  const doc: { -readonly [K in keyof RunDoc]: RunDoc[K] } = { name: "", extra };
  for (const [key, value] of Object.entries(json)) {
    switch (key) {
      case "name":
        doc.name = String(value);
        break;
      case "number": {
        const n = toNumber(value);
        if (n !== undefined) doc.number = n;
        else extra[key] = value;
        break;
      }
      case "start":
      case "end": {
        const date = parseBsonDate(value);
        if (date) doc[key] = date;
        else extra[key] = value;
        break;
      }
      case "mode":
      case "source":
        if (typeof value === "string") doc[key] = value;
        else if (Array.isArray(value)) doc[key] = value.map(String);
        else extra[key] = value;
        break;
      case "tags":
        if (Array.isArray(value)) {
          doc.tags = value.map((t) => ({ name: typeof t === "string" ? t : String((t as { name?: unknown })?.name ?? "") }));
        } else extra[key] = value;
        break;
      case "comments":
        if (Array.isArray(value)) {
          doc.comments = value.map((c) => ({ comment: typeof c === "string" ? c : String((c as { comment?: unknown })?.comment ?? "") }));
        } else extra[key] = value;
        break;
      case "livetime": {
        const n = toNumber(value);
        if (n !== undefined) doc.livetime = n;
        else extra[key] = value;
        break;
      }
      case "sub_run_spec":
        doc.subRunSpec = parseSubRunSpec(value, where);
        break;
      default:
        extra[key] = value;
    }
  }
  return doc;
}

/** Parse a run document file's text. Throws `RUNS_BAD_RUN_DOC` (empty or invalid JSON). */
export function parseRunDoc(text: string, runId: string, path?: string): RunDoc {
  const where = path ?? `run document of ${runId}`;
  if (text.trim() === "") {
    throw new RunsError("RUNS_BAD_RUN_DOC", `strax: ${where} is empty (a failed strax define_run leaves such files)`, {
      runId,
      ...(path ? { path } : {}),
    });
  }
  let json: PyJsonValue;
  try {
    json = parsePythonJson(text, path);
  } catch (cause) {
    throw new RunsError("RUNS_BAD_RUN_DOC", `strax: ${where} is not valid JSON`, { runId, cause, ...(path ? { path } : {}) });
  }
  let doc = runDocFromJson(json, where);
  if (doc.subRunSpec && doc.subRunSpec.length > 1) {
    // JSON.parse-style objects iterate integer-like keys ("9", "10") first and ascending; keep the
    // document's order, as Python's dict does.
    const order = jsonKeyOrder(text, ["sub_run_spec"]);
    if (order) {
      const position = new Map(order.map((k, i) => [k, i]));
      const spec = [...doc.subRunSpec].sort((a, b) => (position.get(a.runId) ?? 0) - (position.get(b.runId) ?? 0));
      doc = { ...doc, subRunSpec: spec };
    }
  }
  return doc.name === "" ? { ...doc, name: runId } : doc;
}

/**
 * Serialise a run document as strax 2.x does (`sort_keys=True, indent=4`, dates as
 * `{"$date": <int ms>}` like pymongo 3), except that `sub_run_spec` keeps the order of
 * `doc.subRunSpec` (strax 2.x sorts it, which puts run "10" before "9").
 */
export function formatRunDoc(doc: RunDoc): string {
  const out: Record<string, unknown> = { ...doc.extra, name: doc.name };
  if (doc.number !== undefined) out.number = doc.number;
  if (doc.start) out.start = { $date: doc.start.getTime() };
  if (doc.end) out.end = { $date: doc.end.getTime() };
  if (doc.mode !== undefined) out.mode = doc.mode;
  if (doc.source !== undefined) out.source = doc.source;
  if (doc.tags !== undefined) out.tags = doc.tags;
  if (doc.comments !== undefined) out.comments = doc.comments;
  if (doc.livetime !== undefined) out.livetime = new PyFloat(doc.livetime);
  // Every key sorted as strax 2.x writes them, except sub_run_spec's: they keep `subRunSpec`'s order
  // (document order when read, time order from defineRun), so what was read is written back as it was.
  if (doc.subRunSpec !== undefined) out.sub_run_spec = new InOrder(subRunSpecToJson(doc.subRunSpec));
  return formatPythonJson(out, { indent: 4, sortKeys: true });
}

/** `sub_run_spec` as a JSON-ready Map (keeps the given order; ranges as bigint pairs). */
export function subRunSpecToJson(spec: readonly SubrunSpecEntry[]): Map<string, "all" | [bigint, bigint] | [bigint, bigint][]> {
  return new Map(
    spec.map((e) => [
      e.runId,
      e.range === "all"
        ? "all"
        : isRangeList(e.range)
          ? e.range.map((r) => [r.start, r.end] as [bigint, bigint])
          : [e.range.start, e.range.end],
    ]),
  );
}

/** True for the list-of-ranges form of a {@link SubrunRange}. */
export function isRangeList(range: SubrunRange): range is readonly NsInterval[] {
  return Array.isArray(range);
}

/** The ranges of a subrun spec entry as a list (`undefined` for `"all"`). */
export function subrunRanges(range: SubrunRange): readonly NsInterval[] | undefined {
  if (range === "all") return undefined;
  return isRangeList(range) ? range : [range];
}
