import { readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { type DocumentPair, NdArray, composeRun } from "@daqkit/docmodel";
import { filesUid } from "@daqkit/docmodel/node";
import { type Gen2Header, decodeGen2Arrays, inferGen2EpochYear, scanGen2Directory } from "@daqkit/gen2-bin/node";
import { GEN2_WRAP_US, TimestampRange, yearEpochUnixSeconds } from "@daqkit/timestamps";
import { CliUsageError } from "../errors.js";
import type { CliIngestor, IngestCliOptions } from "./types.js";

/*
 * gen2 `.bin` photons → one Bluesky run.
 *
 * Stream layout (decision): ONE stream (`primary`) with a `board` column, photons as event pages (one page per
 * file, split into pages of at most `page` photons). Not one stream per board: a night has ~10–30 boards, and
 * per-board streams would make every consumer (read(), canonical(), search by time) merge them back; the board
 * is just an attribute of a photon, like `xy`. Photons of one file are sorted by time (stable) so each
 * descriptor's events are time-ordered, as canonical() assumes. Photons with x or y ≥ 256 (which do not fit
 * `xy`) go to a second stream `wide` with separate `x`/`y` columns; they are never dropped.
 *
 * Event `time` = Unix seconds of the photon time T: epoch(year) + T / 1e6 (T as decoded, µs since Jan 1 of
 * the board's epoch year; a night crossing the 36-bit wrap is unwrapped by adding M). `timestamp_us` keeps T
 * exactly (int64).
 */

function parseNumber(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw new CliUsageError(`--option ${what} must be an integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

const DATA_KEYS = {
  xy: { dtype: "integer" as const, shape: [], source: "gen2:photon xy = (x << 8) | y", dtype_numpy: "<u2" },
  board: { dtype: "integer" as const, shape: [], source: "gen2:header board", dtype_numpy: "|u1" },
  timestamp_us: { dtype: "integer" as const, shape: [], source: "gen2:T = header × 500 + offset", units: "us", dtype_numpy: "<i8" },
  phase: { dtype: "integer" as const, shape: [], source: "gen2:photon phase (radians × 32768)", dtype_numpy: "<i4" },
  baseline: { dtype: "integer" as const, shape: [], source: "gen2:photon baseline (radians × 16384)", dtype_numpy: "<i4" },
};

const WIDE_KEYS = {
  x: { dtype: "integer" as const, shape: [], source: "gen2:photon x", dtype_numpy: "<u2" },
  y: { dtype: "integer" as const, shape: [], source: "gen2:photon y", dtype_numpy: "<u2" },
  board: DATA_KEYS.board,
  timestamp_us: DATA_KEYS.timestamp_us,
  phase: DATA_KEYS.phase,
  baseline: DATA_KEYS.baseline,
};

type Columns = Record<string, Uint16Array | Uint8Array | BigInt64Array | Int32Array>;

/** Indices of rows inside `range` (if any), sorted by timestamp (stable). */
function selectSorted(timestamp: BigInt64Array, range: TimestampRange | undefined): Uint32Array {
  const keep: number[] = [];
  for (let i = 0; i < timestamp.length; i++) if (!range || range.inside(timestamp[i] as bigint)) keep.push(i);
  const idx = Uint32Array.from(keep);
  const t = Float64Array.from(keep, (i) => Number(timestamp[i]));
  const order = Array.from(idx.keys()).sort((a, b) => (t[a] as number) - (t[b] as number) || a - b);
  return Uint32Array.from(order, (j) => idx[j] as number);
}

function take(cols: Columns, rows: Uint32Array, from: number, to: number): Record<string, NdArray> {
  const out: Record<string, NdArray> = {};
  for (const [k, c] of Object.entries(cols)) {
    const Ctor = c.constructor as new (n: number) => typeof c;
    const part = new Ctor(to - from);
    for (let i = from; i < to; i++) (part as unknown as number[])[i - from] = c[rows[i] as number] as never;
    const dtype = DATA_KEYS[k as keyof typeof DATA_KEYS]?.dtype_numpy ?? WIDE_KEYS[k as keyof typeof WIDE_KEYS].dtype_numpy;
    out[k] = new NdArray(dtype, [to - from], part);
  }
  return out;
}

async function* ingestGen2(path: string, { stream, metadata, options }: IngestCliOptions): AsyncGenerator<DocumentPair> {
  const st = await stat(path).catch(() => undefined);
  const dir = st?.isFile() ? dirname(path) : path;
  const only = st?.isFile() ? resolve(path) : undefined;
  const scan = await scanGen2Directory(dir);
  const files = only ? scan.files.filter((f) => resolve(f.path) === only) : scan.files;
  if (files.length === 0) throw new CliUsageError(`gen2: ${path} is not a usable .bin file of ${dir}`);
  const from = parseNumber(options.from, "from");
  const to = parseNumber(options.to, "to");
  if ((from === undefined) !== (to === undefined)) throw new CliUsageError("gen2: give both --option from=T and to=T (µs, inclusive)");
  const range = from !== undefined && to !== undefined ? new TimestampRange(from, to) : undefined;
  const selected = range ? files.filter((f) => f.range.grow(10_000).overlaps(range)) : files;
  const first = selected[0] ?? files[0];
  if (!first) throw new CliUsageError("gen2: no files");
  const year = parseNumber(options.year, "year") ?? inferGen2EpochYear(first.name, first.firstHeader);
  if (year === undefined) throw new CliUsageError("gen2: cannot infer the epoch year from the file names; pass --option year=YYYY");
  const pageSize = parseNumber(options.page, "page") ?? 65_536;
  if (pageSize < 1) throw new CliUsageError("gen2: --option page must be ≥ 1");
  const epoch = yearEpochUnixSeconds(year);
  const t0Us = first.firstHeader.timestamp * 500;
  // Unix seconds of T; a T far below the first header's time lies after the 36-bit wrap.
  const toSeconds = (tUs: number): number => epoch + (tUs < t0Us - GEN2_WRAP_US / 2 ? tUs + GEN2_WRAP_US : tUs) / 1e6;

  // What identifies the data: each file's name relative to the night directory, size and bounded content digest,
  // plus the selected range — never the absolute path (same uid from any folder or checkout).
  const uid = filesUid(
    selected.map((f) => f.path),
    [range ? `range:${range.key()}` : "range:all"],
    dir,
  );
  const run = composeRun({
    uid,
    time: toSeconds(t0Us),
    metadata: {
      plan_name: "gen2_bin",
      detectors: ["mkid"],
      source: resolve(dir),
      files: selected.map((f) => f.name),
      year,
      ...(range ? { range_us: [range.startUs, range.stopUs] } : {}),
      ...(metadata ?? {}),
    },
  });
  yield ["start", run.startDoc];

  const primary = run.composeDescriptor({ name: stream ?? "primary", data_keys: DATA_KEYS, time: run.startDoc.time });
  yield ["descriptor", primary.descriptorDoc];
  let wide: ReturnType<typeof run.composeDescriptor> | undefined;
  let header: Gen2Header | null = null;
  // Words before a selected file's first header need the previous file's last header.
  const before = files.indexOf(selected[0] as (typeof files)[number]);
  if (before > 0) header = (files[before - 1] as (typeof files)[number]).lastHeader;
  let seq = 0;
  let wideSeq = 0;
  let lastTime = run.startDoc.time;
  for (const file of selected) {
    const decoded = decodeGen2Arrays(new Uint8Array(await readFile(file.path)), { header, board: true, path: file.path });
    header = decoded.lastHeader;
    for (const [which, cols] of [
      ["primary", decoded.photons as unknown as Columns],
      ["wide", decoded.wide as unknown as Columns],
    ] as const) {
      const timestamp = cols.timestamp as BigInt64Array;
      if (timestamp.length === 0) continue;
      const rows = selectSorted(timestamp, range);
      if (rows.length === 0) continue;
      let bundle = primary;
      if (which === "wide") {
        wide ??= run.composeDescriptor({ name: "wide", data_keys: WIDE_KEYS, time: run.startDoc.time });
        if (wideSeq === 0) yield ["descriptor", wide.descriptorDoc];
        bundle = wide;
      }
      const ordered: Columns =
        which === "primary"
          ? {
              xy: cols.xy as Uint16Array,
              board: cols.board as Uint8Array,
              timestamp_us: timestamp,
              phase: cols.phase as Int32Array,
              baseline: cols.baseline as Int32Array,
            }
          : {
              x: cols.x as Uint16Array,
              y: cols.y as Uint16Array,
              board: cols.board as Uint8Array,
              timestamp_us: timestamp,
              phase: cols.phase as Int32Array,
              baseline: cols.baseline as Int32Array,
            };
      for (let start = 0; start < rows.length; start += pageSize) {
        const stop = Math.min(rows.length, start + pageSize);
        const n = stop - start;
        const data = take(ordered, rows, start, stop);
        const time = new Float64Array(n);
        for (let i = 0; i < n; i++) time[i] = toSeconds(Number(timestamp[rows[start + i] as number]));
        lastTime = Math.max(lastTime, time[n - 1] as number);
        const base = which === "primary" ? seq : wideSeq;
        const seqNum = Array.from({ length: n }, (_, i) => base + i + 1);
        const timestamps: Record<string, Float64Array> = {};
        for (const k of Object.keys(data)) timestamps[k] = time;
        yield [
          "event_page",
          bundle.composeEventPage({
            data,
            timestamps,
            time,
            seq_num: seqNum,
            uid: seqNum.map((s) => `${uid}/${which}/${s}`),
          }),
        ];
        if (which === "primary") seq += n;
        else wideSeq += n;
      }
    }
  }
  yield ["stop", run.composeStop({ time: lastTime, reason: "" })];
}

/** `daqkit docs ingest gen2 BIN_DIR|FILE.bin`: photons of a gen2 night (or a time range of it) as one run. */
export const gen2Ingestor: CliIngestor = {
  kind: "gen2",
  description: "gen2 MKID .bin directory (or one .bin file): photons as event pages, one stream with a board column",
  optionHelp: "from=T to=T (µs, inclusive, gen2 TimestampRange), year=YYYY (default: from file names), page=N photons per page",
  ingest: (path, options) => ingestGen2(path, options),
};
