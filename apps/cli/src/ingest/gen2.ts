import { readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { type DataKey, type DocumentPair, NdArray, composeRun } from "@daqkit/docmodel";
import { filesUid } from "@daqkit/docmodel/node";
import { type Gen2Header, decodeGen2Arrays, inferGen2EpochYear, scanGen2Directory } from "@daqkit/gen2-bin/node";
import { GEN2_WRAP_US, TimestampRange, yearEpochUnixSeconds } from "@daqkit/timestamps";
import { CliUsageError } from "../errors.js";
import type { CliIngestor, IngestCliOptions } from "./types.js";

/*
 * gen2 `.bin` photons → one Bluesky run.
 *
 * Stream layout (decision): ONE stream (`primary`) with a `board` column. Not one stream per board: a night has
 * ~10–30 boards, and per-board streams would make every consumer (read(), canonical(), search by time) merge them
 * back; the board is just an attribute of a photon, like `xy`. Photons with x or y ≥ 256 (which do not fit `xy`)
 * go to a second stream `wide` with separate `x`/`y` columns; they are never dropped.
 *
 * Events are BLOCKS of photons (issue 18: one event per photon cost 134 bytes per photon in msgpack; a block
 * amortises the per-event uid, time, seq_num and timestamps over `block` photons, ≈ 15 bytes per photon). Each
 * event holds `block` photons in file order (photons of one file are sorted by time, stable; a block may span
 * files, whose times can overlap a little) as array columns `xy <u2`, `board |u1`, `dt_us <i4`, `phase <i4`,
 * `baseline <i4`, plus scalars `t0_us <i8` and `count`: photon i of a block has T = t0_us + dt_us[i] exactly.
 * Every event has the same length (DataKey shape [block]): the last block of the run — and a block cut early
 * because the next photon is more than 2^31 − 1 µs from its t0 — is padded with zeros and `count` says how many
 * photons are real. Padding (not a ragged shape [null]) because databroker 1.2's read() stacks a stream's rows
 * with dask and refuses rows of different lengths ("Stacked arrays must have the same shape"). A run with fewer
 * photons than `block` uses one block of exactly that many photons.
 *
 * Event `time` = Unix seconds of the block's first photon: epoch(year) + t0_us / 1e6 (T as decoded, µs since
 * Jan 1 of the board's epoch year; a night crossing the 36-bit wrap is unwrapped by adding M).
 */

function parseNumber(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw new CliUsageError(`--option ${what} must be an integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

const I32_MAX = 0x7fff_ffff;

type PhotonColumn = "xy" | "x" | "y" | "board" | "phase" | "baseline";

const PER_PHOTON: Record<
  PhotonColumn,
  { source: string; dtype_numpy: string; ctor: new (n: number) => Uint16Array | Uint8Array | Int32Array }
> = {
  xy: { source: "gen2:photon xy = (x << 8) | y", dtype_numpy: "<u2", ctor: Uint16Array },
  x: { source: "gen2:photon x", dtype_numpy: "<u2", ctor: Uint16Array },
  y: { source: "gen2:photon y", dtype_numpy: "<u2", ctor: Uint16Array },
  board: { source: "gen2:header board", dtype_numpy: "|u1", ctor: Uint8Array },
  phase: { source: "gen2:photon phase (radians × 32768)", dtype_numpy: "<i4", ctor: Int32Array },
  baseline: { source: "gen2:photon baseline (radians × 16384)", dtype_numpy: "<i4", ctor: Int32Array },
};

function dataKeys(columns: readonly PhotonColumn[], block: number): Record<string, DataKey> {
  const keys: Record<string, DataKey> = {
    t0_us: {
      dtype: "integer",
      shape: [],
      source: "gen2:T of the block's first photon (T = header × 500 + offset)",
      units: "us",
      dtype_numpy: "<i8",
    },
    count: { dtype: "integer", shape: [], source: "gen2:photons in the block (the rest is zero padding)" },
  };
  for (const c of columns) {
    if (c === "phase")
      keys.dt_us = { dtype: "array", shape: [block], source: "gen2:T − t0_us per photon", units: "us", dtype_numpy: "<i4" };
    keys[c] = { dtype: "array", shape: [block], source: PER_PHOTON[c].source, dtype_numpy: PER_PHOTON[c].dtype_numpy };
  }
  return keys;
}

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

/** Accumulates time-ordered photons of one stream into fixed-size blocks (events). */
class BlockWriter {
  private readonly cols: Record<string, Uint16Array | Uint8Array | Int32Array>;
  private readonly dt: Int32Array;
  private n = 0;
  private t0 = 0;
  seq = 0;
  constructor(
    readonly columns: readonly PhotonColumn[],
    readonly block: number,
  ) {
    this.cols = {};
    for (const c of columns) this.cols[c] = new PER_PHOTON[c].ctor(block);
    this.dt = new Int32Array(block);
  }
  get pending(): number {
    return this.n;
  }
  /** Add photon `row` of `source`; returns a full block's data (or a block cut by a long gap) to emit first. */
  add(source: Columns, row: number, tUs: number): Record<string, unknown> | undefined {
    let out: Record<string, unknown> | undefined;
    if (this.n > 0 && Math.abs(tUs - this.t0) > I32_MAX) out = this.take();
    if (this.n === 0) this.t0 = tUs;
    for (const c of this.columns) (this.cols[c] as Uint16Array)[this.n] = (source[c] as Uint16Array)[row] as number;
    this.dt[this.n] = tUs - this.t0;
    this.n++;
    if (this.n === this.block) {
      if (out !== undefined) throw new Error("gen2 ingest: internal error, two blocks at once");
      out = this.take();
    }
    return out;
  }
  /** The pending photons as one event's data (zero-padded to the block size), and reset. */
  take(): Record<string, unknown> {
    const data: Record<string, unknown> = { t0_us: BigInt(this.t0), count: this.n };
    for (const c of this.columns) {
      if (c === "phase") data.dt_us = new NdArray("<i4", [1, this.block], this.dt.slice());
      data[c] = new NdArray(PER_PHOTON[c].dtype_numpy, [1, this.block], this.cols[c]?.slice() as Uint16Array);
    }
    for (const c of this.columns) this.cols[c]?.fill(0);
    this.dt.fill(0);
    this.n = 0;
    return data;
  }
  t0Of(data: Record<string, unknown>): number {
    return Number(data.t0_us as bigint);
  }
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
  const block = parseNumber(options.block, "block") ?? 4096;
  if (block < 1 || block > 1 << 24) throw new CliUsageError("gen2: --option block must be between 1 and 16777216 photons");
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

  const streams = {
    primary: { name: stream ?? "primary", writer: new BlockWriter(["xy", "board", "phase", "baseline"], block) },
    wide: { name: "wide", writer: new BlockWriter(["x", "y", "board", "phase", "baseline"], block) },
  };
  const bundles = new Map<string, ReturnType<typeof run.composeDescriptor>>();
  let lastTime = run.startDoc.time;
  // One event (a block of photons) as a one-row event page; the stream's descriptor goes out before its first one.
  function* emit(which: keyof typeof streams, data: Record<string, unknown>, final: boolean): Generator<DocumentPair> {
    const { name, writer } = streams[which];
    let bundle = bundles.get(which);
    if (bundle === undefined) {
      // A stream with fewer photons than a block: one block of exactly its photons (no padding).
      const width = final ? (data.count as number) : writer.block;
      if (width !== writer.block) for (const [k, v] of Object.entries(data)) if (v instanceof NdArray) data[k] = shrink(v, width);
      bundle = run.composeDescriptor({ name, data_keys: dataKeys(writer.columns, width), time: run.startDoc.time });
      bundles.set(which, bundle);
      yield ["descriptor", bundle.descriptorDoc];
    }
    const t = toSeconds(writer.t0Of(data));
    lastTime = Math.max(lastTime, t);
    writer.seq++;
    const timestamps: Record<string, number[]> = {};
    for (const k of Object.keys(data)) timestamps[k] = [t];
    const row: Record<string, NdArray | BigInt64Array | unknown[]> = {};
    for (const [k, v] of Object.entries(data)) row[k] = v instanceof NdArray ? v : typeof v === "bigint" ? BigInt64Array.of(v) : [v];
    yield [
      "event_page",
      bundle.composeEventPage({ data: row, timestamps, time: [t], seq_num: [writer.seq], uid: [`${uid}/${name}/${writer.seq}`] }),
    ];
  }

  let header: Gen2Header | null = null;
  // Words before a selected file's first header need the previous file's last header.
  const before = files.indexOf(selected[0] as (typeof files)[number]);
  if (before > 0) header = (files[before - 1] as (typeof files)[number]).lastHeader;
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
      const writer = streams[which].writer;
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i] as number;
        const full = writer.add(cols, r, Number(timestamp[r]));
        if (full) yield* emit(which, full, false);
      }
    }
  }
  for (const which of ["primary", "wide"] as const) {
    const writer = streams[which].writer;
    if (writer.pending > 0) yield* emit(which, writer.take(), true);
  }
  if (!bundles.has("primary")) {
    // No photon in the selection: the run still declares its primary stream.
    const bundle = run.composeDescriptor({
      name: streams.primary.name,
      data_keys: dataKeys(streams.primary.writer.columns, block),
      time: run.startDoc.time,
    });
    yield ["descriptor", bundle.descriptorDoc];
  }
  yield ["stop", run.composeStop({ time: lastTime, reason: "" })];
}

/** The first `width` entries of a [1, block] column. */
function shrink(a: NdArray, width: number): NdArray {
  return new NdArray(a.dtype, [1, width], (a.data as Uint16Array).slice(0, width));
}

/** `daqkit docs ingest gen2 BIN_DIR|FILE.bin`: photons of a gen2 night (or a time range of it) as one run. */
export const gen2Ingestor: CliIngestor = {
  kind: "gen2",
  description: "gen2 MKID .bin directory (or one .bin file): events are blocks of photons (array columns), one stream with a board column",
  optionHelp:
    "from=T to=T (µs, inclusive, gen2 TimestampRange), year=YYYY (default: from file names), block=N photons per event (default 4096)",
  ingest: (path, options) => ingestGen2(path, options),
};
