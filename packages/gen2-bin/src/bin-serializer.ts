/**
 * `BinSerializer`: photon tables as hardware-like gen2 `.bin` files (spec §9, with §12 D3–D5,
 * D12, D13 and D15 fixed), as bytes (platform-neutral; `@daqkit/gen2-bin/node` adds writing them
 * into a directory).
 */
import { GEN2_WRAP_US, TimestampRange, yearEpochUnixSeconds } from "@daqkit/timestamps";
import { type Table, Type } from "apache-arrow";
import { Gen2BinError } from "./errors.js";
import { GEN2_PHOTONS_PER_FRAME } from "./words.js";

/** Options of {@link BinSerializer} (the Node serializer adds `directory`). */
export interface Gen2SerializerOptions {
  /** Board number (0..255) → the `xy` pixels it reads out. A pixel may belong to one board only. */
  board2pixel: ReadonlyMap<number, Iterable<number>> | Readonly<Record<number, Iterable<number>>>;
  /** UTC year of the header-timestamp epoch (file names are unix seconds from Jan 1 of it). */
  year: number;
  /** µs added to photon times when choosing the file (second) a frame goes to; times are not changed. Default 0. */
  skew?: number;
}

/** One serialized `.bin` file. */
export interface Gen2SerializedFile {
  /** `{unixSecond}.bin`. */
  readonly name: string;
  /** Host unix second of the file (the file name's stem). */
  readonly unixSecond: number;
  /** The file's bytes (header, photon and padding words). `new Blob([bytes])` makes a download. */
  readonly bytes: Uint8Array;
}

/** Serialized files not yet claimed by the serializer (internal). */
export interface PreparedFiles {
  readonly files: Gen2SerializedFile[];
  /** Record the range and frame counters as used: call only once the files are delivered (spec §12 D15). */
  commit(): void;
}

/** Photon columns accepted by {@link BinSerializer.serializeToBytes} (same schema as the Parquet cache). */
export interface Gen2PhotonColumnsInput {
  xy: Uint16Array;
  /** µs since the year epoch (0 ≤ T; values ≥ M are reduced mod M). */
  timestamp: BigInt64Array;
  phase: Int32Array;
  baseline: Int32Array;
}

const TWO_32 = 4294967296;
const HALF_WRAP = GEN2_WRAP_US / 2;

function badSchema(found: string): Gen2BinError {
  return new Gen2BinError(
    "GEN2_BAD_SCHEMA",
    `gen2 serializer: expected exactly the columns xy: Uint16, timestamp: Int64, phase: Int32, baseline: Int32; found ${found}`,
  );
}

function columnsOf(input: Table | Gen2PhotonColumnsInput): Gen2PhotonColumnsInput {
  if ("schema" in input && "getChild" in input) {
    const table = input as Table;
    const fields = table.schema.fields;
    const found = fields.map((f) => `${f.name}: ${f.type}`).join(", ") || "(none)";
    const want: Array<[string, (t: { typeId: number; bitWidth?: number; isSigned?: boolean }) => boolean]> = [
      ["xy", (t) => t.typeId === Type.Int && t.bitWidth === 16 && t.isSigned === false],
      ["timestamp", (t) => t.typeId === Type.Int && t.bitWidth === 64 && t.isSigned === true],
      ["phase", (t) => t.typeId === Type.Int && t.bitWidth === 32 && t.isSigned === true],
      ["baseline", (t) => t.typeId === Type.Int && t.bitWidth === 32 && t.isSigned === true],
    ];
    if (fields.length !== 4 || want.some(([name, ok], i) => fields[i]?.name !== name || !ok(fields[i]!.type))) {
      throw badSchema(found);
    }
    const out: Record<string, unknown> = {};
    for (const [name] of want) {
      const vector = table.getChild(name)!;
      if (vector.nullCount > 0) {
        let row = 0;
        while (row < vector.length && vector.isValid(row)) row++;
        throw new Gen2BinError("GEN2_NULL_VALUE", `gen2 serializer: column ${name} has a null at row ${row} (cannot have empty slots)`, {
          row,
        });
      }
      out[name] = vector.toArray();
    }
    return out as unknown as Gen2PhotonColumnsInput;
  }
  const cols = input as Gen2PhotonColumnsInput;
  const keys = Object.keys(cols);
  const found = keys.map((k) => `${k}: ${(cols as unknown as Record<string, object>)[k]?.constructor?.name}`).join(", ");
  if (
    keys.length !== 4 ||
    !(cols.xy instanceof Uint16Array) ||
    !(cols.timestamp instanceof BigInt64Array) ||
    !(cols.phase instanceof Int32Array) ||
    !(cols.baseline instanceof Int32Array)
  ) {
    throw badSchema(found);
  }
  const n = cols.xy.length;
  if (cols.timestamp.length !== n || cols.phase.length !== n || cols.baseline.length !== n) {
    throw badSchema(`columns of different lengths (${[n, cols.timestamp.length, cols.phase.length, cols.baseline.length].join(", ")})`);
  }
  return cols;
}

/**
 * Writes photon tables as gen2 `.bin` files the way the readout hardware frames them: per board,
 * photons grouped by 500 µs tick into frames of ≤ 100 photons, each frame a header
 * `(board, frame counter mod 4096, tick mod 2^36)` + photon words + a padding word when shorter
 * than 100. Frame counters continue across calls. Frames go to one file per unix second
 * `trunc((first photon time + skew) / 1e6) + epoch(year)`, ordered by first-photon time then board.
 */
export class BinSerializer {
  readonly year: number;
  readonly skew: number;
  private readonly epochSeconds: number;
  private readonly boardOf = new Int16Array(65536).fill(-1);
  private readonly frameCounters = new Uint16Array(256);
  private readonly used: TimestampRange[] = [];

  /** @throws Gen2BinError `GEN2_PIXEL_DUPLICATED`, `GEN2_BAD_ARGUMENT` (board, pixel, year or skew invalid) */
  constructor(options: Gen2SerializerOptions) {
    this.skew = options.skew ?? 0;
    if (!Number.isSafeInteger(this.skew)) {
      throw new Gen2BinError("GEN2_BAD_ARGUMENT", `gen2 serializer: skew must be an integer number of µs, got ${options.skew}`);
    }
    this.year = options.year;
    try {
      this.epochSeconds = yearEpochUnixSeconds(options.year);
    } catch (error) {
      throw new Gen2BinError("GEN2_BAD_ARGUMENT", `gen2 serializer: bad year ${options.year}`, { cause: error });
    }
    const entries: Array<[number, Iterable<number>]> =
      options.board2pixel instanceof Map
        ? [...options.board2pixel.entries()]
        : Object.entries(options.board2pixel).map(([k, v]) => [Number(k), v as Iterable<number>]);
    for (const [board, pixels] of entries) {
      if (!Number.isInteger(board) || board < 0 || board > 255) {
        throw new Gen2BinError("GEN2_BAD_ARGUMENT", `gen2 serializer: board must be an integer 0..255, got ${board}`);
      }
      for (const xy of pixels) {
        if (!Number.isInteger(xy) || xy < 0 || xy > 65535) {
          throw new Gen2BinError("GEN2_BAD_ARGUMENT", `gen2 serializer: pixel xy must be an integer 0..65535, got ${xy}`);
        }
        const owner = this.boardOf[xy]!;
        if (owner >= 0 && owner !== board) {
          throw new Gen2BinError(
            "GEN2_PIXEL_DUPLICATED",
            `gen2 serializer: pixel ${xy} (xy) duplicated on board ${owner} and board ${board}`,
          );
        }
        this.boardOf[xy] = board;
      }
    }
  }

  /**
   * Serialize one photon table into `.bin` files as bytes (in time order), e.g. for a page to offer
   * as downloads. The range and frame counters are claimed when this returns.
   * @throws Gen2BinError `GEN2_BAD_SCHEMA`, `GEN2_NULL_VALUE`, `GEN2_EMPTY_TABLE`, `GEN2_VALUE_OUT_OF_RANGE`,
   *   `GEN2_UNMAPPED_PIXEL`, `GEN2_RANGE_OVERLAP` (within 1 s of an earlier call)
   */
  serializeToBytes(input: Table | Gen2PhotonColumnsInput): Gen2SerializedFile[] {
    const prepared = this.prepareFiles(input);
    prepared.commit();
    return prepared.files;
  }

  /** The files of one table, without claiming its range and frame counters yet. */
  protected prepareFiles(input: Table | Gen2PhotonColumnsInput): PreparedFiles {
    const { xy, timestamp, phase, baseline } = columnsOf(input);
    const n = xy.length;
    if (n === 0) throw new Gen2BinError("GEN2_EMPTY_TABLE", "gen2 serializer: timestamp column empty (no photons)");
    // Times: normalise mod M, then unwrap a table that crosses the wrap (spec §12 D12e).
    const t = new Float64Array(n);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const raw = timestamp[i]!;
      if (raw < 0n || raw > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new Gen2BinError("GEN2_VALUE_OUT_OF_RANGE", `gen2 serializer: timestamp ${raw} at row ${i} is negative or too large`, {
          row: i,
        });
      }
      const v = Number(raw) % GEN2_WRAP_US;
      t[i] = v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      const p = phase[i]!;
      const b = baseline[i]!;
      if (p < -131072 || p > 131071 || b < -65536 || b > 65535) {
        throw new Gen2BinError(
          "GEN2_VALUE_OUT_OF_RANGE",
          `gen2 serializer: row ${i}: phase or baseline out of range, expected phase in [-1<<17,1<<17-1], baseline in [-1<<16,1<<16-1], got ${p}, ${b}`,
          { row: i },
        );
      }
      if (this.boardOf[xy[i]!]! < 0) {
        throw new Gen2BinError("GEN2_UNMAPPED_PIXEL", `gen2 serializer: row ${i}: no board mapping for pixel ${xy[i]} (xy)`, { row: i });
      }
    }
    let rangeStart = lo;
    let rangeStop = hi;
    if (hi - lo > HALF_WRAP) {
      // Crosses the wrap: small values come after the large ones.
      rangeStart = Number.POSITIVE_INFINITY;
      rangeStop = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        if (t[i]! < HALF_WRAP) t[i]! += GEN2_WRAP_US;
        if (t[i]! < rangeStart) rangeStart = t[i]!;
        if (t[i]! > rangeStop) rangeStop = t[i]!;
      }
    }
    const range = new TimestampRange(rangeStart, rangeStop);
    for (const earlier of this.used) {
      if (earlier.grow(1_000_000).overlaps(range)) {
        throw new Gen2BinError(
          "GEN2_RANGE_OVERLAP",
          `gen2 serializer: time range ${range.key()} µs must be disjoint by at least 1 second from every earlier range (${earlier.key()})`,
        );
      }
    }
    const board = new Uint8Array(n);
    for (let i = 0; i < n; i++) board[i] = this.boardOf[xy[i]!]!;
    // Per board, in time order (stable).
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => board[a]! - board[b]! || t[a]! - t[b]! || a - b);
    // Frames: consecutive photons of one board and one tick, ≤ 100 each.
    const fStart: number[] = [];
    const fCount: number[] = [];
    const fCounter: number[] = [];
    const counters = this.frameCounters.slice();
    for (let i = 0; i < n; ) {
      const b = board[order[i]!]!;
      const k = Math.floor(t[order[i]!]! / 500);
      let j = i + 1;
      while (j < n && j - i < GEN2_PHOTONS_PER_FRAME && board[order[j]!] === b && Math.floor(t[order[j]!]! / 500) === k) j++;
      fStart.push(i);
      fCount.push(j - i);
      fCounter.push(counters[b]!);
      counters[b] = (counters[b]! + 1) & 0xfff;
      i = j;
    }
    const frames = Array.from({ length: fStart.length }, (_, f) => f);
    const firstT = (f: number) => t[order[fStart[f]!]!]!;
    frames.sort((a, b) => firstT(a) - firstT(b) || board[order[fStart[a]!]!]! - board[order[fStart[b]!]!]! || a - b);
    // Group frames into one-second files.
    const files: Gen2SerializedFile[] = [];
    for (let f = 0; f < frames.length; ) {
      const second = Math.trunc((firstT(frames[f]!) + this.skew) / 1e6) + this.epochSeconds;
      let g = f;
      let words = 0;
      while (g < frames.length && Math.trunc((firstT(frames[g]!) + this.skew) / 1e6) + this.epochSeconds === second) {
        const c = fCount[frames[g]!]!;
        words += 1 + c + (c < GEN2_PHOTONS_PER_FRAME ? 1 : 0);
        g++;
      }
      const bytes = new Uint8Array(words * 8);
      const view = new DataView(bytes.buffer);
      let at = 0;
      for (let h = f; h < g; h++) {
        const fr = frames[h]!;
        const s = fStart[fr]!;
        const c = fCount[fr]!;
        const first = order[s]!;
        const k = Math.floor(t[first]! / 500);
        const ts = k % 2 ** 36;
        view.setUint32(at, ((0xff << 24) | (board[first]! << 16) | (fCounter[fr]! << 4) | Math.floor(ts / TWO_32)) >>> 0);
        view.setUint32(at + 4, ts >>> 0);
        at += 8;
        for (let q = s; q < s + c; q++) {
          const i = order[q]!;
          const v = xy[i]!;
          const offset = t[i]! - k * 500;
          const p = phase[i]! & 0x3ffff;
          view.setUint32(at, (((v >>> 8) << 22) | ((v & 0xff) << 12) | (offset << 3) | (p >>> 15)) >>> 0);
          view.setUint32(at + 4, (((p & 0x7fff) << 17) | (baseline[i]! & 0x1ffff)) >>> 0);
          at += 8;
        }
        if (c < GEN2_PHOTONS_PER_FRAME) {
          view.setUint32(at, 0x7fffffff);
          view.setUint32(at + 4, 0xffffffff);
          at += 8;
        }
      }
      files.push({ name: `${second}.bin`, unixSecond: second, bytes });
      f = g;
    }
    return {
      files,
      // Only a completed write claims its range and frame counters (spec §12 D15).
      commit: () => {
        this.used.push(range);
        this.frameCounters.set(counters);
      },
    };
  }
}
