// strax DataDirectory jobs (run in the worker): runs × data types availability, superrun definitions
// with their subrun maps, a data type's chunk table, its fields as a table, and records/raw_records
// waveforms (dt-scaled).
import { type Chunk, chunksToTable, DataDirectory, dataDtype, iterateChunks, readStraxWaveforms, type StoredData } from "@daqkit/runs";
import type { NsInterval } from "@daqkit/timestamps";
import { type DirRef, openDirRef } from "../../input.js";
import type { JobContext, JobHandler } from "../protocol.js";
import { OpenCache } from "./files.js";
import { previewTable, subSource, type TablePreview } from "./tables.js";

const dirs = new OpenCache<DataDirectory>(4);

function openStore(ref: DirRef, path: string): Promise<DataDirectory> {
  return dirs.get(ref, path, async () => new DataDirectory(subSource(await openDirRef(ref), path), { readonly: true }));
}

export interface StraxRun {
  readonly id: string;
  readonly superrun: boolean;
  readonly mode: string;
  readonly start: string | null;
  readonly end: string | null;
  /** data type → "stored" | "from subruns" | "" */
  readonly available: Record<string, string>;
  /** Superruns: their `sub_run_spec` (run → "all" or [start, end) ranges in ns). */
  readonly subruns: { run: string; range: string }[] | null;
}

export interface StraxOverview {
  readonly dataTypes: string[];
  readonly runs: StraxRun[];
}

const ns = (v: bigint) => v.toString();

const overview: JobHandler = async (args: { ref: DirRef; path: string }, ctx: JobContext): Promise<StraxOverview> => {
  const dir = await openStore(args.ref, args.path);
  const folders = await dir.listDataFolders();
  const dataTypes = [...new Set(folders.map((f) => f.dataType))].sort();
  const ids = new Set(await dir.listRunIds());
  // runs with data but no run document still show
  for (const f of folders) if (!f.runPart.startsWith("_")) ids.add(f.runPart);
  const runIds = [...ids].sort((a, b) =>
    a.startsWith("_") === b.startsWith("_") ? a.localeCompare(b, "en", { numeric: true }) : a.startsWith("_") ? 1 : -1,
  );
  const runs: StraxRun[] = [];
  for (const [i, id] of runIds.entries()) {
    ctx.progress(i, runIds.length, id);
    const doc = (await dir.hasRunDoc(id)) ? await dir.readRunDoc(id) : undefined;
    const superrun = id.startsWith("_");
    const available: Record<string, string> = {};
    for (const t of dataTypes) {
      if (await dir.isStored(id, t)) available[t] = "stored";
      else if (superrun && doc?.subRunSpec && (await Promise.all(doc.subRunSpec.map((s) => dir.isStored(s.runId, t)))).every(Boolean)) {
        available[t] = "from subruns";
      } else available[t] = "";
    }
    const mode = doc?.mode === undefined ? "" : Array.isArray(doc.mode) ? doc.mode.join(", ") : String(doc.mode);
    runs.push({
      id,
      superrun,
      mode,
      start: doc?.start?.toISOString() ?? null,
      end: doc?.end?.toISOString() ?? null,
      available,
      subruns:
        doc?.subRunSpec?.map((s) => ({
          run: s.runId,
          range:
            s.range === "all"
              ? "all"
              : (Array.isArray(s.range) ? (s.range as readonly NsInterval[]) : [s.range as NsInterval])
                  .map((r) => `[${ns(r.start)}, ${ns(r.end)})`)
                  .join(" "),
        })) ?? null,
    });
  }
  return { dataTypes, runs };
};

export interface StraxChunkRow {
  readonly index: number;
  readonly start: string;
  readonly end: string;
  readonly n: number;
  readonly nbytes: number;
  readonly filesize: number | null;
  readonly filename: string;
  readonly subruns: string;
}

export interface StraxData {
  readonly stored: boolean;
  readonly compressor: string;
  readonly lineageHash: string;
  readonly dataKind: string;
  readonly fields: { name: string; type: string; shape: string }[];
  readonly chunks: StraxChunkRow[];
  readonly table: TablePreview;
  /** records / raw_records: the first rows' samples, x in ns from the row's time (i × dt). */
  readonly waveforms: { label: string; x: number[]; y: number[] }[] | null;
}

function chunkRows(stored: StoredData): StraxChunkRow[] {
  return stored.metadata.chunks.map((c) => ({
    index: c.chunkIndex,
    start: ns(c.start),
    end: ns(c.end),
    n: c.n,
    nbytes: c.nbytes,
    filesize: c.filesize ?? null,
    filename: c.filename ?? "",
    subruns: c.subruns ? [...c.subruns].map(([id, r]) => `${id}: [${ns(r.start)}, ${ns(r.end)})`).join("; ") : "",
  }));
}

const data: JobHandler = async (
  args: { ref: DirRef; path: string; run: string; dataType: string; rows?: number; waveforms?: number },
  ctx: JobContext,
): Promise<StraxData> => {
  const dir = await openStore(args.ref, args.path);
  const stored = await dir.findData(args.run, args.dataType);
  const dtype = await dataDtype(dir, args.run, args.dataType);
  const want = args.rows ?? 100;
  const chunks: Chunk[] = [];
  let rows = 0;
  ctx.progress(0, want, "reading chunks");
  for await (const c of iterateChunks(dir, args.run, args.dataType)) {
    chunks.push(c);
    rows += c.n;
    ctx.progress(Math.min(rows, want), want, "reading chunks");
    if (rows >= want) break;
  }
  const table = chunksToTable(dtype, chunks);
  // records / raw_records: the first rows' samples (@daqkit/runs' readStraxWaveforms, shared with `daqkit plot`),
  // each against its own sample times (i × dt from the row's time)
  let waveforms: StraxData["waveforms"] = null;
  const names = new Set(dtype.fields.map((f) => f.name));
  if (["time", "length", "dt", "data"].every((n) => names.has(n))) {
    const read = await readStraxWaveforms(dir, args.run, args.dataType, { count: args.waveforms ?? 8 });
    waveforms = read.waveforms.map((w) => ({
      label: `row ${w.row} (channel ${w.channel})`,
      x: Array.from(w.x, (t) => t - (w.x[0] ?? 0)),
      y: Array.from(w.y),
    }));
  }
  return {
    stored: stored !== undefined,
    compressor: stored?.metadata.compressor ?? "(assembled from subruns)",
    lineageHash: stored?.metadata.lineageHash ?? "",
    dataKind: stored?.metadata.dataKind ?? "",
    fields: dtype.fields
      .filter((f) => f.name !== "")
      .map((f) => ({ name: f.name, type: f.typestr || f.kind, shape: f.shape.length ? `(${f.shape.join(", ")})` : "" })),
    chunks: stored ? chunkRows(stored) : [],
    table: previewTable(table, 0, want),
    waveforms,
  };
};

export const straxJobs: Record<string, JobHandler> = {
  "strax.overview": overview,
  "strax.data": data,
};
