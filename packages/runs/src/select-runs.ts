/**
 * Run selection (spec runs.md §8): a table of runs from their run documents, filtered by name,
 * mode and tags, with data availability per data type. No hidden cache: every call rescans.
 */
import { Bool, type DataType, Float64, Int32, Table, type Vector, TimestampMillisecond, Utf8, vectorFromArray } from "apache-arrow";
import type { DataDirectory } from "./data-directory.js";
import { RunsError } from "./errors.js";
import { formatPythonFloat, formatPythonJson, PyFloat } from "./python-json.js";
import { isSuperrunId, type RunDoc } from "./run-doc.js";

/** Options of {@link selectRuns}. */
export interface SelectRunsOptions {
  /** Run id pattern(s) (fnmatch, or regex with `patternType: "re"`). */
  readonly runId?: string | readonly string[];
  /** Mode pattern(s); a list-valued mode is joined with `,` first. */
  readonly mode?: string | readonly string[];
  /** Keep runs with at least one tag matching any of these patterns. */
  readonly includeTags?: string | readonly string[];
  /** Drop runs with any tag matching any of these patterns (beats inclusion). */
  readonly excludeTags?: string | readonly string[];
  /** Data types that must be stored; adds `{type}_available` columns and keeps only runs with all of them. */
  readonly available?: readonly string[];
  /** Data types whose availability is reported without filtering. */
  readonly checkAvailable?: readonly string[];
  /** `fnmatch` (default) or `re` (anchored at the start, like Python `re.match`). */
  readonly patternType?: "fnmatch" | "re";
  /** Ignore a leading `_` of tags unless the pattern starts with `_` (default true). */
  readonly ignoreUnderscore?: boolean;
  /**
   * Extra run-document fields to add as Utf8 columns (strax `store_run_fields`), by flattened
   * name: nested objects are addressed with dots (`"daq.rate"`); non-string values are JSON text.
   */
  readonly fields?: readonly string[];
  /**
   * Called once per run whose document cannot be read (a 0-byte file left by a failed strax
   * `define_run`, invalid JSON, unreadable) or whose availability cannot be checked. Such runs are
   * still listed (name from the file name, other columns null), as strax lists them with a warning;
   * the listing itself never fails because of one run. Default: `console.warn`.
   */
  readonly onWarning?: (message: string, detail: { readonly runId: string; readonly error: unknown }) => void;
}

/** Flatten nested objects to dotted keys (strax run-document flattening). */
function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && (value as object).constructor === Object) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, value);
}

function fieldText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  if (value instanceof PyFloat) return formatPythonFloat(value.value);
  return formatPythonJson(value);
}

/** fnmatch-style pattern (`*`, `?`, `[seq]`, `[!seq]`) to an anchored RegExp. */
export function fnmatchToRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close < 0) out += "\\[";
      else {
        let body = pattern.slice(i + 1, close);
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        out += `[${body.replace(/\\/g, "\\\\")}]`;
        i = close;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^(?:${out})$`, "s");
}

function matcher(patterns: string | readonly string[] | undefined, type: "fnmatch" | "re"): ((s: string) => boolean) | undefined {
  if (patterns === undefined) return undefined;
  const list = typeof patterns === "string" ? [patterns] : [...patterns];
  const res = list.map((p) => {
    if (type === "fnmatch") return fnmatchToRegExp(p);
    try {
      return new RegExp(`^(?:${p})`);
    } catch (cause) {
      throw new RunsError("RUNS_BAD_SUPERRUN", `strax select_runs: bad regular expression ${JSON.stringify(p)}`, { cause });
    }
  });
  return (s) => res.some((r) => r.test(s));
}

function tagMatcher(
  patterns: string | readonly string[] | undefined,
  type: "fnmatch" | "re",
  ignoreUnderscore: boolean,
): ((tags: string[]) => boolean) | undefined {
  if (patterns === undefined) return undefined;
  const list = typeof patterns === "string" ? [patterns] : [...patterns];
  const each = list.map((p) => ({ p, m: matcher(p, type)! }));
  return (tags) =>
    tags.some((tag) =>
      each.some(({ p, m }) => {
        const t = ignoreUnderscore && !p.startsWith("_") && tag.startsWith("_") ? tag.slice(1) : tag;
        return m(t);
      }),
    );
}

function joined(v: string | readonly string[] | undefined): string {
  if (v === undefined) return "";
  return typeof v === "string" ? v : v.join(",");
}

/**
 * Select runs of a DataDirectory. Columns: `name` (Utf8), `number` (Int32, null for superruns and
 * non-numeric names), `mode`, `source`, `tags` (lists joined with `,`), `start`/`end` (Timestamp ms,
 * UTC), `livetime` (Float64 seconds; `end − start` for regular runs without one), `is_superrun`
 * (Bool), and `{type}_available` (Bool) for each type in `available` and `checkAvailable`. A
 * superrun counts as available only when its own superrun data is stored (strax semantics).
 * Runs are listed from run documents; rows sorted by name. A run whose document cannot be read
 * is listed by its file name with null columns and reported through `onWarning`.
 */
export async function selectRuns(dir: DataDirectory, options: SelectRunsOptions = {}): Promise<Table> {
  const type = options.patternType ?? "fnmatch";
  if (type !== "fnmatch" && type !== "re") {
    throw new RunsError("RUNS_BAD_SUPERRUN", `strax select_runs: pattern type must be "fnmatch" or "re", got ${JSON.stringify(type)}`);
  }
  const ignoreUnderscore = options.ignoreUnderscore ?? true;
  const byName = matcher(options.runId, type);
  const byMode = matcher(options.mode, type);
  const include = tagMatcher(options.includeTags, type, ignoreUnderscore);
  const exclude = tagMatcher(options.excludeTags, type, ignoreUnderscore);
  const warn =
    options.onWarning ??
    ((message: string) => {
      console.warn(message);
    });
  const docs: RunDoc[] = [];
  for (const id of await dir.listRunIds()) {
    let doc: RunDoc;
    try {
      doc = await dir.readRunDoc(id);
    } catch (error) {
      // e.g. a 0-byte document left by a failed strax define_run: listed with what its name tells.
      const why = error instanceof Error ? error.message : String(error);
      warn(`strax select_runs: run ${id} is listed without its run document, which cannot be read: ${why}`, { runId: id, error });
      doc = { name: id, extra: {} };
    }
    docs.push(doc);
  }
  const required = options.available ?? [];
  const reported = [...new Set([...required, ...(options.checkAvailable ?? [])])];
  const rows: { doc: RunDoc; tags: string[]; available: boolean[] }[] = [];
  const folders = reported.length > 0 ? await dir.listDataFolders() : [];
  for (const doc of docs) {
    const name = doc.name;
    if (byName && !byName(name)) continue;
    if (byMode && !byMode(joined(doc.mode))) continue;
    const tags = (doc.tags ?? []).map((t) => t.name);
    if (include && !include(tags)) continue;
    if (exclude?.(tags)) continue;
    const available: boolean[] = [];
    for (const dt of reported) {
      let stored = false;
      try {
        stored = await dir.isStored(name, dt, { folders });
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        warn(`strax select_runs: availability of ${dt} for run ${name} cannot be checked: ${why}`, { runId: name, error });
      }
      available.push(stored);
    }
    if (required.some((dt) => !available[reported.indexOf(dt)])) continue;
    rows.push({ doc, tags, available });
  }
  const numberOf = (d: RunDoc): number | null => {
    if (d.number !== undefined) return d.number;
    if (isSuperrunId(d.name) || !/^\d+$/.test(d.name)) return null;
    return Number(d.name);
  };
  const livetimeOf = (d: RunDoc): number | null => {
    if (d.livetime !== undefined) return d.livetime;
    if (d.start && d.end) return (d.end.getTime() - d.start.getTime()) / 1000;
    return null;
  };
  const columns: Record<string, Vector<DataType>> = {
    name: vectorFromArray(
      rows.map((r) => r.doc.name),
      new Utf8(),
    ),
    number: vectorFromArray(
      rows.map((r) => numberOf(r.doc)),
      new Int32(),
    ),
    mode: vectorFromArray(
      rows.map((r) => joined(r.doc.mode)),
      new Utf8(),
    ),
    source: vectorFromArray(
      rows.map((r) => joined(r.doc.source)),
      new Utf8(),
    ),
    tags: vectorFromArray(
      rows.map((r) => r.tags.join(",")),
      new Utf8(),
    ),
    start: vectorFromArray(
      rows.map((r) => r.doc.start?.getTime() ?? null),
      new TimestampMillisecond(),
    ),
    end: vectorFromArray(
      rows.map((r) => r.doc.end?.getTime() ?? null),
      new TimestampMillisecond(),
    ),
    livetime: vectorFromArray(
      rows.map((r) => livetimeOf(r.doc)),
      new Float64(),
    ),
    is_superrun: vectorFromArray(
      rows.map((r) => isSuperrunId(r.doc.name)),
      new Bool(),
    ),
  };
  for (const name of options.fields ?? []) {
    if (name in columns) continue; // already a standard column
    columns[name] = vectorFromArray(
      rows.map((r) => {
        const flat = new Map<string, unknown>();
        flatten(r.doc.extra, "", flat);
        return fieldText(flat.get(name));
      }),
      new Utf8(),
    );
  }
  reported.forEach((dt, i) => {
    columns[`${dt}_available`] = vectorFromArray(
      rows.map((r) => r.available[i]!),
      new Bool(),
    );
  });
  return new Table(columns);
}
