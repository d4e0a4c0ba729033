// Bluesky msgpack run jobs (run in the worker): the catalog of the `.msgpack` runs below a folder
// (or the picked files), searched with a MongoDB-style query; a run's documents; a stream's columns
// (table, lines); an image column's frame as a heatmap.
import {
  type BlueskyRun,
  checkQuery,
  compileQuery,
  type ImageFrame,
  loadMsgpackRunBytes,
  NdArray,
  type Query,
  readImageFrame,
  type StreamColumns,
} from "@daqkit/docmodel";
import { type DirRef, openDirRef } from "../../input.js";
import type { JobContext, JobHandler } from "../protocol.js";
import { cellText } from "./tables.js";

interface Loaded {
  readonly runs: Map<string, { run: BlueskyRun; file: string }>;
}

const catalogs = new Map<string, Promise<Loaded>>();

function openCatalog(ref: DirRef, path: string, kind: "file" | "directory", ctx?: JobContext): Promise<Loaded> {
  const key = JSON.stringify([ref.kind, ref.name, path, kind]);
  let hit = catalogs.get(key);
  if (!hit) {
    hit = (async () => {
      const root = await openDirRef(ref);
      const files =
        kind === "file"
          ? [path]
          : (await root.list({ recursive: true, ...(path ? { under: path } : {}) }))
              .filter((e) => e.kind === "file" && e.path.endsWith(".msgpack"))
              .map((e) => e.path);
      const runs = new Map<string, { run: BlueskyRun; file: string }>();
      for (const [i, file] of files.entries()) {
        ctx?.progress(i, files.length, file);
        const src = await root.open(file);
        let bytes: Uint8Array;
        try {
          bytes = await src.read(0, src.size);
        } finally {
          await src.close?.();
        }
        const run = loadMsgpackRunBytes(bytes, file);
        runs.set(run.metadata.start.uid, { run, file });
      }
      return { runs };
    })();
    catalogs.set(key, hit);
    hit.catch(() => catalogs.delete(key));
  }
  return hit;
}

interface Target {
  readonly ref: DirRef;
  readonly path: string;
  readonly kind: "file" | "directory";
}

export interface CatalogRow {
  readonly uid: string;
  readonly file: string;
  readonly scanId: string;
  readonly planName: string;
  readonly time: string;
  readonly exitStatus: string;
  readonly streams: { name: string; length: number }[];
}

/** Parse the query box: empty = everything; otherwise a JSON object (coded error otherwise). */
function parseQuery(text: string): Query | undefined {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed === "{}") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (cause) {
    throw Object.assign(new Error(`docmodel: the query is not JSON: ${(cause as Error).message}`), { code: "DOCS_BAD_QUERY" });
  }
  checkQuery(value);
  return value as Query;
}

const catalog: JobHandler = async (args: Target & { query?: string }, ctx: JobContext): Promise<{ total: number; rows: CatalogRow[] }> => {
  const { runs } = await openCatalog(args.ref, args.path, args.kind, ctx);
  const query = parseQuery(args.query ?? "");
  const matches = query ? compileQuery(query) : () => true;
  const rows: CatalogRow[] = [];
  for (const [uid, { run, file }] of runs) {
    const { start, stop } = run.metadata;
    if (!matches(start)) continue;
    rows.push({
      uid,
      file,
      scanId: cellText(start.scan_id),
      planName: cellText(start.plan_name),
      time: new Date(start.time * 1000).toISOString(),
      exitStatus: stop?.exit_status ?? "(no stop)",
      streams: run.streams.map((name) => ({ name, length: run.stream(name).eventCount })),
    });
  }
  rows.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return { total: runs.size, rows };
};

export interface RunDocuments {
  readonly documents: { name: string; text: string }[];
  readonly total: number;
  readonly start: string;
}

const documents: JobHandler = async (args: Target & { uid: string; limit?: number }): Promise<RunDocuments> => {
  const { runs } = await openCatalog(args.ref, args.path, args.kind);
  const hit = runs.get(args.uid);
  if (!hit) throw Object.assign(new Error(`docmodel: no run ${args.uid}`), { code: "DOCS_RUN_NOT_FOUND" });
  const limit = args.limit ?? 200;
  const docs: { name: string; text: string }[] = [];
  let total = 0;
  for (const [name, doc] of hit.run.readCanonical()) {
    total++;
    if (docs.length < limit) docs.push({ name, text: docText(doc) });
  }
  return { documents: docs, total, start: docText(hit.run.metadata.start, 4000) };
};

function docText(doc: unknown, max = 600): string {
  const text = JSON.stringify(
    doc,
    (_k, v) => {
      if (typeof v === "bigint") return v.toString();
      if (v instanceof NdArray) return `<<${v.dtype} [${v.shape.join("×")}]>>`;
      if (ArrayBuffer.isView(v)) return `<<${(v as unknown as ArrayLike<number>).length} values>>`;
      return v;
    },
    1,
  );
  return text.length > max ? `${text.slice(0, max)} …` : text;
}

export interface StreamView {
  readonly length: number;
  readonly time: number[];
  readonly seqNum: number[];
  /** Scalar columns: name → values as numbers (NaN when not numeric) and as text. */
  readonly scalars: { name: string; dtype: string; values: number[]; text: string[] }[];
  /** Array columns (images when 2-D per event): name and per-event shape. */
  readonly arrays: { name: string; dtype: string; shape: number[] }[];
  /** Why external assets were not filled (their columns hold datum ids), or null. */
  readonly unfilled: string | null;
}

/**
 * Read a stream with external assets filled; a run whose assets need a handler the page does not have
 * (e.g. AD_TIFF files on the beamline's disk) is read unfilled, and the columns left as datum ids are named.
 */
function readStream(run: BlueskyRun, stream: string): { cols: StreamColumns; unfilled: string | null } {
  try {
    return { cols: run.stream(stream).read({ fill: true }), unfilled: null };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== "DOCS_UNDEFINED_ASSET_SPEC" && code !== "DOCS_ASSET_NOT_FOUND") throw error;
    return { cols: run.stream(stream).read({ fill: false }), unfilled: `${String(code)}: ${(error as Error).message}` };
  }
}

const stream: JobHandler = async (args: Target & { uid: string; stream: string }): Promise<StreamView> => {
  const { runs } = await openCatalog(args.ref, args.path, args.kind);
  const hit = runs.get(args.uid);
  if (!hit) throw Object.assign(new Error(`docmodel: no run ${args.uid}`), { code: "DOCS_RUN_NOT_FOUND" });
  const { cols, unfilled } = readStream(hit.run, args.stream);
  const scalars: StreamView["scalars"] = [];
  const arrays: StreamView["arrays"] = [];
  for (const [name, col] of Object.entries(cols.columns)) {
    if (col.shape.length <= 1) {
      const values = Array.from({ length: cols.length }, (_, i) => {
        const v = (col.data as ArrayLike<unknown>)[i];
        return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : typeof v === "boolean" ? Number(v) : Number.NaN;
      });
      const text = Array.from({ length: cols.length }, (_, i) => cellText((col.data as ArrayLike<unknown>)[i]));
      scalars.push({ name, dtype: col.dtype, values, text });
    } else arrays.push({ name, dtype: col.dtype, shape: col.shape.slice(1) });
  }
  return { length: cols.length, time: Array.from(cols.time), seqNum: cols.seq_num, scalars, arrays, unfilled };
};

const frame: JobHandler = async (
  args: Target & { uid: string; stream: string; column: string; index: number },
  ctx: JobContext,
): Promise<ImageFrame> => {
  const { runs } = await openCatalog(args.ref, args.path, args.kind);
  const hit = runs.get(args.uid);
  if (!hit) throw Object.assign(new Error(`docmodel: no run ${args.uid}`), { code: "DOCS_RUN_NOT_FOUND" });
  // @daqkit/docmodel's readImageFrame (shared with `daqkit plot`)
  const f = readImageFrame(hit.run, args.stream, args.column, args.index);
  ctx.transfer(f.values.buffer);
  return f;
};

export const blueskyJobs: Record<string, JobHandler> = {
  "bluesky.catalog": catalog,
  "bluesky.documents": documents,
  "bluesky.stream": stream,
  "bluesky.frame": frame,
};
