import { statSync } from "node:fs";
import { extname, resolve } from "node:path";
import { type FileDb, type FileDbConfig, openFileDb } from "@daqkit/filedb/node";
import { openDataLoader, readLoaderConfig } from "@daqkit/loader/node";
import { Table } from "apache-arrow";
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { CliUsageError } from "../errors.js";
import { repeatable } from "../options.js";
import { writeTableFile } from "../table-output.js";
import { truncatedLines } from "../text.js";
import { isDatasetOut, mergeLoadDataset, writeLoadPart } from "../load-dataset.js";
import { resolveShard, SHARD_HELP, selectShard, shardName } from "../shard.js";

interface LoadOptions {
  files: string;
  channels?: string;
  cut?: string[];
  tcm?: string;
  mode: string;
  orientation: string;
  columns?: string;
  out?: string;
  head: string;
  dataDir?: string;
  workers: string;
  merge: boolean;
  tcmTable?: string;
  saveOutputColumns?: boolean;
  shard?: string;
}

function list(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * `--cut level:EXPR` → { level: EXPR } (an unknown level is reported by the loader); an EXPR without
 * a level prefix is a list cut, assigned to a level by its columns. Expressions never contain `:`.
 */
function parseCuts(cuts: readonly string[]): { byLevel: Record<string, string>; unassigned: string[] } {
  const byLevel: Record<string, string> = {};
  const unassigned: string[] = [];
  for (const c of cuts) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:(.*)$/s.exec(c);
    if (m) {
      const level = m[1] as string;
      byLevel[level] = byLevel[level] ? `(${byLevel[level]}) and (${m[2]})` : (m[2] as string);
    } else unassigned.push(c);
  }
  return { byLevel, unassigned };
}

function jsonValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return Number.isNaN(v) ? null : v;
  if (typeof v !== "object") return v;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => jsonValue(x));
  const o = v as { toArray?: () => unknown; toJSON?: () => unknown; [Symbol.iterator]?: unknown };
  if (typeof o.toJSON === "function" && !Array.isArray(v)) {
    const j = o.toJSON();
    if (j !== v && typeof j === "object" && j !== null && !Array.isArray(j)) {
      return Object.fromEntries(Object.entries(j as Record<string, unknown>).map(([k, x]) => [k, jsonValue(x)]));
    }
    if (Array.isArray(j)) return j.map(jsonValue);
  }
  if (typeof o.toArray === "function") return jsonValue(o.toArray());
  if (Array.isArray(v)) return v.map(jsonValue);
  return String(v);
}

function previewRows(t: Table, n: number): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  const names = t.schema.fields.map((f) => f.name);
  const vectors = names.map((name) => t.getChild(name));
  for (let i = 0; i < Math.min(n, t.numRows); i++) {
    const row: Record<string, unknown> = {};
    names.forEach((name, k) => {
      row[name] = jsonValue(vectors[k]?.get(i));
    });
    rows.push(row);
  }
  return rows;
}

function cell(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return v.length > 4 ? `[${v.slice(0, 3).map(cell).join(", ")}, … (${v.length})]` : `[${v.map(cell).join(", ")}]`;
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(7);
  if (typeof v === "object") return `{${Object.keys(v as object).join(",")}}`;
  return String(v);
}

function textTable(rows: Record<string, unknown>[], names: string[]): string {
  const cells = rows.map((r) => names.map((n) => cell(r[n])));
  const widths = names.map((n, k) => Math.max(n.length, ...cells.map((c) => (c[k] as string).length)));
  const line = (c: string[]) => c.map((x, k) => x.padStart(widths[k] as number)).join("  ");
  return [line(names), ...cells.map(line)].join("\n");
}

/** Write the merged result to .parquet (zstd) or .arrow; .lh5 output is written by the loader itself (outputFile). */
async function writeOutput(out: string, result: Table): Promise<void> {
  if (extname(out) === ".lh5") return;
  await writeTableFile(out, [result]);
}

/** `--no-merge` output file of one cycle: `sel.parquet` → `sel.<FileDB row>.parquet` (.lh5: one file, a table per cycle). */
export function perFileOutput(out: string, fileIndex: number): string {
  const ext = extname(out);
  return ext === ".lh5" ? out : `${out.slice(0, out.length - ext.length)}.${fileIndex}${ext}`;
}

/** `daqkit load CONFIG [FILEDB]`: pygama.flow's DataLoader from the shell. */
export function registerLoadCommands(program: Command, getContext: () => CliContext): void {
  program
    .command("load")
    .description("select cycles and channels, cut per level, join tiers (through a TCM) and load columns (pygama.flow DataLoader)")
    .argument("<config>", "loader config: file.json, file.json[a/b], a directory (its config.json) or dir[a/b]")
    .argument("[filedb]", 'FileDB config JSON or saved database (.lh5); default: the loader config\'s "filedb"')
    .requiredOption("--files <expr>", "cycles: 'all', a FileDB query such as \"type == 'phy'\", or comma-separated cycle keys")
    .option("--channels <ids>", "comma-separated table ids (channels) of the hit level, e.g. 1084803,1121600")
    .option(
      "--cut <level:expr>",
      "cut of a level, e.g. --cut 'hit:trapEmax > 1000' --cut 'evt:multiplicity > 1' (repeatable; AND-ed)",
      repeatable,
    )
    .option("--tcm <level>", "join hits to events through this TCM level")
    .option("--mode <mode>", "with a TCM: 'only' (passing hits) or 'any' (all hits of passing events)", "only")
    .option("--orientation <o>", "'hit' (one row per hit) or 'evt' (one row per event, hit columns as lists)", "hit")
    .option("--columns <a,b,c>", "columns to load; without it the entry list is output")
    .option(
      "--out <file>",
      "write the result to .parquet (zstd), .arrow (Arrow IPC file), .arrows (Arrow IPC stream) or .lh5; DIR/ writes a Parquet dataset (part + manifest per shard)",
    )
    .option("--head <n>", "rows to preview on stdout", "10")
    .option("--data-dir <dir>", "override the FileDB's data_dir")
    .option(
      "--workers <n>",
      "threads reading cycles in parallel, the calling one included (N-1 worker threads, started only for inputs of 64 MiB or more; built CLI only)",
      "1",
    )
    .option(
      "--no-merge",
      "one table per cycle (pygama merge_files=False): --out sel.parquet writes sel.<row>.parquet per cycle (FileDB row), .lh5 one table per cycle",
    )
    .option("--tcm-table <id>", "the TCM table to join through when the TCM tier holds several (its table id)")
    .option(
      "--save-output-columns",
      "output the entry list with those --columns that the cuts use (pygama build_entry_list(save_output_columns=True)); needs --columns",
    )
    .option("--shard <I/N>", `${SHARD_HELP}; needs --out DIR/`)
    .action(async (config: string, filedb: string | undefined, opts: LoadOptions) => {
      const ctx = getContext();
      const shard = resolveShard(opts.shard);
      const dataset = opts.out !== undefined && (await isDatasetOut(opts.out));
      if (shard !== null && !dataset) {
        throw new CliUsageError(
          `--shard ${shard.index}/${shard.count} (from ${shard.source === "flag" ? "--shard" : `the ${shard.source} environment`}) needs --out DIR/ (a Parquet dataset directory)`,
        );
      }
      if (opts.mode !== "only" && opts.mode !== "any")
        throw new CliUsageError(`--mode must be 'only' or 'any', got ${JSON.stringify(opts.mode)}`);
      if (opts.orientation !== "hit" && opts.orientation !== "evt") {
        throw new CliUsageError(`--orientation must be 'hit' or 'evt', got ${JSON.stringify(opts.orientation)}`);
      }
      const head = Number(opts.head);
      if (!Number.isInteger(head) || head < 0)
        throw new CliUsageError(`--head must be a non-negative integer, got ${JSON.stringify(opts.head)}`);
      if (opts.out !== undefined && !dataset && ![".parquet", ".arrow", ".arrows", ".lh5"].includes(extname(opts.out))) {
        throw new CliUsageError(
          `--out must end in .parquet, .arrow, .arrows or .lh5, or be a directory DIR/, got ${JSON.stringify(opts.out)}`,
        );
      }
      if (dataset && !opts.merge)
        throw new CliUsageError("--no-merge writes one file per cycle; a dataset directory (--out DIR/) already holds one part per shard");
      const workers = Number(opts.workers);
      if (!Number.isInteger(workers) || workers < 1)
        throw new CliUsageError(`--workers must be a positive integer, got ${JSON.stringify(opts.workers)}`);
      const columns = list(opts.columns);
      if (opts.columns !== undefined && columns.length === 0) throw new CliUsageError("--columns is empty");
      if (opts.saveOutputColumns && columns.length === 0) throw new CliUsageError("--save-output-columns needs --columns");
      if (opts.saveOutputColumns && opts.orientation === "evt") {
        throw new CliUsageError(
          "--save-output-columns outputs the entry list (one row per hit); it cannot be combined with --orientation evt",
        );
      }
      if (opts.tcmTable !== undefined && opts.tcmTable.trim() === "") throw new CliUsageError("--tcm-table is empty");
      const tcmTable = opts.tcmTable === undefined ? undefined : /^\d+$/.test(opts.tcmTable) ? Number(opts.tcmTable) : opts.tcmTable;
      const started = performance.now();
      // The FileDB is opened here (as openDataLoader would open it) so that a shard can have the tables of
      // its own cycles listed, below, instead of the loader's first table lookup opening every tier file.
      const cwd = process.cwd();
      const loaderConfig = readLoaderConfig(config, { cwd });
      const filedbSource = filedb ?? loaderConfig.filedb;
      const filedbOptions = { cwd, ...(opts.dataDir === undefined ? {} : { dataDir: resolve(opts.dataDir) }) };
      let db: FileDb | undefined;
      if (typeof filedbSource === "string") db = await openFileDb(resolve(cwd, filedbSource), filedbOptions);
      else if (filedbSource !== undefined) {
        db = await openFileDb(filedbSource as unknown as FileDbConfig, { configDir: loaderConfig.configDir, ...filedbOptions });
      }
      const dl = await openDataLoader(loaderConfig, { ...(db === undefined ? {} : { filedb: db }), workers });
      const keys = list(opts.files);
      if (keys.length > 0 && keys.every((k) => /^\d{8}T\d{6}Z$/.test(k))) dl.setFiles(keys);
      else dl.setFiles(opts.files);
      // A shard keeps its byte-balanced part of the selected cycles (keyed by timestamp, as setFiles takes them).
      let shardCycles: string[] = [];
      if (dataset) {
        const rows = dl.getFileList() ?? [];
        const stamps = dl.catalog.columnValues("timestamp");
        // The balance uses the FileDB's file sizes ({tier}_size, from its scan or as saved): every task of a
        // job computes the same split from the same database, without `stat`ing each file of the production
        // again (N tasks × cycles × tiers metadata calls on a shared file system). A catalog without sizes, or
        // a size of 0 (a missing file, or a database saved without sizes): the file's size now.
        const catalog = dl.catalog;
        const tierBytes = (row: number, tier: string): number => {
          const known = Number(catalog.tierSize?.(row, tier) ?? 0);
          if (known > 0) return known;
          try {
            return statSync(catalog.tierPath(row, tier)).size;
          } catch {
            return 0;
          }
        };
        const bytes = (row: number) => catalog.tiers.reduce((sum, tier) => sum + tierBytes(row, tier), 0);
        const items = rows.map((row) => ({ key: String(stamps[row]), bytes: bytes(row), row }));
        const mine = selectShard(items, shard ?? { index: 0, count: 1 }).sort((a, b) => a.row - b.row);
        shardCycles = mine.map((x) => x.key);
        if (shard !== null && mine.length > 0 && mine.length < rows.length) {
          dl.setFiles(shardCycles);
          const got = dl.getFileList() ?? [];
          if (got.length !== mine.length || got.some((row, i) => row !== mine[i]?.row)) {
            throw new CliUsageError("--shard: the FileDB's timestamps do not name its cycles uniquely, so load cannot shard them");
          }
          // A FileDB without tables (a JSON config, or saved without --tables) is scanned for them by the
          // loader, every tier file of every row; a shard needs (and opens) only its own cycles' files.
          if (db !== undefined && !db.hasTables) await db.scanTablesColumns({ rows: mine.map((x) => x.row) });
        }
      }
      const cycles = dataset && shardCycles.length === 0 ? 0 : (dl.getFileList()?.length ?? 0);
      const parentLevel = opts.tcm
        ? (dl.config.levels.find((l) => l.name === opts.tcm)?.parent ?? dl.config.levels[0]?.name)
        : dl.config.levels[0]?.name;
      if (opts.channels !== undefined) {
        const level = dl.config.levels.find((l) => l.name === parentLevel);
        const word = level ? dl.catalog.tableField(level.tiers[0] as string) : undefined;
        if (!word) throw new CliUsageError(`--channels: the tables of level ${JSON.stringify(parentLevel)} have no id field`);
        dl.setDatastreams(
          list(opts.channels).map((c) => (/^\d+$/.test(c) ? Number(c) : c)),
          word,
        );
      }
      const { byLevel, unassigned } = parseCuts(opts.cut ?? []);
      if (Object.keys(byLevel).length > 0) dl.setCuts(byLevel);
      if (unassigned.length > 0) dl.setCuts(unassigned, { append: Object.keys(byLevel).length > 0 });
      const progress = ctx.progress(cycles, "load");
      const outputFile = opts.out !== undefined && !dataset && extname(opts.out) === ".lh5" ? resolve(opts.out) : undefined;
      let result: Table | Map<number, Table> | null = null;
      try {
        if (dataset && cycles === 0) {
          // An empty shard: its manifest only (a re-run still replaces it).
        } else {
          const common = {
            ...(opts.tcm === undefined ? {} : { tcmLevel: opts.tcm }),
            ...(tcmTable === undefined ? {} : { tcmTable }),
            mode: opts.mode as "only" | "any",
            ...(outputFile === undefined ? {} : { outputFile }),
            onProgress: (done: number) => progress.update(done),
          };
          if (columns.length > 0) dl.setOutput({ columns });
          if (columns.length > 0 && !opts.saveOutputColumns) {
            const loadOptions = { ...common, orientation: opts.orientation as "hit" | "evt" };
            result = opts.merge ? await dl.load(undefined, loadOptions) : await dl.loadPerFile(undefined, loadOptions);
          } else {
            if (opts.orientation === "evt") throw new CliUsageError("--orientation evt needs --columns");
            const buildOptions = { ...common, saveOutputColumns: opts.saveOutputColumns === true };
            result = opts.merge ? await dl.buildEntryList(buildOptions) : await dl.buildEntryListPerFile(buildOptions);
          }
        }
      } finally {
        progress.stop();
      }
      const tables = result instanceof Map ? [...result] : [];
      let written = opts.out;
      if (dataset && opts.out !== undefined) {
        const part = shard ?? { index: 0, count: 1 };
        await writeLoadPart(resolve(opts.out), part, shardCycles, result instanceof Map ? null : result);
        written = `${opts.out.replace(/\/$/, "")}/${shardName(part)}.parquet`;
      } else if (opts.out !== undefined && result !== null) {
        if (result instanceof Map) for (const [f, t] of tables) await writeOutput(resolve(perFileOutput(opts.out, f)), t);
        else await writeOutput(resolve(opts.out), result);
      }
      const seconds = (performance.now() - started) / 1000;
      const describe = (t: Table) => t.schema.fields.map((f) => ({ name: f.name, type: String(f.type) }));
      if (result instanceof Map) {
        const total = tables.reduce((n, [, t]) => n + t.numRows, 0);
        const perFile = tables.map(([f, t]) => ({
          file: f,
          rows: t.numRows,
          columns: describe(t),
          ...(opts.out === undefined ? {} : { out: perFileOutput(opts.out, f) }),
          preview: previewRows(t, head),
        }));
        ctx.print({ cycles, rows: total, files: perFile, seconds, warnings: dl.warnings }, () =>
          [
            `${total} rows in ${tables.length} per-cycle table${tables.length === 1 ? "" : "s"} (${seconds.toFixed(2)} s)`,
            ...perFile.flatMap((p) => {
              const names = p.columns.map((c) => c.name);
              return [
                `file ${p.file}: ${p.rows} rows × ${names.length} columns${p.out ? ` → ${p.out}` : ""}`,
                ...(head > 0 && p.rows > 0 ? [textTable(p.preview, names)] : []),
                ...(p.rows > head && head > 0 ? [`… ${p.rows - head} more rows`] : []),
              ];
            }),
            ...dl.warnings.slice(0, 5).map((w) => `warning: ${w}`),
            ...(dl.warnings.length > 5 ? [`… ${dl.warnings.length - 5} more warnings`] : []),
          ].join("\n"),
        );
        return;
      }
      const table = result ?? new Table();
      const names = table.schema.fields.map((f) => f.name);
      const preview = previewRows(table, head);
      ctx.print(
        {
          cycles,
          rows: table.numRows,
          columns: describe(table),
          ...(written === undefined ? {} : { out: written }),
          ...(shard === null ? {} : { shard: { index: shard.index, count: shard.count, source: shard.source } }),
          seconds,
          warnings: dl.warnings,
          preview,
        },
        () =>
          [
            `${table.numRows} rows × ${names.length} columns from ${cycles} cycle${cycles === 1 ? "" : "s"}${shard ? ` (shard ${shard.index}/${shard.count})` : ""}${written ? ` → ${written}` : ""} (${seconds.toFixed(2)} s)`,
            ...(head > 0 && table.numRows > 0 ? [textTable(preview, names)] : []),
            ...(table.numRows > head && head > 0 ? [`… ${table.numRows - head} more rows`] : []),
            ...truncatedLines(dl.warnings, 5, (w) => `warning: ${w}`).map((l) => (l.startsWith("… ") ? `warning: ${l}` : l)),
          ].join("\n"),
      );
    });
}

/** `daqkit merge DIR --out FILE`: one table from a dataset that `load --out DIR/` wrote (its own group, loaded lazily). */
export function registerMergeCommand(program: Command, getContext: () => CliContext): void {
  program
    .command("merge")
    .description("merge a Parquet dataset written by `load --out DIR/` (all shards) into one file, after checking every part")
    .argument("<dir>", "dataset directory (part-I-of-N.parquet + part-I-of-N.json per shard)")
    .requiredOption("--out <file>", "the merged table: .parquet (zstd), .arrow (Arrow IPC file) or .arrows (Arrow IPC stream)")
    .action(async (dir: string, opts: { out: string }) => {
      const ctx = getContext();
      if (![".parquet", ".arrow", ".arrows"].includes(extname(opts.out))) {
        throw new CliUsageError(`--out must end in .parquet, .arrow or .arrows, got ${JSON.stringify(opts.out)}`);
      }
      const r = await mergeLoadDataset(resolve(dir), resolve(opts.out));
      ctx.print({ ...r, out: opts.out }, () => `merged ${r.parts} parts (${r.cycles} cycles, ${r.rows} rows) into ${opts.out}`);
    });
}
