import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { IoError, writeFileAtomic } from "@daqkit/io/node";
import {
  type BlueskyRun,
  DocModelError,
  type DocumentPair,
  type InMemoryCatalog,
  type Query,
  type StreamColumn,
  checkQuery,
  toPlain,
} from "@daqkit/docmodel";
import { type MsgpackIndex, exportMsgpack, openMsgpackCatalog } from "@daqkit/docmodel/node";
import type { Command } from "commander";
import { type CliContext, previewText } from "../context.js";
import { CliUsageError } from "../errors.js";
import { INGESTORS } from "../ingest/index.js";
import { withProgress } from "../progress.js";
import { resolveShard, SHARD_HELP, selectShard } from "../shard.js";

function parseJsonOption(text: string | undefined, what: string): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CliUsageError(`${what} must be a JSON object, e.g. '{"plan_name": "count"}': ${(e as Error).message}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new CliUsageError(`${what} must be a JSON object, got ${text}`);
  return v as Record<string, unknown>;
}

function parseKeyValues(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf("=");
    if (i <= 0) throw new CliUsageError(`--option takes key=value, got ${JSON.stringify(v)}`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

function isoTime(seconds: unknown): string {
  return typeof seconds === "number" && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : "?";
}

function summarise(f: MsgpackIndex) {
  const events = f.recordNames.filter((n) => n === "event_page" || n === "event").length;
  return {
    uid: f.start.uid,
    time: f.start.time,
    scan_id: f.start.scan_id ?? null,
    plan_name: f.start.plan_name ?? null,
    exit_status: f.stop?.exit_status ?? null,
    num_events: f.stop?.num_events ?? null,
    records: f.recordNames.length,
    event_records: events,
    file: f.path,
  };
}

function columnPreview(c: StreamColumn, rows: number): unknown[] {
  const width = c.shape.slice(1).reduce((a, b) => a * b, 1);
  const out: unknown[] = [];
  const n = Math.min(rows, c.shape[0] ?? 0);
  for (let i = 0; i < n; i++) {
    const v = (c.data as ArrayLike<unknown>)[i];
    if (c.dtype === "|O") out.push(v !== null && typeof v === "object" ? `<${(v as { dtype?: string }).dtype ?? "object"} value>` : v);
    else if (width === 1 && c.shape.length === 1 && c.dtype.charAt(1) === "c") {
      // complex: interleaved (real, imaginary) pairs, shown as [real, imag] like toPlain does
      const d = c.data as ArrayLike<number>;
      out.push([d[2 * i], d[2 * i + 1]]);
    } else if (width === 1 && c.shape.length === 1) out.push(v);
    else out.push(`<${c.dtype} [${c.shape.slice(1).join("×")}]>`);
  }
  return out.map((v) => (typeof v === "bigint" ? v.toString() : v));
}

function runSummary(run: BlueskyRun) {
  return {
    start: toPlain(run.start),
    stop: run.stop ? toPlain(run.stop) : null,
    streams: run.streams.map((name) => {
      const s = run.stream(name);
      return {
        name,
        descriptors: s.descriptors.map((d) => d.uid),
        events: s.eventCount,
        data_keys: Object.fromEntries(
          Object.entries(s.descriptors[0]?.data_keys ?? {}).map(([k, dk]) => [
            k,
            { dtype: dk.dtype, shape: dk.shape, source: dk.source, external: dk.external },
          ]),
        ),
      };
    }),
  };
}

/**
 * The catalog key for a command-line RUN: a negative integer selects the |N|-th latest run and a non-negative
 * one a scan_id, like the Python catalog; when no run has that scan_id, digits are tried as a uid prefix.
 */
function resolveKey(catalog: InMemoryCatalog, key: string): string {
  if (/^-?\d+$/.test(key) && key.length < 10) {
    try {
      return catalog.entry(Number(key)).uid;
    } catch (e) {
      if (!(DocModelError.isInstance(e) && e.code === "DOCS_RUN_NOT_FOUND" && !key.startsWith("-"))) throw e;
    }
  }
  return catalog.entry(key).uid;
}

async function openRun(dir: string, key: string): Promise<BlueskyRun> {
  const { catalog } = openMsgpackCatalog(dir);
  return catalog.run(resolveKey(catalog, key));
}

/** Bytes of an input PATH for shard balancing: a file's size, a directory's files added up (not following links), else 0. */
function pathBytes(path: string): number {
  try {
    const st = statSync(path);
    if (!st.isDirectory()) return st.size;
    let total = 0;
    for (const e of readdirSync(path, { withFileTypes: true, recursive: true })) {
      if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
    }
    return total;
  } catch {
    return 0; // a glob pattern or a missing path: the ingestor reports it when its shard runs
  }
}

/** The temporary naming scheme of `docs export --format jsonl` before @daqkit/io's atomic writer (`.NAME.PID.MS.tmp`). */
const LEGACY_TEMPORARY = /^(\d+)\.\d+\.tmp$/;

/** `[name, doc]` per line as UTF-8, in chunks of about 1 MiB. */
function* jsonLines(documents: Iterable<DocumentPair>): Generator<Uint8Array> {
  const encoder = new TextEncoder();
  let lines: string[] = [];
  let size = 0;
  for (const pair of documents) {
    const line = JSON.stringify(toPlain(pair));
    lines.push(line);
    size += line.length;
    if (size >= 1 << 20) {
      yield encoder.encode(`${lines.join("\n")}\n`);
      lines = [];
      size = 0;
    }
  }
  if (lines.length) yield encoder.encode(`${lines.join("\n")}\n`);
}

/**
 * Write JSON lines to `path` with @daqkit/io's atomic writer: never a torn file under that name; without
 * `overwrite` an existing file is DOCS_FILE_EXISTS (like the msgpack export), with it the file is replaced.
 * Stale temporaries of dead writers (this scheme and the older one) are removed.
 */
async function writeJsonLines(path: string, documents: Iterable<DocumentPair>, overwrite: boolean): Promise<void> {
  const exists = (cause?: unknown): DocModelError =>
    new DocModelError("DOCS_FILE_EXISTS", `docs export: ${path} already exists (use --overwrite)`, { path, cause });
  if (!overwrite && existsSync(path)) throw exists();
  try {
    await writeFileAtomic(path, jsonLines(documents), { exclusive: !overwrite, legacyTemporary: LEGACY_TEMPORARY });
  } catch (e) {
    if (IoError.isInstance(e) && e.code === "IO_EXISTS") throw exists(e);
    throw e;
  }
}

/** An existing output (DOCS_FILE_EXISTS from the package) names the CLI flag that replaces it. */
async function withOverwriteHint<T>(pending: Promise<T>): Promise<T> {
  try {
    return await pending;
  } catch (e) {
    if (e instanceof DocModelError && e.code === "DOCS_FILE_EXISTS" && !/--overwrite/.test(e.message)) {
      const where = e.path ?? e.message.replace(/^docmodel: /, "").replace(/ already exists.*$/, "");
      throw new DocModelError("DOCS_FILE_EXISTS", `docs: ${where} already exists (use --overwrite to replace it)`, {
        ...(e.path === undefined ? {} : { path: e.path }),
        cause: e,
      });
    }
    throw e;
  }
}

/** `daqkit docs …`: Bluesky Event Model documents (ingest, list, show, export). */
export function registerDocsCommands(program: Command, getContext: () => CliContext): void {
  const docs = program
    .command("docs")
    .description("Bluesky Event Model runs: ingest files into suitcase-msgpack runs, list/search, show, export");

  docs
    .command("ingest")
    .description(`turn PATH into one run written as DIR/<uid>.msgpack; KIND: ${INGESTORS.map((i) => i.kind).join(", ")}`)
    .argument("<kind>", "ingestor kind")
    .argument("<paths...>", "input: file(s), a directory or a quoted glob pattern, depending on KIND (tiff takes many files)")
    .requiredOption("--out <dir>", "output directory (created if missing)")
    .option("--stream <name>", "stream name for single-stream ingestors", "primary")
    .option("--metadata <json>", "extra RunStart metadata as a JSON object")
    .option("--option <key=value>", "KIND-specific option (repeatable)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option("--overwrite", "replace an existing <uid>.msgpack", false)
    .option("--validate", "schema-check every document while writing", false)
    .option("--each", "ingest every PATH as its own run (one <uid>.msgpack per PATH) instead of all PATHs as one run", false)
    .option("--shard <I/N>", `${SHARD_HELP} (with --each: of the PATHs, balanced by their bytes; a re-run needs --overwrite)`)
    .addHelpText(
      "after",
      `\nKinds:\n${INGESTORS.map((i) => `  ${i.kind.padEnd(8)} ${i.description}${i.optionHelp ? `\n           --option ${i.optionHelp}` : ""}`).join("\n")}`,
    )
    .action(
      async (
        kind: string,
        paths: string[],
        opts: {
          out: string;
          stream: string;
          metadata?: string;
          option: string[];
          overwrite: boolean;
          validate: boolean;
          each: boolean;
          shard?: string;
        },
      ) => {
        const ctx = getContext();
        const ingestor = INGESTORS.find((i) => i.kind === kind);
        if (!ingestor)
          throw new CliUsageError(`unknown ingestor kind ${JSON.stringify(kind)} (known: ${INGESTORS.map((i) => i.kind).join(", ")})`);
        if (!opts.each && opts.shard !== undefined) {
          throw new CliUsageError("--shard shards the PATHs of --each (one run per PATH): add --each, or drop --shard to make one run");
        }
        const metadata = parseJsonOption(opts.metadata, "--metadata");
        const ingestOptions = { stream: opts.stream, metadata, options: parseKeyValues(opts.option) };
        const ingestOne = async (documents: ReturnType<typeof ingestor.ingest>) => {
          const counted = withProgress(documents, ctx.progress(0, `${kind}: documents`));
          const r = await withOverwriteHint(exportMsgpack(counted, opts.out, { overwrite: opts.overwrite, validate: opts.validate }));
          return { kind, uid: r.uid, path: r.path, bytes: r.bytes, records: r.counts };
        };
        const describe = (r: Awaited<ReturnType<typeof ingestOne>>) => [
          `${kind}: wrote run ${r.uid}`,
          `  file    ${r.path} (${r.bytes} bytes)`,
          `  records ${Object.entries(r.records)
            .map(([n, c]) => `${n} ${c}`)
            .join(", ")}`,
        ];
        if (!opts.each) {
          let documents: ReturnType<typeof ingestor.ingest>;
          if (paths.length === 1) documents = ingestor.ingest(paths[0] as string, ingestOptions);
          else if (ingestor.ingestMany) documents = ingestor.ingestMany(paths, ingestOptions);
          else
            throw new CliUsageError(
              `docs ingest ${kind} takes one PATH, got ${paths.length} (quote a glob pattern so the shell does not expand it, or use --each for one run per PATH)`,
            );
          const r = await ingestOne(documents);
          ctx.print(r, () => describe(r).join("\n"));
          return;
        }
        // --each: one run per PATH (keyed by the PATH as given, balanced by its bytes: a directory's files
        // added up). The run's uid — and so its file name — depends only on its input, never on the shard.
        const shard = resolveShard(opts.shard);
        const mine = selectShard(
          paths.map((p) => ({ key: p, bytes: pathBytes(p) })),
          shard,
        ).map((x) => x.key);
        const results: { path: string; run: Awaited<ReturnType<typeof ingestOne>> }[] = [];
        for (const path of mine) results.push({ path, run: await ingestOne(ingestor.ingest(path, ingestOptions)) });
        ctx.print(
          {
            kind,
            runs: results.map((r) => ({ input: r.path, ...r.run })),
            count: results.length,
            of: paths.length,
            ...(shard === null ? {} : { shard: { index: shard.index, count: shard.count, source: shard.source } }),
          },
          () =>
            [
              ...results.flatMap((r) => [`${r.path}:`, ...describe(r.run)]),
              `${shard === null ? "" : `shard ${shard.index}/${shard.count}: `}${results.length} of ${paths.length} input(s) ingested, one run each`,
            ].join("\n"),
        );
      },
    );

  docs
    .command("ls")
    .description("list the runs of a directory of *.msgpack files (optionally filtered by a MongoDB-style query on the RunStart)")
    .argument("<dir>", "directory (or file) of suitcase-msgpack runs")
    .option("--query <json>", `query on the RunStart, e.g. '{"plan_name": "count", "time": {"$gt": 1.7e9}}'`)
    .option("--skip-bad", "skip files that cannot be indexed (truncated, bad records) instead of failing", false)
    .action((dir: string, opts: { query?: string; skipBad: boolean }) => {
      const ctx = getContext();
      const query = parseJsonOption(opts.query, "--query") as Query | undefined;
      if (query) checkQuery(query);
      const { catalog, files, problems } = openMsgpackCatalog(dir, { skipBad: opts.skipBad });
      const selected = query ? new Set(catalog.search(query).uids()) : undefined;
      const rows = files.filter((f) => !selected || selected.has(f.start.uid)).map(summarise);
      ctx.print({ runs: rows, skipped: problems.map((p) => ({ path: p.path, code: p.error.code, message: p.error.message })) }, () => {
        const lines = rows.map(
          (r) =>
            `${r.uid}  ${isoTime(r.time)}  scan ${r.scan_id ?? "-"}  ${String(r.plan_name ?? "-").padEnd(10)} ${String(r.exit_status ?? "(no stop)").padEnd(9)} ${r.event_records} event records`,
        );
        if (rows.length > 0) lines.unshift(`${"uid".padEnd(rows[0]!.uid.length)}  ${"time".padEnd(24)}  scan  plan       exit      events`);
        lines.push(`${rows.length} run${rows.length === 1 ? "" : "s"}${query ? " matching the query" : ""}`);
        for (const p of problems) lines.push(`skipped ${p.path}: ${p.error.code}`);
        return lines.join("\n");
      });
    });

  docs
    .command("show")
    .description("show one run (start, stop, streams) or, with --stream, that stream read into columns")
    .argument("<dir>", "directory of suitcase-msgpack runs")
    .argument("<run>", "uid, unique uid prefix, -N (N-th latest) or a scan_id")
    .option("--stream <name>", "read this stream into columns")
    .option("--rows <n>", "rows to print per column with --stream", "5")
    .option("--configuration", "with --stream: add the '<object>:<field>' configuration columns", false)
    .action(async (dir: string, key: string, opts: { stream?: string; rows: string; configuration: boolean }) => {
      const ctx = getContext();
      if (!/^\d+$/.test(opts.rows)) throw new CliUsageError(`--rows must be a non-negative integer, got ${JSON.stringify(opts.rows)}`);
      const run = await openRun(dir, key);
      if (!opts.stream) {
        const s = runSummary(run);
        ctx.print(s, () => {
          const lines = [
            `run ${run.start.uid}`,
            `  start  ${isoTime(run.start.time)}${run.start.scan_id !== undefined ? `  scan_id ${run.start.scan_id}` : ""}${run.start.plan_name ? `  plan ${String(run.start.plan_name)}` : ""}`,
            `  stop   ${run.stop ? `${isoTime(run.stop.time)}  ${run.stop.exit_status}${run.stop.reason ? ` (${run.stop.reason})` : ""}` : "(none: partial run)"}`,
          ];
          for (const st of s.streams) {
            lines.push(`  stream ${st.name}: ${st.events} events, ${st.descriptors.length} descriptor(s)`);
            for (const [k, dk] of Object.entries(st.data_keys)) {
              lines.push(
                `    ${k.padEnd(20)} ${dk.dtype.padEnd(8)} [${dk.shape.join(", ")}]${dk.external ? ` external ${dk.external}` : ""}  ${dk.source}`,
              );
            }
          }
          return lines.join("\n");
        });
        return;
      }
      const cols = run.stream(opts.stream).read({ configuration: opts.configuration, fill: false });
      const rows = Number(opts.rows);
      const data = {
        uid: run.start.uid,
        stream: opts.stream,
        length: cols.length,
        time: Array.from(cols.time.subarray(0, rows)),
        seq_num: cols.seq_num.slice(0, rows),
        columns: Object.fromEntries(
          Object.entries(cols.columns).map(([k, c]) => [k, { dtype: c.dtype, shape: c.shape, dims: c.dims, head: columnPreview(c, rows) }]),
        ),
      };
      ctx.print(data, () => {
        const lines = [`run ${run.start.uid} stream ${opts.stream}: ${cols.length} events`];
        lines.push(`  ${"time".padEnd(20)} <f8       [${cols.length}]  ${data.time.join(", ")}`);
        for (const [k, c] of Object.entries(data.columns)) {
          lines.push(`  ${k.padEnd(20)} ${c.dtype.padEnd(9)} [${c.shape.join(", ")}]  ${c.head.map(previewText).join(", ")}`);
        }
        return lines.join("\n");
      });
    });

  docs
    .command("export")
    .description("copy one run (or all runs matching --query) to DIR as suitcase-msgpack, or as JSON lines")
    .argument("<src>", "directory of suitcase-msgpack runs")
    .argument("[run]", "uid, unique uid prefix, -N or scan_id (default: every run, filtered by --query)")
    .requiredOption("--out <dir>", "output directory")
    .option("--query <json>", "only runs whose RunStart matches")
    .option("--format <format>", "msgpack | jsonl ([name, doc] per line, numpy arrays as nested lists)", "msgpack")
    .option("--canonical", "write the canonical order (start, descriptors, events interlaced by time, stop) instead of file order", false)
    .option("--overwrite", "replace existing files", false)
    .option("--shard <I/N>", `${SHARD_HELP} (of the runs, by uid; a re-run needs --overwrite)`)
    .action(
      async (
        src: string,
        key: string | undefined,
        opts: { out: string; query?: string; format: string; canonical: boolean; overwrite: boolean; shard?: string },
      ) => {
        const ctx = getContext();
        const shard = key === undefined ? resolveShard(opts.shard) : null;
        if (key !== undefined && opts.shard !== undefined) throw new CliUsageError("--shard shards the runs of SRC: give no RUN with it");
        if (opts.format !== "msgpack" && opts.format !== "jsonl")
          throw new CliUsageError(`--format must be msgpack or jsonl, got ${JSON.stringify(opts.format)}`);
        const query = parseJsonOption(opts.query, "--query") as Query | undefined;
        if (query) checkQuery(query);
        const { catalog } = openMsgpackCatalog(src);
        const selected = query ? catalog.search(query) : catalog;
        let keys = key !== undefined ? [resolveKey(selected, key)] : selected.uids();
        if (shard !== null) {
          // Runs keyed by uid, balanced by the size of their file in SRC (suitcase names it <uid>.msgpack).
          const size = (uid: string) => {
            try {
              return statSync(join(src, `${uid}.msgpack`)).size;
            } catch {
              return 0;
            }
          };
          keys = selectShard(
            keys.map((uid) => ({ key: uid, bytes: size(uid) })),
            shard,
          ).map((x) => x.key);
        }
        const written: { uid: string; path: string }[] = [];
        const progress = ctx.progress(keys.length, "runs");
        for (const k of keys) {
          const run = await selected.run(k);
          const documents: Iterable<DocumentPair> = opts.canonical ? run.canonicalUnfilled() : run.documents();
          if (opts.format === "msgpack") {
            const r = await withOverwriteHint(exportMsgpack(documents, opts.out, { overwrite: opts.overwrite }));
            written.push({ uid: r.uid, path: r.path });
          } else {
            mkdirSync(opts.out, { recursive: true });
            const path = join(opts.out, `${run.start.uid}.jsonl`);
            await writeJsonLines(path, documents, opts.overwrite);
            written.push({ uid: run.start.uid, path });
          }
          progress.tick();
        }
        progress.stop();
        ctx.print(
          { runs: written, ...(shard === null ? {} : { shard: { index: shard.index, count: shard.count, source: shard.source } }) },
          () => [...written.map((w) => `${w.uid} → ${w.path}`), `${written.length} run(s) exported`].join("\n"),
        );
      },
    );
}
