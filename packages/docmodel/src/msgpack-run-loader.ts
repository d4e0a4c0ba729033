import type { EventPage, RunStart } from "./documents.js";
import { DocModelError } from "./errors.js";
import { type MsgpackDecoder, TruncatedInput } from "./msgpack/decoder.js";
import { MsgpackEncoder } from "./msgpack/encoder.js";
import { RecordWindows, type SyncReadableSource, WINDOW_BYTES } from "./msgpack/windows.js";
import { inRecord, recordDecoder } from "./msgpack-records.js";
import { COALESCED_PAGES } from "./pages.js";
import { BlueskyRun } from "./run.js";

/*
 * Fast path for reading suitcase-msgpack files into a BlueskyRun: consecutive one-row `event_page` records of
 * the same descriptor with numeric data/timestamps (what suitcase writes for every Event) are decoded straight
 * into Float64Array columns, without building a document per record, and emitted as pages of at most
 * {@link PAGE_ROWS} rows. Anything else falls back to the generic decoder. `run.documents()` unpacks such pages
 * back into Events, so re-exporting gives the same records. Files are read in windows ({@link RecordWindows}),
 * never whole.
 */

/**
 * Rows of one coalesced page. Columns grow by doubling up to this size and a full page is handed to the run as it
 * is, so no column is ever copied into a larger one past this size, and a page wastes at most its doubling slack.
 */
export const PAGE_ROWS = 1 << 18;

class GrowableColumn {
  data: Float64Array;
  constructor(capacity: number) {
    this.data = new Float64Array(capacity);
  }
  grow(capacity: number): void {
    const next = new Float64Array(capacity);
    next.set(this.data);
    this.data = next;
  }
  /** The first `n` values: the array itself when full, else a copy (a page keeps no slack). */
  take(n: number): Float64Array {
    return n === this.data.length ? this.data : this.data.slice(0, n);
  }
}

/** Latin-1 slice of Node's Buffer: for ASCII bytes the same string as UTF-8, without the validation pass. */
const nativeLatin1Slice = (globalThis as { Buffer?: { prototype: { latin1Slice?: (s: number, e: number) => string } } }).Buffer?.prototype
  .latin1Slice;

/**
 * Constant bytes with holes (value slots), compared 8 bytes at a time: unaligned little-endian words read through a
 * DataView as float64 (the fastest wide read V8 has), the last word of each run overlapping the previous one. A word
 * whose pattern is a NaN (never equal) or ±0 (equal to the other zero) is compared as two int32 words instead; runs
 * shorter than 4 bytes byte by byte.
 */
class BytePattern {
  private readonly f64Offsets: Int32Array;
  private readonly f64Words: Float64Array;
  private readonly i32Offsets: Int32Array;
  private readonly i32Words: Int32Array;
  private readonly byteOffsets: Int32Array;
  private readonly byteValues: Uint8Array;

  /** `runs`: `[start, end)` pairs of `bytes` that must match; everything else is a value slot. */
  constructor(
    readonly bytes: Uint8Array,
    runs: readonly number[],
  ) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const f64: number[] = [];
    const i32: number[] = [];
    const single: number[] = [];
    const word8 = (o: number): void => {
      const v = view.getFloat64(o, true);
      if (Number.isNaN(v) || v === 0) i32.push(o, o + 4);
      else f64.push(o);
    };
    for (let r = 0; r < runs.length; r += 2) {
      const start = runs[r] as number;
      const end = runs[r + 1] as number;
      const len = end - start;
      if (len < 4) {
        for (let i = start; i < end; i++) single.push(i);
      } else if (len < 8) {
        i32.push(start, end - 4);
      } else {
        for (let o = start; o + 8 <= end; o += 8) word8(o);
        if (len % 8 !== 0) word8(end - 8);
      }
    }
    this.f64Offsets = Int32Array.from(f64);
    this.f64Words = Float64Array.from(f64, (o) => view.getFloat64(o, true));
    this.i32Offsets = Int32Array.from(i32);
    this.i32Words = Int32Array.from(i32, (o) => view.getInt32(o, true));
    this.byteOffsets = Int32Array.from(single);
    this.byteValues = Uint8Array.from(single, (o) => bytes[o] as number);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Do the bytes at `p` (the caller checked that `length` bytes are there) match? */
  matchAt(view: DataView, bytes: Uint8Array, p: number): boolean {
    const f64Offsets = this.f64Offsets;
    const f64Words = this.f64Words;
    for (let i = 0; i < f64Offsets.length; i++) if (view.getFloat64(p + (f64Offsets[i] as number), true) !== f64Words[i]) return false;
    const i32Offsets = this.i32Offsets;
    const i32Words = this.i32Words;
    for (let i = 0; i < i32Offsets.length; i++) if (view.getInt32(p + (i32Offsets[i] as number), true) !== i32Words[i]) return false;
    const byteOffsets = this.byteOffsets;
    const byteValues = this.byteValues;
    for (let i = 0; i < byteOffsets.length; i++) if (bytes[p + (byteOffsets[i] as number)] !== byteValues[i]) return false;
    return true;
  }
}

class PageBuilder {
  n = 0;
  private capacity: number;
  time: GrowableColumn;
  uid: string[] = [];
  seq: number[] = [];
  data: GrowableColumn[];
  ts: GrowableColumn[];

  /** Constant bytes of the usual record layout (suitcase / pack_event_page key order), for {@link appendFast}. */
  private readonly head: Uint8Array;
  private readonly afterTime: Uint8Array;
  private readonly afterUid: Uint8Array;
  private readonly afterSeq: Uint8Array;
  private readonly dataChunks: Uint8Array[];
  private readonly tsHead: Uint8Array;
  private readonly tsChunks: Uint8Array[];
  /**
   * When every data key is a `number` key (all values float64 on the wire): everything after `seq_num` as one image
   * with `0xcb` markers and 8-byte value slots, the byte ranges to compare (`[start, end)` pairs) and the slot offsets.
   */
  private readonly tail: BytePattern | undefined;
  /** The map header, `time`, its float64 value (slot at byte {@link TIME_SLOT} of it) and the `uid` key. */
  private readonly timePattern: BytePattern;
  private readonly afterUidPattern: BytePattern;
  private readonly dataSlots: Int32Array;
  private readonly tsSlots: Int32Array;

  /** Per data key: does the re-export write it as float64 (DataKey dtype `number`)? */
  readonly numberKeys: boolean[];

  constructor(
    readonly descriptor: string,
    readonly dataKeys: string[],
    readonly tsKeys: string[],
    numberKeys: ReadonlySet<string>,
  ) {
    this.numberKeys = dataKeys.map((k) => numberKeys.has(k));
    this.capacity = 1024;
    this.time = new GrowableColumn(this.capacity);
    this.data = dataKeys.map(() => new GrowableColumn(this.capacity));
    this.ts = tsKeys.map(() => new GrowableColumn(this.capacity));
    const bytes = (write: (e: MsgpackEncoder) => void): Uint8Array => {
      const e = new MsgpackEncoder(256);
      write(e);
      return e.bytes().slice();
    };
    this.head = bytes((e) => {
      e.writeMapHeader(7);
      e.writeString("time");
      e.writeArrayHeader(1);
    });
    this.afterTime = bytes((e) => {
      e.writeString("uid");
      e.writeArrayHeader(1);
    });
    this.afterUid = bytes((e) => {
      e.writeString("seq_num");
      e.writeArrayHeader(1);
    });
    this.afterSeq = bytes((e) => {
      e.writeString("descriptor");
      e.writeString(descriptor);
      e.writeString("filled");
      e.writeMapHeader(0);
      e.writeString("data");
      e.writeMapHeader(dataKeys.length);
    });
    const keyChunk = (k: string) =>
      bytes((e) => {
        e.writeString(k);
        e.writeArrayHeader(1);
      });
    this.dataChunks = dataKeys.map(keyChunk);
    this.tsHead = bytes((e) => {
      e.writeString("timestamps");
      e.writeMapHeader(tsKeys.length);
    });
    this.tsChunks = tsKeys.map(keyChunk);
    this.dataSlots = new Int32Array(dataKeys.length);
    this.tsSlots = new Int32Array(tsKeys.length);
    const segments: number[] = [];
    if (this.numberKeys.every((f) => f)) {
      const parts: Uint8Array[] = [this.afterSeq];
      let at = this.afterSeq.length;
      let from = 0;
      // A key chunk, the float64 marker (compared) and the 8 value bytes (not compared).
      const slot = (chunk: Uint8Array): number => {
        parts.push(chunk, FLOAT64_MARKER, VALUE_SLOT);
        at += chunk.length + 1;
        segments.push(from, at);
        from = at + 8;
        at = from;
        return at - 8;
      };
      for (let i = 0; i < this.dataChunks.length; i++) this.dataSlots[i] = slot(this.dataChunks[i] as Uint8Array);
      parts.push(this.tsHead);
      at += this.tsHead.length;
      for (let i = 0; i < this.tsChunks.length; i++) this.tsSlots[i] = slot(this.tsChunks[i] as Uint8Array);
      if (at > from) segments.push(from, at);
      const tail = new Uint8Array(at);
      let p = 0;
      for (const part of parts) {
        tail.set(part, p);
        p += part.length;
      }
      this.tail = new BytePattern(tail, segments);
    }
    const timeBytes = new Uint8Array(this.head.length + 9 + this.afterTime.length);
    timeBytes.set(this.head);
    timeBytes[this.head.length] = FLOAT64;
    timeBytes.set(this.afterTime, this.head.length + 9);
    this.timeSlot = this.head.length + 1;
    this.timePattern = new BytePattern(timeBytes, [0, this.head.length + 1, this.head.length + 9, timeBytes.length]);
    this.afterUidPattern = new BytePattern(this.afterUid, [0, this.afterUid.length]);
  }

  private readonly timeSlot: number;

  /** Start empty columns of `capacity` rows. */
  private fresh(capacity: number): void {
    this.n = 0;
    this.capacity = capacity;
    this.time = new GrowableColumn(capacity);
    this.uid = [];
    this.seq = [];
    this.data = this.dataKeys.map(() => new GrowableColumn(capacity));
    this.ts = this.tsKeys.map(() => new GrowableColumn(capacity));
  }

  /** Make room for one more row (doubling up to {@link PAGE_ROWS}; the loader emits a page when it is full). */
  private room(): void {
    if (this.n < this.capacity) return;
    const next = Math.min(Math.max(1024, this.capacity * 2), PAGE_ROWS);
    this.time.grow(next);
    for (const c of this.data) c.grow(next);
    for (const c of this.ts) c.grow(next);
    this.capacity = next;
  }

  /** A str value read without the key cache: long ASCII strings (the 36-character uids) skip UTF-8 decoding. */
  private static uid(d: MsgpackDecoder): string | undefined {
    const b = d.bytes;
    const p = d.pos;
    if (p >= d.end) return undefined;
    const h = b[p] as number;
    let n: number;
    let start: number;
    if (h >= 0xa0 && h <= 0xbf) {
      n = h & 0x1f;
      start = p + 1;
    } else if (h === 0xd9 && p + 1 < d.end) {
      n = b[p + 1] as number;
      start = p + 2;
    } else return undefined;
    const end = start + n;
    if (end > d.end) return undefined;
    if (nativeLatin1Slice !== undefined && n > 16) {
      let high = 0;
      for (let i = start; i < end; i++) high |= b[i] as number;
      if (high < 0x80) {
        d.pos = end;
        return nativeLatin1Slice.call(b, start, end);
      }
    }
    return d.decode() as string;
  }

  /**
   * Append a record laid out exactly like the previous ones (same keys and order, empty `filled`) by comparing
   * the constant bytes and decoding only the values. False (cursor undefined) for anything else, and also when the
   * record runs past the window (the caller's generic parse then reports the cut).
   */
  appendFast(d: MsgpackDecoder): boolean {
    const b = d.bytes;
    const view = d.view;
    let p = d.pos;
    const timePattern = this.timePattern;
    if (p + timePattern.length > d.end || !timePattern.matchAt(view, b, p)) return false;
    const time = view.getFloat64(p + this.timeSlot);
    d.pos = p + timePattern.length;
    const uid = PageBuilder.uid(d);
    if (uid === undefined) return false;
    p = d.pos;
    const afterUid = this.afterUidPattern;
    if (p + afterUid.length + 1 > d.end || !afterUid.matchAt(view, b, p)) return false;
    d.pos = p + afterUid.length;
    // seq_num: a msgpack int (a float would not re-export alike); the usual unsigned forms inline.
    p = d.pos;
    const sb = b[p] as number;
    let seq: number;
    if (sb <= 0x7f) {
      seq = sb;
      d.pos = p + 1;
    } else if (sb === 0xcc && p + 2 <= d.end) {
      seq = b[p + 1] as number;
      d.pos = p + 2;
    } else if (sb === 0xcd && p + 3 <= d.end) {
      seq = view.getUint16(p + 1);
      d.pos = p + 3;
    } else if (sb === 0xce && p + 5 <= d.end) {
      seq = view.getUint32(p + 1);
      d.pos = p + 5;
    } else {
      if (!d.nextIsNumber() || isFloatByte(sb)) return false;
      const v = d.decode();
      if (typeof v !== "number") return false;
      seq = v;
    }
    const tail = this.tail;
    if (tail !== undefined) {
      p = d.pos;
      if (p + tail.length > d.end || !tail.matchAt(view, b, p)) return false;
      this.room();
      const n = this.n;
      this.time.data[n] = time;
      this.uid.push(uid);
      this.seq.push(seq);
      const data = this.data;
      const dataSlots = this.dataSlots;
      for (let i = 0; i < data.length; i++) (data[i] as GrowableColumn).data[n] = view.getFloat64(p + (dataSlots[i] as number));
      const ts = this.ts;
      const tsSlots = this.tsSlots;
      for (let i = 0; i < ts.length; i++) (ts[i] as GrowableColumn).data[n] = view.getFloat64(p + (tsSlots[i] as number));
      d.pos = p + tail.length;
      this.n = n + 1;
      return true;
    }
    if (!d.matchBytes(this.afterSeq)) return false;
    const values = this.scratch;
    for (let i = 0; i < this.dataChunks.length; i++) {
      if (!d.matchBytes(this.dataChunks[i] as Uint8Array) || !d.nextIsNumber()) return false;
      const wire = d.bytes[d.pos] as number;
      const v = d.decode();
      if (typeof v !== "number" || !reexportsAlike(wire, v, this.numberKeys[i] as boolean)) return false;
      values[i] = v;
    }
    if (!d.matchBytes(this.tsHead)) return false;
    const nData = this.dataChunks.length;
    for (let i = 0; i < this.tsChunks.length; i++) {
      if (!d.matchBytes(this.tsChunks[i] as Uint8Array) || !d.nextIsNumber() || d.bytes[d.pos] !== FLOAT64) return false;
      const v = d.decode();
      if (typeof v !== "number") return false;
      values[nData + i] = v;
    }
    this.room();
    const n = this.n;
    this.time.data[n] = time;
    this.uid.push(uid);
    this.seq.push(seq);
    for (let i = 0; i < nData; i++) (this.data[i] as GrowableColumn).data[n] = values[i] as number;
    for (let i = 0; i < this.tsChunks.length; i++) (this.ts[i] as GrowableColumn).data[n] = values[nData + i] as number;
    this.n = n + 1;
    return true;
  }

  private readonly scratch: number[] = [];

  matches(row: Row): boolean {
    if (row.descriptor !== this.descriptor || row.dataCount !== this.dataKeys.length || row.tsCount !== this.tsKeys.length) return false;
    for (let i = 0; i < row.dataCount; i++) if (row.dataKeys[i] !== this.dataKeys[i]) return false;
    for (let i = 0; i < row.tsCount; i++) if (row.tsKeys[i] !== this.tsKeys[i]) return false;
    return true;
  }

  /** Would `run.documents()` re-export this row's numbers with the wire types they have? */
  reexportsAlike(row: Row): boolean {
    if (row.timeWire !== FLOAT64 || isFloatByte(row.seqWire)) return false;
    for (let i = 0; i < row.dataCount; i++) {
      if (!reexportsAlike(row.dataWire[i] as number, row.dataValues[i] as number, this.numberKeys[i] as boolean)) return false;
    }
    for (let i = 0; i < row.tsCount; i++) if (row.tsWire[i] !== FLOAT64) return false;
    return true;
  }

  append(row: Row): void {
    this.room();
    const n = this.n;
    this.time.data[n] = row.time;
    this.uid.push(row.uid);
    this.seq.push(row.seq);
    for (let i = 0; i < this.data.length; i++) (this.data[i] as GrowableColumn).data[n] = row.dataValues[i] as number;
    for (let i = 0; i < this.ts.length; i++) (this.ts[i] as GrowableColumn).data[n] = row.tsValues[i] as number;
    this.n = n + 1;
  }

  /** True when the page is full: the loader then emits it with {@link takePage}. */
  get full(): boolean {
    return this.n >= PAGE_ROWS;
  }

  /**
   * The rows so far as one event page; the builder starts over with empty columns of `nextCapacity` rows (a full
   * page's size when the stream goes on, 0 when the builder is done).
   */
  takePage(nextCapacity: number): EventPage {
    const n = this.n;
    const data: Record<string, Float64Array> = {};
    this.dataKeys.forEach((k, i) => {
      data[k] = (this.data[i] as GrowableColumn).take(n);
    });
    const timestamps: Record<string, Float64Array> = {};
    this.tsKeys.forEach((k, i) => {
      timestamps[k] = (this.ts[i] as GrowableColumn).take(n);
    });
    const page: EventPage = {
      time: this.time.take(n),
      uid: this.uid,
      seq_num: this.seq,
      descriptor: this.descriptor,
      filled: {},
      data,
      timestamps,
    };
    COALESCED_PAGES.add(page);
    this.fresh(nextCapacity);
    return page;
  }
}

/** A record's array header and name when it is an `event_page`. */
const EVENT_PAGE_HEAD = new BytePattern(new Uint8Array([0x92, 0xaa, ...Array.from("event_page", (c) => c.charCodeAt(0))]), [0, 12]);

const FLOAT64_MARKER = new Uint8Array([0xcb]);
const VALUE_SLOT = new Uint8Array(8);

const FLOAT64 = 0xcb;

function isFloatByte(b: number): boolean {
  return b === 0xcb || b === 0xca;
}

/**
 * The columnar pages keep numbers only; `run.documents()` re-encodes them by the export rules (float64 for
 * `number` keys, else ints for integral values). A record whose wire types differ from that (an int in a `number`
 * key, `2.0` in an `integer` key, float32) is kept as decoded instead, so a re-export stays byte-identical.
 */
function reexportsAlike(wire: number, v: number, numberKey: boolean): boolean {
  if (numberKey) return wire === FLOAT64;
  if (wire === 0xca) return false;
  return !(wire === FLOAT64 && Number.isInteger(v));
}

interface Row {
  timeWire: number;
  seqWire: number;
  dataWire: number[];
  tsWire: number[];
  time: number;
  uid: string;
  seq: number;
  descriptor: string;
  dataKeys: string[];
  dataValues: number[];
  dataCount: number;
  tsKeys: string[];
  tsValues: number[];
  tsCount: number;
}

/** msgpack type byte of the last number read by {@link numberInList}. */
let lastWire = 0;

function numberInList(d: MsgpackDecoder): number | undefined {
  if (d.peekArrayLength() !== 1 || !d.nextIsNumber()) return undefined;
  lastWire = d.bytes[d.pos] as number;
  const v = d.decode();
  // 64-bit ints beyond 2^53 decode as bigint: not for a Float64 column.
  return typeof v === "number" ? v : undefined;
}

function readNumberMap(d: MsgpackDecoder, keys: string[], values: number[], wires: number[]): number {
  const m = d.peekMapSize();
  if (m < 0) return -1;
  for (let i = 0; i < m; i++) {
    if (!d.nextIsString()) return -1;
    keys[i] = d.decode() as string;
    const v = numberInList(d);
    if (v === undefined) return -1;
    values[i] = v;
    wires[i] = lastWire;
  }
  return m;
}

/** Parse a one-row numeric event page in place; false (cursor undefined) when it is anything else. */
function parseOneRow(d: MsgpackDecoder, row: Row): boolean {
  const fields = d.peekMapSize();
  if (fields < 6 || fields > 7) return false;
  let seen = 0;
  for (let f = 0; f < fields; f++) {
    if (!d.nextIsString()) return false;
    const key = d.decode() as string;
    switch (key) {
      case "time": {
        const v = numberInList(d);
        if (v === undefined) return false;
        row.time = v;
        row.timeWire = lastWire;
        seen |= 1;
        break;
      }
      case "uid":
        if (d.peekArrayLength() !== 1 || !d.nextIsString()) return false;
        row.uid = d.decode() as string;
        seen |= 2;
        break;
      case "seq_num": {
        const v = numberInList(d);
        if (v === undefined) return false;
        row.seq = v;
        row.seqWire = lastWire;
        seen |= 4;
        break;
      }
      case "descriptor":
        if (!d.nextIsString()) return false;
        row.descriptor = d.decode() as string;
        seen |= 8;
        break;
      case "filled":
        if (d.peekMapSize() !== 0) return false;
        break;
      case "data":
        row.dataCount = readNumberMap(d, row.dataKeys, row.dataValues, row.dataWire);
        if (row.dataCount < 0) return false;
        seen |= 16;
        break;
      case "timestamps":
        row.tsCount = readNumberMap(d, row.tsKeys, row.tsValues, row.tsWire);
        if (row.tsCount < 0) return false;
        seen |= 32;
        break;
      default:
        return false;
    }
  }
  return seen === 63;
}

function numberKeysOf(run: BlueskyRun, descriptor: string): Set<string> {
  const out = new Set<string>();
  const dks = run.descriptorsByUid.get(descriptor)?.data_keys;
  if (dks && typeof dks === "object") for (const [k, dk] of Object.entries(dks)) if (dk?.dtype === "number") out.add(k);
  return out;
}

/**
 * Load a whole suitcase-msgpack run from bytes into a {@link BlueskyRun}, coalescing one-row numeric event pages
 * into typed columns (same documents as `loadRunSync(decodeMsgpackRecords(bytes))`, far less memory and time).
 * @throws DocModelError `DOCS_NO_START`, `DOCS_MSGPACK_TRUNCATED`, `DOCS_MSGPACK_BAD_RECORD`, `DOCS_MSGPACK_UNSUPPORTED`,
 *   `DOCS_MSGPACK_BAD_UTF8`, `DOCS_MALFORMED_DOCUMENT` (each with the file, record index and byte offset)
 */
export function loadMsgpackRunBytes(bytes: Uint8Array, path?: string): BlueskyRun {
  return loadMsgpackRunWindows(new RecordWindows(bytes), path);
}

/**
 * {@link loadMsgpackRunBytes} over a byte source that reads synchronously into caller memory (a Node file from
 * @daqkit/io's `openFileSourceSync`): the file is read in windows of about 1 MiB, never held whole.
 */
export function loadMsgpackRunSource(source: SyncReadableSource, path = source.name, windowBytes = WINDOW_BYTES): BlueskyRun {
  return loadMsgpackRunWindows(new RecordWindows(source, windowBytes), path);
}

function loadMsgpackRunWindows(w: RecordWindows, path: string | undefined): BlueskyRun {
  const label = path ?? "buffer";
  let d = recordDecoder(w);
  let run: BlueskyRun | undefined;
  let builder: PageBuilder | undefined;
  const row: Row = {
    timeWire: 0,
    seqWire: 0,
    dataWire: [],
    tsWire: [],
    time: 0,
    uid: "",
    seq: 0,
    descriptor: "",
    dataKeys: [],
    dataValues: [],
    dataCount: 0,
    tsKeys: [],
    tsValues: [],
    tsCount: 0,
  };
  const flush = (): void => {
    if (builder && builder.n > 0 && run) run.add(["event_page", builder.takePage(0)]);
    builder = undefined;
  };
  let index = 0;
  for (;;) {
    if (d.pos >= w.length) {
      if (w.eof) break;
      w.advance(d.pos);
      d = recordDecoder(w);
      continue;
    }
    const offset = d.pos;
    try {
      // `[` + "event_page" (the usual record) is matched as bytes; anything else is decoded.
      let name: string;
      if (run && d.pos + EVENT_PAGE_HEAD.length <= w.length && EVENT_PAGE_HEAD.matchAt(d.view, d.bytes, d.pos)) {
        d.pos += EVENT_PAGE_HEAD.length;
        name = "event_page";
      } else {
        const n = d.peekArrayLength();
        if (n !== 2 || !d.nextIsString()) {
          const at = w.base + offset;
          throw new DocModelError("DOCS_MSGPACK_BAD_RECORD", `msgpack: ${label}: record ${index} at byte ${at}: expected [name, doc]`, {
            path,
            byteOffset: at,
            recordIndex: index,
          });
        }
        name = d.decode() as string;
      }
      const docStart = d.pos;
      let appended = false;
      if (run && name === "event_page") {
        // Same layout as the previous record: compare constant bytes, decode only the values.
        appended = builder?.appendFast(d) ?? false;
        if (!appended) {
          d.pos = docStart;
          if (parseOneRow(d, row)) {
            let target = builder?.matches(row) ? builder : undefined;
            target ??= new PageBuilder(
              row.descriptor,
              row.dataKeys.slice(0, row.dataCount),
              row.tsKeys.slice(0, row.tsCount),
              numberKeysOf(run, row.descriptor),
            );
            if (target.reexportsAlike(row)) {
              if (target !== builder) {
                flush();
                builder = target;
              }
              target.append(row);
              appended = true;
            }
          }
        }
        if (appended && (builder as PageBuilder).full) run.add(["event_page", (builder as PageBuilder).takePage(PAGE_ROWS)]);
      }
      if (!appended) {
        d.pos = docStart;
        const doc = d.decode();
        if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
          const at = w.base + offset;
          throw new DocModelError("DOCS_MSGPACK_BAD_RECORD", `msgpack: ${label}: record ${index} at byte ${at}: doc is not a map`, {
            path,
            byteOffset: at,
            recordIndex: index,
          });
        }
        if (!run) {
          if (name !== "start") {
            throw new DocModelError("DOCS_NO_START", `msgpack: ${label}: first record is '${name}', expected 'start'`, {
              path,
              recordIndex: 0,
            });
          }
          run = new BlueskyRun(doc as RunStart);
        } else {
          flush();
          run.add([name, doc] as never);
        }
      }
    } catch (e) {
      if (e instanceof TruncatedInput) {
        if (!w.eof) {
          // The record runs past the window: keep its bytes, read on and decode it again.
          w.advance(offset);
          d = recordDecoder(w);
          continue;
        }
        const at = w.base + offset;
        throw new DocModelError(
          "DOCS_MSGPACK_TRUNCATED",
          `msgpack: ${label}: record ${index} at byte ${at} is truncated (file still being written or cut)`,
          {
            path,
            byteOffset: at,
            recordIndex: index,
          },
        );
      }
      throw inRecord(e, path, w.base + offset, index);
    }
    index++;
  }
  if (!run) throw new DocModelError("DOCS_NO_START", `msgpack: ${label} is empty (no 'start')`, { path, recordIndex: 0 });
  try {
    flush();
  } catch (e) {
    throw inRecord(e, path, w.base + d.pos, index - 1);
  }
  return run;
}
