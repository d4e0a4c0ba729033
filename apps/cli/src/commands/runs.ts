import { readFile, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import {
  type Chunk,
  type Compressor,
  chunkToRecordBatch,
  DataDirectory,
  dataDtype,
  defineRun,
  iterateChunks,
  type OverwritePolicy,
  parsePythonJson,
  putArrow,
  RunsError,
  rowsToRecordBatch,
  selectRuns,
  type SubrunSpecEntry,
  writeSuperrun,
} from "@daqkit/runs/node";
import type { NsInterval } from "@daqkit/timestamps";
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { CliUsageError } from "../errors.js";
import { withProgress } from "../progress.js";
import { type ResolvedShard, resolveShard, SHARD_HELP, selectShard } from "../shard.js";
import { readTableBatches as readBatches } from "../table-input.js";
import { TABLE_OUT_HELP, tableFormatOf, writeTableFile } from "../table-output.js";

const COMPRESSOR_NAMES = ["blosc", "zstd", "lz4"];

function parseNs(text: string, what: string): bigint {
  const clean = text.replaceAll("_", "");
  if (!/^\d+$/.test(clean)) throw new CliUsageError(`${what} must be a non-negative integer number of ns, got ${JSON.stringify(text)}`);
  return BigInt(clean);
}

function parseRange(text: string): { runId: string; range: NsInterval } {
  const m = /^([^:]+):([^:]+):([^:]+)$/.exec(text);
  if (!m) throw new CliUsageError(`--range must be RUN:START:END (ns, half-open), got ${JSON.stringify(text)}`);
  return { runId: m[1]!, range: { start: parseNs(m[2]!, "--range START"), end: parseNs(m[3]!, "--range END") } };
}

function parseCompressor(text: string | undefined): Compressor | undefined {
  if (text === undefined) return undefined;
  if (!COMPRESSOR_NAMES.includes(text))
    throw new CliUsageError(`--compressor must be one of ${COMPRESSOR_NAMES.join(", ")}, got ${JSON.stringify(text)}`);
  return text as Compressor;
}

/**
 * `--overwrite` is a flag here as in every other command (replace existing data: strax's policy
 * "always"); `--never-overwrite` keeps even broken data ("never"); neither: strax's default
 * "if_broken" (only an incomplete or damaged data folder is replaced).
 */
function parseOverwrite(opts: { overwrite: boolean; neverOverwrite: boolean }): OverwritePolicy | undefined {
  if (opts.overwrite && opts.neverOverwrite) throw new CliUsageError("--overwrite and --never-overwrite contradict each other");
  return opts.overwrite ? "always" : opts.neverOverwrite ? "never" : undefined;
}

function parseTargetMb(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0) throw new CliUsageError(`--target-mb must be a positive number, got ${JSON.stringify(text)}`);
  return v;
}

function collectRepeat(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function iso(d: Date | null | undefined | number): string {
  if (d === null || d === undefined) return "";
  return new Date(d).toISOString();
}

/**
 * The runs a RUN (or superrun NAME) argument names: one id; several, comma-separated (`r1,r2,r3`); or `@FILE`,
 * a run list with one id per line (blank lines and `#` comments ignored). `many` is true for the last two: only
 * a list is sharded (by `--shard` or the Slurm/Kubernetes environment), so a one-run command inside an array
 * job still does its one run.
 * @throws CliUsageError for an empty list; a Node error (ENOENT naming FILE) for an unreadable run list
 */
export async function parseRunList(arg: string, what: string): Promise<{ ids: string[]; many: boolean }> {
  if (arg.startsWith("@")) {
    const file = arg.slice(1);
    if (file === "") throw new CliUsageError(`${what} @FILE needs a file name after '@'`);
    const ids = (await readFile(file, "utf8"))
      .split(/\r?\n/)
      .map((l) => l.replace(/#.*$/, "").trim())
      .filter((l) => l !== "");
    if (ids.length === 0) throw new CliUsageError(`${what} list ${file} names no run`);
    return { ids, many: true };
  }
  if (!arg.includes(",")) return { ids: [arg], many: false };
  const ids = arg.split(",").map((x) => x.trim());
  if (ids.some((x) => x === "")) throw new CliUsageError(`${what} list ${JSON.stringify(arg)} has an empty entry`);
  return { ids, many: true };
}

/**
 * The shard of a run list: the environment's or `--shard`'s for a list; none for a single run (an explicit
 * `--shard` with one run is a usage error).
 */
function runListShard(many: boolean, flag: string | undefined, what: string): ResolvedShard | null {
  if (!many) {
    if (flag !== undefined) throw new CliUsageError(`--shard shards a run list: give ${what} as R1,R2,… or @FILE`);
    return null;
  }
  return resolveShard(flag);
}

/** The path of a run's input: FILE with every `{run}` replaced. */
function inputOf(template: string, runId: string): string {
  return template.replaceAll("{run}", runId);
}

/** Sum of the stored chunk sizes (bytes on disk, else decoded) of TYPE of every subrun of superrun NAME. */
async function superrunBytes(dir: DataDirectory, name: string, type: string): Promise<number> {
  const doc = await dir.readRunDoc(name);
  let total = 0;
  const folders = await dir.listDataFolders();
  for (const e of doc.subRunSpec ?? []) {
    const found = await dir.findData(e.runId, type, { folders });
    for (const c of found?.metadata.chunks ?? []) total += c.filesize ?? c.nbytes;
  }
  return total;
}

function shardJson(shard: ResolvedShard | null) {
  return shard === null ? {} : { shard: { index: shard.index, count: shard.count, source: shard.source } };
}

/** `daqkit runs …`: strax DataDirectories — runs, stored data and superruns. */
export function registerRunsCommands(program: Command, getContext: () => CliContext): void {
  const runs = program.command("runs").description("strax-compatible run storage (DataDirectory): runs, data, superruns");

  runs
    .command("ls")
    .description("runs of STORE from their run documents, with data availability")
    .argument("<store>", "strax DataDirectory")
    .option("--available <type>", "only runs with TYPE stored (repeatable; superruns: stored under their own key)", collectRepeat)
    .option("--run <pattern>", "run id pattern (fnmatch)")
    .option("--mode <pattern>", "mode pattern (fnmatch)")
    .option("--tag <pattern>", "include runs with a matching tag (repeatable)", collectRepeat)
    .option("--exclude-tag <pattern>", "exclude runs with a matching tag (repeatable)", collectRepeat)
    .option("--field <name>", "add a run-document field as a column (repeatable; dotted for nested)", collectRepeat)
    .option("--data", "also list the stored data folders", false)
    .action(
      async (
        store: string,
        opts: { available?: string[]; run?: string; mode?: string; tag?: string[]; excludeTag?: string[]; field?: string[]; data: boolean },
      ) => {
        const ctx = getContext();
        const dir = new DataDirectory(store, { readonly: true });
        // Runs whose document cannot be read (e.g. 0 bytes, left by a failed strax define_run) are
        // listed with a warning, as strax does.
        const warnings: string[] = [];
        const table = await selectRuns(dir, {
          onWarning: (message) => warnings.push(message),
          ...(opts.available ? { available: opts.available } : {}),
          ...(opts.run ? { runId: opts.run } : {}),
          ...(opts.mode ? { mode: opts.mode } : {}),
          ...(opts.tag ? { includeTags: opts.tag } : {}),
          ...(opts.excludeTag ? { excludeTags: opts.excludeTag } : {}),
          ...(opts.field ? { fields: opts.field } : {}),
        });
        // A directory with neither run documents nor data folders is not a strax store: say so, not "0 run(s)".
        if (table.numRows === 0 && (await dir.listRunIds()).length === 0 && (await dir.listDataFolders()).length === 0) {
          throw new RunsError(
            "RUNS_DATA_NOT_FOUND",
            `runs: ${store} is not a strax store: it has no run documents ({run}-metadata.json) and no data folders ({run}-{type}-{hash})`,
            { path: store },
          );
        }
        const rows: Record<string, unknown>[] = table.toArray().map((r) => {
          const o = r.toJSON() as Record<string, unknown>;
          return { ...o, start: o.start === null ? null : iso(o.start as number), end: o.end === null ? null : iso(o.end as number) };
        });
        const folders = opts.data ? await dir.listDataFolders() : [];
        const data = folders.map((f) => ({ folder: f.folder, run: f.runPart, dataType: f.dataType, lineageHash: f.lineageHash }));
        // --json: one object (never a bare array), so fields can be added without breaking readers.
        ctx.print({ store, count: rows.length, runs: rows, ...(opts.data ? { data } : {}), warnings }, () => {
          const avail = (opts.available ?? []).map((t) => `${t}_available`);
          const w = Math.max(4, ...rows.map((r) => String(r.name).length));
          const wm = Math.max(4, ...rows.map((r) => String(r.mode).length));
          const wt = Math.max(4, ...rows.map((r) => String(r.tags).length));
          const lines = rows.map((r) =>
            [
              String(r.name).padEnd(w),
              String(r.number ?? "").padStart(7),
              String(r.mode).padEnd(wm),
              String(r.tags).padEnd(wt),
              String(r.start ?? "").padEnd(24),
              r.livetime === null ? "" : `${r.livetime} s`,
              ...avail.map((a) => `${a}=${r[a]}`),
              ...(opts.field ?? []).map((f) => `${f}=${r[f] ?? ""}`),
            ].join("  "),
          );
          const head = ["name".padEnd(w), "number".padStart(7), "mode".padEnd(wm), "tags".padEnd(wt), "start".padEnd(24), "livetime"].join(
            "  ",
          );
          const out = [head, ...lines, `${rows.length} run(s) in ${store}`];
          if (opts.data) out.push("", ...data.map((d) => d.folder));
          out.push(...warnings.map((w) => `warning: ${w}`));
          return out.join("\n");
        });
      },
    );

  runs
    .command("define")
    .description("define superrun NAME (must start with '_') from RUN… and/or --range RUN:START:END; subruns are ordered by time")
    .argument("<store>", "strax DataDirectory")
    .argument("<name>", "superrun name, e.g. _kr83m_aug")
    .argument("[runs...]", "subrun ids (whole runs)")
    .option("--range <run:start:end>", "use only [START, END) ns of RUN (repeatable; several per run allowed)", collectRepeat)
    .option("--overwrite", "replace an existing definition", false)
    .action(async (store: string, name: string, runIds: string[], opts: { range?: string[]; overwrite: boolean }) => {
      const ctx = getContext();
      const ranges = (opts.range ?? []).map(parseRange);
      if (runIds.length === 0 && ranges.length === 0) throw new CliUsageError("give at least one RUN or --range RUN:START:END");
      const entries: SubrunSpecEntry[] = runIds.map((runId) => ({ runId, range: "all" as const }));
      const byRun = new Map<string, NsInterval[]>();
      for (const r of ranges) {
        if (runIds.includes(r.runId)) throw new CliUsageError(`run ${r.runId} is given both whole and with --range`);
        byRun.set(r.runId, [...(byRun.get(r.runId) ?? []), r.range]);
      }
      for (const [runId, list] of byRun) entries.push({ runId, range: list.length === 1 ? list[0]! : list });
      const dir = new DataDirectory(store);
      const { doc, warnings } = await defineRun(dir, name, entries, { overwrite: opts.overwrite });
      const spec = doc.subRunSpec!.map((e) => ({
        run: e.runId,
        range:
          e.range === "all"
            ? "all"
            : Array.isArray(e.range)
              ? e.range.map((r) => [r.start, r.end])
              : [(e.range as NsInterval).start, (e.range as NsInterval).end],
      }));
      ctx.print(
        {
          name: doc.name,
          path: dir.runDocPath(doc.name),
          start: iso(doc.start),
          end: iso(doc.end),
          livetime: doc.livetime,
          mode: doc.mode,
          source: doc.source,
          subruns: spec,
          warnings,
        },
        () =>
          [
            `defined ${doc.name} in ${dir.runDocPath(doc.name)}`,
            `  ${iso(doc.start)} – ${iso(doc.end)}, livetime ${doc.livetime} s`,
            ...spec.map(
              (s) =>
                `  ${s.run}: ${typeof s.range === "string" ? s.range : JSON.stringify(s.range, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`,
            ),
            ...warnings.map((w) => `warning: ${w}`),
          ].join("\n"),
      );
    });

  runs
    .command("load")
    .description("load TYPE of RUN (regular, stored superrun, or superrun assembled from its subruns) → .parquet, .arrow or .arrows")
    .argument("<store>", "strax DataDirectory")
    .argument("<run>", "run id")
    .argument("<type>", "data type, e.g. peaks")
    .requiredOption("--out <file>", `output file: ${TABLE_OUT_HELP}`)
    .option("--start <ns>", "only rows with time ≥ START (ns)")
    .option("--end <ns>", "only rows ending ≤ END (ns)")
    .option("--from-subruns", "superruns: ignore stored superrun data and assemble from the subruns", false)
    .option("--lineage <hash>", "lineage hash, when several are stored")
    .action(
      async (
        store: string,
        runId: string,
        type: string,
        opts: { out: string; start?: string; end?: string; fromSubruns: boolean; lineage?: string },
      ) => {
        const ctx = getContext();
        tableFormatOf(opts.out); // check before any work
        const timeRange =
          opts.start !== undefined || opts.end !== undefined
            ? {
                start: opts.start === undefined ? 0n : parseNs(opts.start, "--start"),
                end: opts.end === undefined ? (1n << 63n) - 1n : parseNs(opts.end, "--end"),
              }
            : undefined;
        const dir = new DataDirectory(store, { readonly: true });
        const options = {
          fromSubruns: opts.fromSubruns,
          ...(timeRange ? { timeRange } : {}),
          ...(opts.lineage ? { lineageHash: opts.lineage } : {}),
        };
        const dtype = await dataDtype(dir, runId, type, options);
        let chunks = 0;
        let bytes = 0;
        let first: bigint | undefined;
        let last: bigint | undefined;
        const started = performance.now();
        const { Table: ArrowTable } = await import("apache-arrow");
        const progress = ctx.progress(0, `${runId}/${type}: chunks`);
        async function* batches(): AsyncGenerator<InstanceType<typeof ArrowTable>> {
          for await (const c of withProgress(iterateChunks(dir, runId, type, options) as AsyncIterable<Chunk>, progress)) {
            chunks++;
            bytes += c.data.byteLength;
            first ??= c.start;
            last = c.end;
            if (c.n > 0) yield new ArrowTable(chunkToRecordBatch(c));
          }
        }
        const rows = await writeTableFile(opts.out, batches(), {
          emptyTable: () => new ArrowTable(rowsToRecordBatch(dtype, new Uint8Array(0), 0)),
        });
        const seconds = (performance.now() - started) / 1000;
        ctx.print(
          { run: runId, dataType: type, out: opts.out, rows, chunks, bytes, start: first ?? null, end: last ?? null, seconds },
          () =>
            `${runId}/${type}: ${rows} rows in ${chunks} chunks (${(bytes / 1e6).toFixed(1)} MB raw) → ${opts.out} (${seconds.toFixed(2)} s)`,
        );
      },
    );

  runs
    .command("write-superrun")
    .description(
      "assemble superrun NAME's TYPE from its subruns and store it (strax 2.x key, rechunked, per-chunk subruns); NAME may be a list (_a,_b or @FILE)",
    )
    .argument("<store>", "strax DataDirectory")
    .argument("<name>", "superrun name; several: comma-separated, or @FILE (one name per line, # comments)")
    .argument("<type>", "data type")
    .option("--target-mb <mb>", "target chunk size in MB (default 200, as strax)")
    .option("--compressor <name>", `one of ${COMPRESSOR_NAMES.join(", ")} (default: the subruns')`)
    .option("--overwrite", "replace existing data (by default only incomplete or damaged data is replaced, as strax does)", false)
    .option("--never-overwrite", "keep existing data even when it is incomplete or damaged", false)
    .option("--shard <I/N>", `${SHARD_HELP} (of a NAME list, by name, balanced by the subruns' stored bytes of TYPE)`)
    .action(
      async (
        store: string,
        nameArg: string,
        type: string,
        opts: { targetMb?: string; compressor?: string; overwrite: boolean; neverOverwrite: boolean; shard?: string },
      ) => {
        const ctx = getContext();
        const targetSizeMb = parseTargetMb(opts.targetMb);
        const compressor = parseCompressor(opts.compressor);
        const overwrite = parseOverwrite(opts);
        const { ids, many } = await parseRunList(nameArg, "NAME");
        const shard = runListShard(many, opts.shard, "NAME");
        const dir = new DataDirectory(store);
        // Every shard sees the same list and the same sizes, so the parts are disjoint and cover it.
        const items = [];
        for (const name of ids) items.push({ key: name, bytes: many ? await superrunBytes(dir, name, type) : 0 });
        const mine = selectShard(items, shard).map((x) => x.key);
        const results = [];
        const lines: string[] = [];
        const startedAll = performance.now();
        for (const name of mine) {
          const started = performance.now();
          const progress = ctx.progress(0, `${name}/${type}: rows`);
          const meta = await writeSuperrun(dir, name, type, {
            onProgress: (rows) => progress.update(rows),
            ...(targetSizeMb !== undefined ? { targetSizeMb } : {}),
            ...(compressor ? { compressor } : {}),
            ...(overwrite ? { overwrite } : {}),
          });
          progress.stop();
          const found = await dir.findData(name, type);
          const rows = meta.chunks.reduce((s, c) => s + c.n, 0);
          const chunks = meta.chunks.map((c) => ({
            chunk: c.chunkIndex,
            start: c.start,
            end: c.end,
            n: c.n,
            subruns: c.subruns ? Object.fromEntries([...c.subruns].map(([id, r]) => [id, { start: r.start, end: r.end }])) : null,
          }));
          const seconds = (performance.now() - started) / 1000;
          results.push({ name, dataType: type, folder: found?.folder ?? null, rows, chunks, seconds });
          lines.push(
            `${name}/${type}: ${rows} rows in ${chunks.length} chunk(s) → ${found?.folder ?? "?"} (${seconds.toFixed(2)} s)`,
            ...chunks.map(
              (c) =>
                `  #${c.chunk} [${c.start}, ${c.end}) n=${c.n} subruns ${Object.entries(c.subruns ?? {})
                  .map(([id, r]) => `${id}:[${r.start}, ${r.end})`)
                  .join(" ")}`,
            ),
          );
        }
        if (!many) {
          ctx.print(results[0], () => lines.join("\n"));
          return;
        }
        const seconds = (performance.now() - startedAll) / 1000;
        ctx.print({ superruns: results, count: results.length, of: ids.length, seconds, ...shardJson(shard) }, () =>
          [
            ...lines,
            `${shard === null ? "" : `shard ${shard.index}/${shard.count}: `}${results.length} of ${ids.length} superrun(s) written (${seconds.toFixed(2)} s)`,
          ].join("\n"),
        );
      },
    );

  runs
    .command("put")
    .description(
      "store FILE (.parquet or .arrow; needs int64 'time' ns and 'endtime' or 'length'+'dt') as TYPE of RUN; RUN may be a list (r1,r2 or @FILE) with FILE naming {run}",
    )
    .argument("<store>", "strax DataDirectory (created if missing)")
    .argument("<run>", "run id (no '-', not starting with '_'); several: comma-separated, or @FILE (one id per line, # comments)")
    .argument("<type>", "data type name")
    .argument("<file>", "input .parquet, .arrow (Arrow IPC file) or .arrows (Arrow IPC stream) file; for a run list a path with {run}")
    .option("--target-mb <mb>", "target chunk size in MB (default 200)")
    .option("--compressor <name>", `one of ${COMPRESSOR_NAMES.join(", ")} (default blosc)`)
    .option("--overwrite", "replace existing data (by default only incomplete or damaged data is replaced, as strax does)", false)
    .option("--never-overwrite", "keep existing data even when it is incomplete or damaged", false)
    .option("--lineage <json>", 'strax lineage JSON, e.g. \'{"photons": ["Gen2Photons", "0.1.0", {}]}\'')
    .option("--no-run-doc", "do not create a run document when the run has none")
    .option("--nulls <policy>", "null values: error (default; refused, naming the column and row) | zero (stored as 0)")
    .option("--shard <I/N>", `${SHARD_HELP} (of a RUN list, by run id, balanced by input file bytes)`)
    .action(
      async (
        store: string,
        runArg: string,
        type: string,
        file: string,
        opts: {
          targetMb?: string;
          compressor?: string;
          overwrite: boolean;
          neverOverwrite: boolean;
          lineage?: string;
          runDoc: boolean;
          nulls?: string;
          shard?: string;
        },
      ) => {
        const ctx = getContext();
        if (opts.nulls !== undefined && opts.nulls !== "error" && opts.nulls !== "zero") {
          throw new CliUsageError(`--nulls must be error or zero, got ${JSON.stringify(opts.nulls)}`);
        }
        const targetSizeMb = parseTargetMb(opts.targetMb);
        const compressor = parseCompressor(opts.compressor);
        const overwrite = parseOverwrite(opts);
        let lineage: ReturnType<typeof parsePythonJson> | undefined;
        if (opts.lineage !== undefined) {
          try {
            lineage = parsePythonJson(opts.lineage);
          } catch {
            throw new CliUsageError(`--lineage must be JSON, got ${JSON.stringify(opts.lineage)}`);
          }
        }
        if (![".parquet", ".arrow", ".feather", ".arrows"].includes(extname(file))) {
          throw new CliUsageError(`FILE must end in .parquet or .arrow, got ${JSON.stringify(file)}`);
        }
        const { ids, many } = await parseRunList(runArg, "RUN");
        if (many && !file.includes("{run}")) {
          throw new CliUsageError(
            `with a list of runs FILE must name each run's input with {run} (e.g. in/{run}.parquet), got ${JSON.stringify(file)}`,
          );
        }
        const shard = runListShard(many, opts.shard, "RUN");
        // Balanced by input bytes: every shard stats the whole list (a missing input is an error in every shard,
        // so the parts never depend on which files happen to exist).
        const items = [];
        for (const runId of ids) items.push({ key: runId, bytes: many ? (await stat(inputOf(file, runId))).size : 0 });
        const mine = selectShard(items, shard).map((x) => x.key);
        const { mkdir } = await import("node:fs/promises");
        await mkdir(store, { recursive: true });
        const dir = new DataDirectory(store);
        const results = [];
        const lines: string[] = [];
        const startedAll = performance.now();
        for (const runId of mine) {
          const input = inputOf(file, runId);
          const started = performance.now();
          const batches = withProgress(readBatches(input), ctx.progress(0, `${input}: rows`), (b) => b.numRows);
          const meta = await putArrow(dir, runId, type, batches, {
            ...(targetSizeMb !== undefined ? { targetSizeMb } : {}),
            ...(compressor ? { compressor } : {}),
            ...(overwrite ? { overwrite } : {}),
            ...(lineage !== undefined ? { lineage } : {}),
            createRunDoc: opts.runDoc,
            ...(opts.nulls ? { nulls: opts.nulls as "error" | "zero" } : {}),
          });
          const rows = meta.chunks.reduce((s, c) => s + c.n, 0);
          const folder = `${runId}-${type}-${meta.lineageHash}`;
          const seconds = (performance.now() - started) / 1000;
          results.push({
            run: runId,
            dataType: type,
            ...(many ? { file: input } : {}),
            folder,
            rows,
            chunks: meta.chunks.length,
            start: meta.start ?? null,
            end: meta.end ?? null,
            dtype: meta.dtype,
            seconds,
          });
          lines.push(
            `${input} → ${join(store, folder)}: ${rows} rows in ${meta.chunks.length} chunk(s), [${meta.start}, ${meta.end}) ns (${seconds.toFixed(2)} s)`,
          );
        }
        if (!many) {
          ctx.print(results[0], () => lines.join("\n"));
          return;
        }
        const seconds = (performance.now() - startedAll) / 1000;
        ctx.print({ runs: results, count: results.length, of: ids.length, seconds, ...shardJson(shard) }, () =>
          [
            ...lines,
            `${shard === null ? "" : `shard ${shard.index}/${shard.count}: `}${results.length} of ${ids.length} run(s) stored (${seconds.toFixed(2)} s)`,
          ].join("\n"),
        );
      },
    );
}
