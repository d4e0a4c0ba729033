import { type FileDb, type FileDbOptions, openFileDb } from "@daqkit/filedb/node";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { CliUsageError } from "../errors.js";
import { repeatable } from "../options.js";
import { listShardParts, type ResolvedShard, ShardMergeError, resolveShard, SHARD_HELP, selectShard, shardName } from "../shard.js";

interface SourceOptions {
  dataDir?: string;
  tables?: boolean;
  dirs?: string[];
}

/**
 * The rows of one shard: cycles keyed by their key fields (JSON, so the order is stable), balanced by
 * the bytes of all their tier files. Returned in row order.
 */
function shardRows(db: FileDb, shard: ResolvedShard): number[] {
  const { keyFields, tiers } = db.resolved;
  const items = Array.from({ length: db.length }, (_, row) => {
    const r = db.record(row);
    const bytes = tiers.reduce((sum, t) => sum + Math.max(0, Number(r[`${t}_size`] ?? 0)), 0);
    return { key: JSON.stringify(keyFields.map((f) => String(r[f]))), bytes, row };
  });
  return selectShard(items, shard)
    .map((x) => x.row)
    .sort((a, b) => a - b);
}

async function openSource(ctx: CliContext, source: string, opts: SourceOptions, shard: ResolvedShard | null = null): Promise<FileDb> {
  const options: FileDbOptions = {};
  if (opts.dataDir !== undefined) options.dataDir = opts.dataDir;
  if (opts.dirs) options.scan = false;
  let db = await openFileDb(source, options);
  if (opts.dirs) db.scanFiles(opts.dirs);
  if (shard !== null) db = db.subset(shardRows(db, shard));
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
    .option("--shard <I/N>", `${SHARD_HELP}; --out is then a directory receiving part-I-of-N.lh5 (rewritten on a re-run)`)
    .action(async (config: string, opts: SourceOptions & { out?: string; overwrite: boolean; shard?: string }) => {
      const ctx = getContext();
      const shard = resolveShard(opts.shard);
      const db = await openSource(ctx, config, opts, shard);
      let out = opts.out;
      if (out !== undefined && shard !== null) {
        // A shard writes its own part in the --out directory, replacing only that part (atomically).
        await mkdir(out, { recursive: true });
        out = join(out, `${shardName(shard)}.lh5`);
        await db.toDisk(out, { mode: "overwrite_file" });
      } else if (out !== undefined) await db.toDisk(out, { mode: opts.overwrite ? "overwrite_file" : "write_safe" });
      const statusCounts: Record<string, number> = {};
      for (const s of db.table.getChild("file_status")!.toArray() as Int32Array) statusCounts[s] = (statusCounts[s] ?? 0) + 1;
      const result = {
        dataDir: db.dataDir,
        tiers: db.tiers,
        cycles: db.length,
        fileStatus: statusCounts,
        columnLists: db.columns?.length ?? null,
        out: out ?? null,
        ...(shard === null ? {} : { shard: { index: shard.index, count: shard.count, source: shard.source } }),
      };
      ctx.print(result, () => {
        const lines = [
          summary(
            db,
            Int32Array.from({ length: db.length }, (_, i) => i),
          ),
        ];
        lines.push("", out ? `saved ${db.length} cycles to ${out}` : "(not saved: use --out DB.lh5)");
        return lines.join("\n");
      });
    });

  filedb
    .command("merge")
    .description("merge the parts written by `filedb scan --shard I/N --out DIR` into one database, after checking all N are present")
    .argument("<dir>", "directory of part-I-of-N.lh5 files")
    .requiredOption("--out <db.lh5>", "the merged database (LH5)")
    .option("--overwrite", "replace an existing --out file", false)
    .action(async (dir: string, opts: { out: string; overwrite: boolean }) => {
      const ctx = getContext();
      const parts = await listShardParts(dir, ".lh5");
      const db = await openFileDb(parts.map((p) => p.path));
      const seen = new Set<string>();
      for (let i = 0; i < db.length; i++) {
        const r = db.record(i);
        const key = JSON.stringify(db.resolved.keyFields.map((f) => String(r[f])));
        if (seen.has(key))
          throw new ShardMergeError("CLI_SHARD_DUPLICATE", `filedb merge: cycle ${key} is in more than one part of ${dir}`, dir);
        seen.add(key);
      }
      await db.toDisk(opts.out, { mode: opts.overwrite ? "overwrite_file" : "write_safe" });
      ctx.print(
        { parts: parts.length, cycles: db.length, out: opts.out },
        () => `merged ${parts.length} parts (${db.length} cycles) into ${opts.out}`,
      );
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
