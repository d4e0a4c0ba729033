import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, extname, join, resolve } from "node:path";
import {
  BinDirectory,
  BinSerializer,
  type ConvertResult,
  decodeGen2Arrays,
  Gen2BinError,
  Gen2ChecksumAccumulator,
  type Gen2DecodeStats,
  type Gen2Header,
  type Gen2ScannedFile,
  inferGen2EpochYear,
  iterateGen2Batches,
  scanGen2Directory,
  scanGen2Headers,
  writeTableArrow,
  writeTableParquet,
} from "@daqkit/gen2-bin/node";
import { openFileSource } from "@daqkit/io/node";
import { GEN2_WRAP_US, gen2UsToDate, TimestampRange, unixNsToGen2Us } from "@daqkit/timestamps";
import type { Command } from "commander";
import type { CliContext, Progress } from "../context.js";
import { gen2CacheDir } from "../cache.js";
import { writeTableFile } from "../table-output.js";
import { CliUsageError } from "../errors.js";
import { resolveShard, SHARD_HELP, selectShard, shardWorkerDefault } from "../shard.js";

export function parseYear(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{4}$/.test(text)) throw new CliUsageError(`--year must be a four-digit year, got ${JSON.stringify(text)}`);
  return Number(text);
}

function parseCount(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new CliUsageError(`${what} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

interface Totals {
  files: number;
  bytes: number;
  frames: number;
  paddings: number;
  photons: number;
  widePhotons: number;
  orphanWords: number;
  trailingBytes: number;
}

function addStats(t: Totals, s: Gen2DecodeStats): void {
  t.bytes += s.bytes;
  t.frames += s.headers;
  t.paddings += s.paddings;
  t.photons += s.photons;
  t.widePhotons += s.widePhotons;
  t.orphanWords += s.orphanWords;
  t.trailingBytes += s.trailingBytes;
}

/** Stream-decode one file, accumulating counts, boards and the checksum. */
async function scanFile(
  path: string,
  header: Gen2Header | null,
  sum: Gen2ChecksumAccumulator,
  boards: Map<number, number>,
  allowPartialWord: boolean,
): Promise<{ stats: Gen2DecodeStats; lastHeader: Gen2Header | null }> {
  let stats: Gen2DecodeStats | undefined;
  let lastHeader: Gen2Header | null = header;
  for await (const b of iterateGen2Batches(path, { header, board: true, allowPartialWord })) {
    const xy = b.photons.getChild("xy")!.toArray() as Uint16Array;
    const board = b.photons.getChild("board")!.toArray() as Uint8Array;
    for (let i = 0; i < board.length; i++) boards.set(board[i]!, (boards.get(board[i]!) ?? 0) + 1);
    sum.addPacked({
      xy,
      timestamp: b.photons.getChild("timestamp")!.toArray() as BigInt64Array,
      phase: b.photons.getChild("phase")!.toArray() as Int32Array,
      baseline: b.photons.getChild("baseline")!.toArray() as Int32Array,
    });
    if (b.wide) {
      const wb = b.wide.getChild("board")!.toArray() as Uint8Array;
      for (const v of wb) boards.set(v, (boards.get(v) ?? 0) + 1);
      sum.addWide({
        x: b.wide.getChild("x")!.toArray() as Uint16Array,
        y: b.wide.getChild("y")!.toArray() as Uint16Array,
        timestamp: b.wide.getChild("timestamp")!.toArray() as BigInt64Array,
        phase: b.wide.getChild("phase")!.toArray() as Int32Array,
        baseline: b.wide.getChild("baseline")!.toArray() as Int32Array,
      });
    }
    stats = b.stats;
    lastHeader = b.lastHeader;
  }
  return { stats: stats!, lastHeader };
}

function lazyProgress(ctx: CliContext, label: string): { cb: (done: number, total: number) => void; stop: () => void } {
  let bar: Progress | undefined;
  return {
    cb: (done, total) => {
      bar ??= ctx.progress(total, label);
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}

export function utcOf(range: TimestampRange, year: number | undefined): { start: string; stop: string } | undefined {
  if (year === undefined) return undefined;
  const stop = range.wraps ? range.stopUs + GEN2_WRAP_US : range.stopUs;
  return { start: gen2UsToDate(range.startUs, year).toISOString(), stop: gen2UsToDate(stop, year).toISOString() };
}

/** A `--from/--to` value: integer µs since the year epoch, or an ISO date/time as unix ns (needs the epoch year). */
export type TimeArg = { us: number } | { ns: bigint };

/** Parse `--from/--to`: integer µs since the year epoch, or an ISO date/time (converted once the epoch year is known). */
export function parseTime(text: string, what: string): TimeArg {
  const clean = text.replaceAll("_", "");
  if (/^\d+$/.test(clean)) return { us: Number(clean) };
  // Keep sub-millisecond digits, which Date.parse drops: 2026-03-14T10:00:01.999999Z.
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  const ms = Date.parse(m ? `${m[1]}${m[3] ?? "Z"}` : text);
  if (Number.isNaN(ms)) throw new CliUsageError(`${what} must be µs since the year epoch or an ISO date, got ${JSON.stringify(text)}`);
  const fractionNs = m?.[2] ? BigInt(m[2].padEnd(9, "0")) : 0n;
  return { ns: BigInt(ms) * 1_000_000n + fractionNs };
}

/** A `--from/--to` value as µs since the epoch of `year`, reduced mod M as the boards count. */
export function timeToUs(t: TimeArg, year: number): number {
  return "us" in t ? t.us : unixNsToGen2Us(t.ns, year, { wrap: true });
}

/** `gen2 read` takes a directory: say so when it is given a file (the package would say "does not exist"). */
async function assertNotAFile(path: string): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (info && !info.isDirectory()) {
    throw new CliUsageError(
      `${path} is a file, not a directory: gen2 read takes a directory of .bin files (use gen2 info FILE for one file)`,
    );
  }
}

/** `daqkit gen2 …`: MKID gen2 `.bin` photon files. */
export function registerGen2Commands(program: Command, getContext: () => CliContext): void {
  const gen2 = program
    .command("gen2")
    .description("MKID gen2 readout .bin photon files: decode, Parquet cache, time-range queries, serializer");

  gen2
    .command("convert-all")
    .description("convert every .bin file of BIN_DIR to Parquet in PARQUET_DIR (sorted by xy, timestamp); up-to-date files are reused")
    .argument("<binDir>", "directory of <unix-second>.bin files")
    .argument("<parquetDir>", "Parquet cache directory (created if missing)")
    .option("--overwrite", "convert even when an up-to-date Parquet file exists", false)
    .option("--workers <n>", "worker threads (default: min(2, CPUs); a shard: 1, or min(2, SLURM_CPUS_PER_TASK); 0 = no threads)")
    .option("-q, --quiet", "no progress bar", false)
    .option("--shard <I/N>", SHARD_HELP)
    .action(async (binDir: string, parquetDir: string, opts: { overwrite: boolean; workers?: string; quiet: boolean; shard?: string }) => {
      const ctx = getContext();
      const shard = resolveShard(opts.shard);
      // Without --workers: min(2, CPUs) threads for the whole directory, but a shard converts in its own
      // thread (or with the CPUs Slurm gave the task): see shardWorkerDefault.
      const shardWorkers = shardWorkerDefault(shard);
      const workers =
        opts.workers !== undefined ? parseCount(opts.workers, "--workers") : shardWorkers === null ? undefined : Math.min(2, shardWorkers);
      const progress = lazyProgress(ctx, "convert");
      const started = performance.now();
      const dir = await BinDirectory.open(binDir, parquetDir, {
        ...(opts.quiet ? {} : { progress: progress.cb }),
        ...(workers !== undefined ? { workers } : {}),
      });
      // A shard takes its part of the files, keyed by file name and balanced by bytes; the cache names
      // depend only on the file, so the shards of one directory never write the same file.
      const mine =
        shard === null
          ? dir.files
          : selectShard(
              dir.files.map((f) => ({ key: f.name, bytes: f.size, file: f })),
              shard,
            )
              .map((x) => x.file)
              .sort((a, b) => a.index - b.index);
      let paths: string[];
      try {
        paths =
          shard === null ? await dir.convertAll({ overwrite: opts.overwrite }) : await dir.convertSome(mine, { overwrite: opts.overwrite });
      } finally {
        progress.stop();
      }
      const seconds = (performance.now() - started) / 1000;
      const converted = [...dir.results.values()].filter((r): r is ConvertResult => r !== "cached");
      const reused = mine.length - converted.length;
      const totals = { photons: 0, widePhotons: 0, orphanWords: 0, trailingBytes: 0 };
      let sum = 0n;
      for (const r of converted) {
        totals.photons += r.stats.photons;
        totals.widePhotons += r.stats.widePhotons;
        totals.orphanWords += r.stats.orphanWords;
        totals.trailingBytes += r.stats.trailingBytes;
        sum = (sum + BigInt(`0x${r.checksum}`)) % (1n << 64n);
      }
      const checksum = reused === 0 ? sum.toString(16).padStart(16, "0") : null;
      const result = {
        binDir: dir.binDir,
        parquetDir: dir.parquetDir,
        files: mine.length,
        ...(shard === null ? {} : { shard: { index: shard.index, count: shard.count, source: shard.source }, allFiles: dir.files.length }),
        converted: converted.length,
        reused,
        skipped: dir.skipped,
        ...totals,
        checksum,
        seconds: Number(seconds.toFixed(3)),
        parquet: paths,
      };
      ctx.print(result, () => {
        const lines = [
          `${shard === null ? "" : `shard ${shard.index}/${shard.count}: `}${mine.length}${shard === null ? "" : ` of ${dir.files.length}`} bin files → ${dir.parquetDir}: ${converted.length} converted, ${reused} up to date${dir.skipped.length ? `, ${dir.skipped.length} skipped` : ""} (${seconds.toFixed(2)} s)`,
        ];
        if (converted.length) {
          lines.push(
            `converted photons ${totals.photons}${totals.widePhotons ? ` + ${totals.widePhotons} with x or y ≥ 256 (in wide/)` : ""}${totals.orphanWords ? `, ${totals.orphanWords} orphan words before the first header` : ""}${totals.trailingBytes ? `, ${totals.trailingBytes} trailing bytes of partial words skipped` : ""}`,
          );
        }
        if (checksum) lines.push(`checksum ${checksum}`);
        for (const s of dir.skipped) lines.push(`skipped ${s.path}: ${s.reason} (${s.size} bytes)`);
        return lines.join("\n");
      });
    });

  gen2
    .command("info")
    .description("files, boards, photons and time range of a .bin file or a directory of them")
    .argument("<path>", "a .bin file or a directory of .bin files")
    .option("--year <yyyy>", "board epoch year, to print times in UTC (default: inferred from <unix-second>.bin names)")
    .action(async (path: string, opts: { year?: string }) => {
      const ctx = getContext();
      let year = parseYear(opts.year);
      const info = await stat(path).catch((error: unknown) => {
        throw new Gen2BinError("GEN2_FILE_NOT_FOUND", `gen2: ${path} does not exist`, { path, cause: error });
      });
      let files: Gen2ScannedFile[] = [];
      let skipped: unknown[] = [];
      let paths: string[];
      if (info.isDirectory()) {
        const scan = await scanGen2Directory(path);
        files = scan.files;
        skipped = scan.skipped;
        paths = files.map((f) => f.path);
      } else {
        paths = [resolve(path)];
      }
      const totals: Totals = {
        files: paths.length,
        bytes: 0,
        frames: 0,
        paddings: 0,
        photons: 0,
        widePhotons: 0,
        orphanWords: 0,
        trailingBytes: 0,
      };
      const sum = new Gen2ChecksumAccumulator();
      const boards = new Map<number, number>();
      let header: Gen2Header | null = null;
      let firstHeaderTs: number | undefined;
      const perFile = [];
      for (const p of paths) {
        const r = await scanFile(p, header, sum, boards, info.isDirectory());
        addStats(totals, r.stats);
        perFile.push({
          path: p,
          photons: r.stats.photons,
          widePhotons: r.stats.widePhotons,
          orphanWords: r.stats.orphanWords,
          bytes: r.stats.bytes,
        });
        header = r.lastHeader;
      }
      let range: TimestampRange;
      if (files.length) {
        range = new TimestampRange(files[0]!.range.startUs, files[files.length - 1]!.range.stopUs);
        firstHeaderTs = files[0]!.firstHeader.timestamp;
      } else {
        const { first, last } = await headerSpan(paths[0]!);
        range = new TimestampRange(first * 500, last * 500 + 499);
        firstHeaderTs = first;
      }
      year ??= firstHeaderTs !== undefined ? inferGen2EpochYear(basename(paths[0]!), { timestamp: firstHeaderTs }) : undefined;
      const utc = utcOf(range, year);
      const result = {
        path: resolve(path),
        ...totals,
        skipped,
        boards: Object.fromEntries([...boards.entries()].sort((a, b) => a[0] - b[0])),
        range: { startUs: range.startUs, stopUs: range.stopUs, wraps: range.wraps, durationUs: range.durationUs },
        ...(year !== undefined ? { year, utc } : {}),
        checksum: sum.hex(),
        ...(info.isDirectory() ? { perFile } : {}),
      };
      ctx.print(result, () => {
        const lines = [
          `${resolve(path)}: ${totals.files} file${totals.files === 1 ? "" : "s"}, ${totals.bytes} bytes${skipped.length ? `, ${skipped.length} skipped` : ""}`,
          `photons ${totals.photons}${totals.widePhotons ? ` + ${totals.widePhotons} with x or y ≥ 256` : ""}, frames ${totals.frames}, padding words ${totals.paddings}${totals.orphanWords ? `, orphan words ${totals.orphanWords}` : ""}${totals.trailingBytes ? `, trailing bytes ${totals.trailingBytes}` : ""}`,
          `boards ${[...boards.keys()].sort((a, b) => a - b).join(" ") || "(none)"}`,
          `time ${range.startUs} … ${range.stopUs} µs (header time, inclusive${range.wraps ? ", crosses the 36-bit wrap" : ""}), ${(range.durationUs / 1e6).toFixed(3)} s`,
        ];
        if (utc) lines.push(`utc  ${utc.start} … ${utc.stop} (epoch ${year}-01-01)`);
        lines.push(`checksum ${sum.hex()}`);
        return lines.join("\n");
      });
    });

  gen2
    .command("round-trip")
    .description("decode FILE, serialize its photons with BinSerializer and decode them again; fails unless the photons match")
    .argument("<file>", "a .bin file")
    .option("--out <dir>", "directory for the re-serialized .bin files (default: a temporary directory, removed afterwards)")
    .option("--year <yyyy>", "epoch year for the output file names", "2020")
    .action(async (file: string, opts: { out?: string; year: string }) => {
      const ctx = getContext();
      const year = parseYear(opts.year)!;
      const bytes = await readFile(file).catch((error: unknown) => {
        throw new Gen2BinError(
          (error as { code?: string }).code === "ENOENT" ? "GEN2_FILE_NOT_FOUND" : "GEN2_IO",
          `gen2: cannot read ${file}: ${(error as Error).message}`,
          { path: file, cause: error },
        );
      });
      const src = decodeGen2Arrays(bytes, { board: true, path: file });
      const { xy, board, timestamp, phase, baseline } = src.photons;
      const board2pixel = new Map<number, Set<number>>();
      const owner = new Int16Array(65536).fill(-1);
      for (let i = 0; i < xy.length; i++) {
        const v = xy[i]!;
        const b = board![i]!;
        if (owner[v]! >= 0 && owner[v] !== b) {
          throw new Gen2BinError(
            "GEN2_PIXEL_DUPLICATED",
            `gen2: pixel ${v} (xy) is read out by board ${owner[v]} and board ${b} in ${file}`,
            { path: file },
          );
        }
        owner[v] = b;
        let set = board2pixel.get(b);
        if (!set) board2pixel.set(b, (set = new Set()));
        set.add(v);
      }
      // Without --out the re-serialized files go to a temporary directory, removed afterwards (also on failure).
      const temporary = opts.out === undefined;
      const out = opts.out ?? (await mkdtemp(join(tmpdir(), "daqkit-gen2-round-trip-")));
      const wrapped = timestamp.map((t) => t % BigInt(GEN2_WRAP_US));
      const before = new Gen2ChecksumAccumulator();
      before.addPacked({ xy, timestamp: wrapped, phase, baseline });
      let written: string[] = [];
      const after = new Gen2ChecksumAccumulator();
      try {
        if (xy.length > 0) {
          const serializer = new BinSerializer({ directory: out, board2pixel, year, skew: 0 });
          written = await serializer.serialize({ xy, timestamp: wrapped, phase, baseline });
        }
        let header: Gen2Header | null = null;
        for (const w of written) {
          const r = decodeGen2Arrays(await readFile(w), { header, path: w });
          header = r.lastHeader;
          after.addPacked(r.photons);
        }
      } finally {
        if (temporary) await rm(out, { recursive: true, force: true });
      }
      if (after.count !== before.count || after.hex() !== before.hex()) {
        throw new Gen2BinError(
          "GEN2_ROUND_TRIP_MISMATCH",
          `gen2: round trip of ${file} changed the photons: ${before.count} photons (checksum ${before.hex()}) became ${after.count} (checksum ${after.hex()})`,
          { path: file },
        );
      }
      const result = {
        file: resolve(file),
        photons: before.count,
        checksum: before.hex(),
        widePhotonsNotSerialized: src.stats.widePhotons,
        orphanWordsNotSerialized: src.stats.orphanWords,
        boards: [...board2pixel.keys()].sort((a, b) => a - b),
        out: temporary ? null : resolve(out),
        written: temporary ? written.map((w) => basename(w)) : written,
      };
      ctx.print(result, () =>
        [
          `round trip OK: ${before.count} photons, checksum ${before.hex()}, ${board2pixel.size} boards → ${written.length} file(s) ${temporary ? "in a temporary directory, removed (--out DIR keeps them)" : `in ${resolve(out)}`}`,
          ...(src.stats.widePhotons
            ? [`${src.stats.widePhotons} photons with x or y ≥ 256 cannot be written from an xy table and were not round-tripped`]
            : []),
          ...(src.stats.orphanWords ? [`${src.stats.orphanWords} orphan words before the first header were not round-tripped`] : []),
        ].join("\n"),
      );
    });

  gen2
    .command("read")
    .description(
      "photons of DIR with timestamp in [--from, --to] (inclusive, across the wrap) → a .parquet, .arrow (Arrow IPC file) or .arrows (Arrow IPC stream) file",
    )
    .argument("<dir>", "directory of .bin files")
    .requiredOption("--from <t>", "first µs since the year epoch (integer), or an ISO date")
    .requiredOption("--to <t>", "last µs (inclusive), or an ISO date; earlier than --from only across the wrap of a night that crosses it")
    .requiredOption(
      "--out <file>",
      "output file: .parquet, .arrow (Arrow IPC file) or .arrows (Arrow IPC stream); photons with x or y ≥ 256 go to <file>.wide.<ext>",
    )
    .option(
      "--cache <dir>",
      "Parquet cache directory (default: $XDG_CACHE_HOME/daqkit/gen2/<hash of DIR>, else ~/.cache/daqkit/…; see daqkit cache)",
    )
    .option("--year <yyyy>", "board epoch year, for ISO dates in --from/--to (default: inferred from the file names, as gen2 info)")
    .option("--overwrite", "reconvert even up-to-date cache files", false)
    .option("--workers <n>", "conversion worker threads")
    .action(
      async (
        dirArg: string,
        opts: { from: string; to: string; out: string; cache?: string; year?: string; overwrite: boolean; workers?: string },
      ) => {
        const ctx = getContext();
        const year = parseYear(opts.year);
        const ext = extname(opts.out);
        if (ext !== ".parquet" && ext !== ".arrow" && ext !== ".arrows")
          throw new CliUsageError(`--out must end in .parquet, .arrow or .arrows, got ${JSON.stringify(opts.out)}`);
        const from = parseTime(opts.from, "--from");
        const to = parseTime(opts.to, "--to");
        if ("ns" in from && "ns" in to && from.ns > to.ns) {
          throw new CliUsageError(`--from ${opts.from} is later than --to ${opts.to}`);
        }
        await assertNotAFile(dirArg);
        const cache = opts.cache ?? (await gen2CacheDir(dirArg));
        const progress = lazyProgress(ctx, "convert");
        const dir = await BinDirectory.open(dirArg, cache, {
          progress: progress.cb,
          ...(opts.workers !== undefined ? { workers: parseCount(opts.workers, "--workers") } : {}),
        });
        // The epoch year comes from the file names, as in `gen2 info`; --year overrides it.
        const first = dir.files[0]!;
        const last = dir.files[dir.files.length - 1]!;
        const inferredYear = inferGen2EpochYear(first.name, first.firstHeader);
        const epochYear = year ?? inferredYear;
        if (epochYear === undefined && ("ns" in from || "ns" in to)) {
          throw new CliUsageError(
            `--from/--to are dates, and the epoch year cannot be inferred from the file names of ${dir.binDir}: give --year (the board epoch year)`,
          );
        }
        const range = new TimestampRange(timeToUs(from, epochYear!), timeToUs(to, epochYear!));
        const dirRange = new TimestampRange(first.range.startUs, last.range.stopUs);
        const dirUtc = utcOf(dirRange, inferredYear ?? year);
        const dirText = `${dirRange.key()} µs${dirUtc ? ` (${dirUtc.start} … ${dirUtc.stop})` : ""}${dirRange.wraps ? ", across the 36-bit wrap" : ""}`;
        // A range with --from after --to (mod M) crosses the wrap: only meaningful when this night does.
        if (range.wraps && !dirRange.wraps && !("ns" in from && "ns" in to)) {
          throw new CliUsageError(
            `--from ${opts.from} (${range.startUs} µs) is later than --to ${opts.to} (${range.stopUs} µs); a range across the 36-bit wrap is only accepted when the night crosses it, and ${dir.binDir} spans ${dirText}`,
          );
        }
        if (dir.filesForTimerange(range).length === 0) {
          const yearHint =
            year !== undefined && inferredYear !== undefined && year !== inferredYear
              ? `; the file names give epoch year ${inferredYear}, not --year ${year} (the epoch is the year the board clock was loaded, not the calendar year of the night)`
              : "";
          throw new Gen2BinError(
            "GEN2_VALUE_OUT_OF_RANGE",
            `gen2: ${range.key()} µs (--from ${opts.from} --to ${opts.to}) matches no file of ${dir.binDir}, which spans ${dirText}${yearHint}`,
            { path: dir.binDir },
          );
        }
        let r: Awaited<ReturnType<BinDirectory["readTimerange"]>>;
        try {
          r = await dir.readTimerange(range, { overwrite: opts.overwrite });
        } finally {
          progress.stop();
        }
        const write =
          ext === ".parquet"
            ? writeTableParquet
            : ext === ".arrow"
              ? writeTableArrow
              : async (path: string, table: typeof r.photons) => void (await writeTableFile(path, [table]));
        await write(opts.out, r.photons);
        const wideOut = r.wide.numRows > 0 ? `${opts.out.slice(0, -ext.length)}.wide${ext}` : null;
        if (wideOut) await write(wideOut, r.wide);
        const result = {
          range: { startUs: range.startUs, stopUs: range.stopUs, wraps: range.wraps },
          photons: r.photons.numRows,
          widePhotons: r.wide.numRows,
          out: resolve(opts.out),
          wideOut: wideOut ? resolve(wideOut) : null,
          cache: dir.parquetDir,
          sourceFiles: r.files,
        };
        ctx.print(result, () =>
          [
            `${r.photons.numRows} photons in ${range.key()} µs (inclusive${range.wraps ? ", across the wrap" : ""}) from ${r.files.length} of ${dir.files.length} files → ${resolve(opts.out)}`,
            ...(wideOut ? [`${r.wide.numRows} photons with x or y ≥ 256 → ${resolve(wideOut)}`] : []),
            `cache ${dir.parquetDir}`,
          ].join("\n"),
        );
      },
    );
}

/** First and last header timestamps of a single file (for `info FILE`), from gen2-bin's header scan. */
async function headerSpan(path: string): Promise<{ first: number; last: number }> {
  const source = await openFileSource(path).catch((error: unknown) => {
    throw new Gen2BinError("GEN2_IO", `gen2: cannot open ${path}: ${(error as Error).message}`, { path, cause: error });
  });
  try {
    const span = await scanGen2Headers(source, { path });
    return { first: span?.first.timestamp ?? 0, last: span?.last.timestamp ?? 0 };
  } finally {
    await source.close?.();
  }
}
