// FileDB / DataLoader jobs (run in the worker): open a production folder through a FileDB config
// (cycle table, query), and load columns with cuts per level (hit:, evt:, through a TCM) into a table
// and a histogram.
import { FileDb, type FileDbConfig } from "@daqkit/filedb";
import { type ArrowColumnHistogram, type DirectorySource, histogramArrowColumn } from "@daqkit/io";
import { createDataLoader, loaderConfigFromObject } from "@daqkit/loader";
import { type DirRef, openDirRef } from "../../input.js";
import type { JobContext, JobHandler } from "../protocol.js";
import { OpenCache } from "./files.js";
import { previewTable, subSource, type TablePreview } from "./tables.js";

/** A coded error of this panel (bad config, data folder not found). */
function viewError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

async function readJson(root: DirectorySource, path: string): Promise<Record<string, unknown>> {
  const src = await root.open(path);
  let text: string;
  try {
    text = new TextDecoder().decode(await src.read(0, src.size));
  } finally {
    await src.close?.();
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not a JSON object");
    return value as Record<string, unknown>;
  } catch (cause) {
    throw viewError("VIEW_BAD_CONFIG", `view: ${path}: not a JSON object config (${(cause as Error).message})`);
  }
}

const dirname = (p: string) => (p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "");
const join = (...parts: string[]) => parts.filter((p) => p !== "").join("/");

/** Normalise `a/./b/../c` (no leading `..` allowed: nothing outside the input). */
function normalise(path: string): string | undefined {
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(seg);
  }
  return out.join("/");
}

/**
 * Where the FileDB config's `data_dir` is inside the input: relative to the config's folder, to the
 * input's root, or (a production copied elsewhere) the longest tail of `data_dir` that is a folder of
 * the input. Undefined when none is.
 */
export function resolveDataDir(dirs: ReadonlySet<string>, configPath: string, dataDir: string): string | undefined {
  const rel = dataDir.replace(/^\$_\/?/, "").replace(/^\/+/, "");
  const candidates = [normalise(join(dirname(configPath), rel)), normalise(rel)];
  const parts = rel.split("/").filter(Boolean);
  for (let i = 1; i < parts.length; i++) candidates.push(parts.slice(i).join("/"));
  for (const c of candidates) if (c !== undefined && (c === "" || dirs.has(c))) return c;
  // a tail that ends a folder of the input: `…/x/prod/tier` for data_dir `prod/tier`
  for (let i = 0; i < parts.length; i++) {
    const tail = `/${parts.slice(i).join("/")}`;
    for (const d of dirs) if (`/${d}`.endsWith(tail)) return d;
  }
  return undefined;
}

export interface FiledbConfigs {
  /** FileDB configs (JSON with `file_format` and `tier_dirs`), relative to the panel's folder. */
  readonly filedb: string[];
  /** DataLoader configs (JSON with `levels`), with the FileDB config their `filedb` names (if found). */
  readonly loader: { path: string; filedb: string | null }[];
}

interface OpenArgs {
  readonly ref: DirRef;
  /** The panel's folder, relative to the input root. */
  readonly path: string;
  /** FileDB config, relative to the panel's folder. */
  readonly config: string;
  /** The data folder relative to the panel's folder; "" or undefined: resolve the config's `data_dir`. */
  readonly dataDir?: string;
}

const dbs = new OpenCache<{ db: FileDb; dataDir: string }>(4);

async function openDb(args: OpenArgs): Promise<{ db: FileDb; dataDir: string }> {
  return dbs.get(
    args.ref,
    args.path,
    async () => {
      const root = subSource(await openDirRef(args.ref), args.path);
      const config = (await readJson(root, args.config)) as unknown as FileDbConfig;
      const dirs = new Set((await root.list({ recursive: true })).filter((e) => e.kind === "directory").map((e) => e.path));
      const dataDir = args.dataDir ? normalise(args.dataDir) : resolveDataDir(dirs, args.config, String(config.data_dir ?? ""));
      if (dataDir === undefined || (dataDir !== "" && !dirs.has(dataDir))) {
        throw viewError(
          "VIEW_NO_DATA_DIR",
          `view: ${args.config}: data_dir ${JSON.stringify(args.dataDir || config.data_dir)} is not a folder of the opened input (give the data folder)`,
        );
      }
      const db = await FileDb.fromDirectory(config, subSource(root, dataDir));
      await db.scanTablesColumns();
      return { db, dataDir };
    },
    JSON.stringify([args.config, args.dataDir ?? ""]),
  );
}

const configs: JobHandler = async (args: { ref: DirRef; path: string }): Promise<FiledbConfigs> => {
  const root = subSource(await openDirRef(args.ref), args.path);
  const jsons = (await root.list({ recursive: true })).filter((e) => e.kind === "file" && e.path.endsWith(".json") && e.size < 1e6);
  const filedb: string[] = [];
  const loader: { path: string; filedb: string | null }[] = [];
  for (const e of jsons) {
    let doc: Record<string, unknown>;
    try {
      doc = await readJson(root, e.path);
    } catch {
      continue;
    }
    if (typeof doc.file_format === "object" && typeof doc.tier_dirs === "object") filedb.push(e.path);
    else if (typeof doc.levels === "object" && doc.levels !== null) {
      const named = typeof doc.filedb === "string" ? normalise(doc.filedb.replace(/^\$_/, dirname(e.path))) : undefined;
      loader.push({ path: e.path, filedb: named ?? null });
    }
  }
  return { filedb, loader };
};

export interface FiledbCycles {
  readonly dataDir: string;
  readonly tiers: string[];
  readonly table: TablePreview;
  /** Rows (of the whole cycle table) the query selected; all rows without a query. */
  readonly selected: number[];
  readonly query: string;
}

const cycles: JobHandler = async (args: OpenArgs & { query?: string }, ctx: JobContext): Promise<FiledbCycles> => {
  ctx.progress(0, 1, "scanning the production");
  const { db, dataDir } = await openDb(args);
  const query = (args.query ?? "").trim();
  const selected = query === "" || query === "all" ? Array.from({ length: db.length }, (_, i) => i) : Array.from(db.query(query));
  const full = previewTable(db.table, 0, db.length);
  const table = { ...full, rows: selected.map((r) => full.rows[r]!) };
  return { dataDir, tiers: [...db.tiers], table, selected, query };
};

export interface LoadArgs extends OpenArgs {
  /** The DataLoader config, relative to the panel's folder. */
  readonly loaderConfig: string;
  readonly files: string;
  readonly channels?: string;
  readonly cuts: Record<string, string>;
  readonly columns: string[];
  readonly histogram?: string;
  readonly bins?: number;
}

export interface LoadResult {
  readonly table: TablePreview;
  readonly histogram: ArrowColumnHistogram | null;
  /** Why there is no histogram (the column is not numeric, …). */
  readonly histogramError: string | null;
  readonly numRows: number;
}

const load: JobHandler = async (args: LoadArgs, ctx: JobContext): Promise<LoadResult> => {
  ctx.progress(0, 2, "opening the FileDB");
  const { db } = await openDb(args);
  const root = subSource(await openDirRef(args.ref), args.path);
  const raw = await readJson(root, args.loaderConfig);
  // validate the config as the loader reads it (`$_` = its folder), then hand it the opened FileDB
  loaderConfigFromObject(raw, { configDir: dirname(args.loaderConfig) });
  const dl = createDataLoader(raw, db, { configDir: dirname(args.loaderConfig) });
  dl.setFiles(args.files.trim() === "" ? "all" : args.files.trim());
  const channels = (args.channels ?? "")
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((c) => (/^\d+$/.test(c) ? Number(c) : c));
  if (channels.length > 0) dl.setDatastreams(channels as number[], "ch");
  const cuts = Object.fromEntries(Object.entries(args.cuts).filter(([, v]) => v.trim() !== ""));
  if (Object.keys(cuts).length > 0) dl.setCuts(cuts);
  dl.setOutput({ columns: args.columns });
  ctx.progress(1, 2, "loading");
  const table = await dl.load();
  const column = args.histogram ?? args.columns[0];
  // @daqkit/io's Arrow column histogram (shared with `daqkit plot`); a column that is not numeric is its coded error
  let histogram: ArrowColumnHistogram | null = null;
  let histogramError: string | null = null;
  if (column !== undefined) {
    try {
      histogram = await histogramArrowColumn(() => [table], column, { bins: args.bins ?? 100, name: "the load" });
    } catch (error) {
      histogramError = `${(error as { code?: string }).code ?? "VIEW_FAILED"}: ${(error as Error).message}`;
    }
  }
  ctx.progress(2, 2);
  return { table: previewTable(table, 0, 200), histogram, histogramError, numRows: table.numRows };
};

export const filedbJobs: Record<string, JobHandler> = {
  "filedb.configs": configs,
  "filedb.cycles": cycles,
  "filedb.load": load,
};
