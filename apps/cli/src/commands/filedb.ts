import { type FileDb, type FileDbOptions, openFileDb } from "@daqkit/filedb/node";
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { CliUsageError } from "../errors.js";
import { repeatable } from "../options.js";

interface SourceOptions {
  dataDir?: string;
  tables?: boolean;
  dirs?: string[];
}

async function openSource(ctx: CliContext, source: string, opts: SourceOptions): Promise<FileDb> {
  const options: FileDbOptions = {};
  if (opts.dataDir !== undefined) options.dataDir = opts.dataDir;
  if (opts.dirs) options.scan = false;
  const db = await openFileDb(source, options);
  if (opts.dirs) db.scanFiles(opts.dirs);
  if (opts.tables && !db.hasTables) {
    const bar = ctx.progress(db.length * db.tiers.length, "tables");
    try {
      await db.scanTablesColumns({ onProgress: (done) => bar.update(done) });
    } finally {
      bar.stop();
    }
  }
  return db;
}

function formatBytes(n: number): string {
  if (n === 0) return "-";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

function summary(db: FileDb, rows: ArrayLike<number>): string {
  const { keyFields, tiers } = db.resolved;
  const header = ["#", ...keyFields, "file_status", ...tiers.map((t) => `${t}_size`)];
  if (db.hasTables) header.push(...tiers.map((t) => `${t}_tables`));
  const body: string[][] = [];
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    const r = db.record(i);
    const cells = [
      String(i),
      ...keyFields.map((f) => String(r[f])),
      `${r.file_status} (0b${(r.file_status as number).toString(2).padStart(tiers.length, "0")})`,
    ];
    cells.push(...tiers.map((t) => formatBytes(r[`${t}_size`] as number)));
    if (db.hasTables) cells.push(...tiers.map((t) => (r[`${t}_tables`] === null ? "-" : String((r[`${t}_tables`] as unknown[]).length))));
    body.push(cells);
  }
  const bits = tiers.map((t) => `${t}=${db.statusBit(t)}`).join(" ");
  const lines = [
    `data_dir ${db.dataDir}`,
    `tiers    ${tiers.join(", ")} (file_status bits: ${bits})`,
    `cycles   ${rows.length} of ${db.length}${db.columns ? `; ${db.columns.length} distinct column lists` : ""}`,
  ];
  if (rows.length > 0) lines.push("", textTable(header, body));
  return lines.join("\n");
}

/** `daqkit filedb …`: pygama.flow's FileDB (inventory of tiered LH5 data files). */
export function registerFiledbCommands(program: Command, getContext: () => CliContext): void {
  const filedb = program.command("filedb").description("inventory of tiered LEGEND data files (pygama.flow FileDB): scan, save, query");

  filedb
    .command("scan")
    .description("scan the lowest tier named in a FileDB config and save the database as an LH5 file")
    .argument("<config>", "FileDB JSON config (data_dir, tier_dirs, file_format, table_format)")
    .option("--out <db.lh5>", "write the database here (LH5; readable with h5py/lgdo)")
    .option("--tables", "also open every tier file and record its tables and columns", false)
    .option("--data-dir <dir>", "override the config's data_dir")
    .option("--dirs <dir>", "scan only this directory (relative to the lowest tier's directory; repeatable)", repeatable)
    .option("--overwrite", "replace an existing --out file", false)
    .action(async (config: string, opts: SourceOptions & { out?: string; overwrite: boolean }) => {
      const ctx = getContext();
      const db = await openSource(ctx, config, opts);
      if (opts.out !== undefined) await db.toDisk(opts.out, { mode: opts.overwrite ? "overwrite_file" : "write_safe" });
      const statusCounts: Record<string, number> = {};
      for (const s of db.table.getChild("file_status")!.toArray() as Int32Array) statusCounts[s] = (statusCounts[s] ?? 0) + 1;
      const result = {
        dataDir: db.dataDir,
        tiers: db.tiers,
        cycles: db.length,
        fileStatus: statusCounts,
        columnLists: db.columns?.length ?? null,
        out: opts.out ?? null,
      };
      ctx.print(result, () => {
        const lines = [
          summary(
            db,
            Int32Array.from({ length: db.length }, (_, i) => i),
          ),
        ];
        lines.push("", opts.out ? `saved ${db.length} cycles to ${opts.out}` : "(not saved: use --out DB.lh5)");
        return lines.join("\n");
      });
    });

  filedb
    .command("show")
    .description("show a saved database (or scan a config) and select cycles with a pandas-style query")
    .argument("<source>", "saved database (.lh5, wildcards allowed) or FileDB JSON config")
    .option("--query <expr>", "select cycles, e.g. \"type == 'phy' and file_status == 30\" (pandas DataFrame.query syntax)")
    .option("--tables", "with a config: also scan tables and columns", false)
    .option("--data-dir <dir>", "with a config: override its data_dir")
    .option("--columns", "list the distinct column lists (needs tables)", false)
    .action(async (source: string, opts: SourceOptions & { query?: string; columns: boolean }) => {
      const ctx = getContext();
      if (opts.query !== undefined && opts.query.trim() === "") throw new CliUsageError("--query must not be empty");
      const db = await openSource(ctx, source, opts);
      const rows = opts.query === undefined ? Int32Array.from({ length: db.length }, (_, i) => i) : db.query(opts.query);
      const result = {
        dataDir: db.dataDir,
        tiers: db.tiers,
        query: opts.query ?? null,
        rows: Array.from(rows),
        cycles: Array.from(rows, (i) => db.record(i)),
        columns: db.columns,
      };
      ctx.print(result, () => {
        const lines = [summary(db, rows)];
        if (opts.columns) {
          if (!db.columns) lines.push("", "no column lists (scan with --tables)");
          else {
            for (const [i, c] of db.columns.entries()) lines.push("", `[${i}] (${c.length}) ${c.join(", ")}`);
          }
        }
        return lines.join("\n");
      });
    });
}
