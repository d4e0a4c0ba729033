import type { EventPage } from "../documents.js";
import { COALESCED_PAGES } from "../pages.js";
import type { MsgpackDecoder } from "./decoder.js";
import { MsgpackEncoder } from "./encoder.js";

/*
 * The record layout suitcase-msgpack writes for every Event (a one-row `event_page`, keys in pack_event_page order,
 * empty `filled`), precomputed per descriptor and key set as constant bytes with value slots, so that a record is
 * recognised by comparing bytes and only its values are read. Used by the columnar run loader (first pass) and by
 * its lazy pages (second pass: the same records read again into columns).
 */

/**
 * Rows of one coalesced page. Columns grow by doubling up to this size and a full page is handed to the run as it
 * is, so no column is ever copied into a larger one past this size, and a page wastes at most its doubling slack.
 */
export const PAGE_ROWS = 1 << 18;

export const FLOAT64 = 0xcb;

export function isFloatByte(b: number): boolean {
  return b === 0xcb || b === 0xca;
}

/**
 * The columnar pages keep numbers only; `run.documents()` re-encodes them by the export rules (float64 for
 * `number` keys, else ints for integral values). A record whose wire types differ from that (an int in a `number`
 * key, `2.0` in an `integer` key, float32) is kept as decoded instead, so a re-export stays byte-identical.
 */
export function reexportsAlike(wire: number, v: number, numberKey: boolean): boolean {
  if (numberKey) return wire === FLOAT64;
  if (wire === 0xca) return false;
  return !(wire === FLOAT64 && Number.isInteger(v));
}

/** Latin-1 slice of Node's Buffer: for ASCII bytes the same string as UTF-8, without the validation pass. */
const nativeLatin1Slice = (globalThis as { Buffer?: { prototype: { latin1Slice?: (s: number, e: number) => string } } }).Buffer?.prototype
  .latin1Slice;

/** The string of ASCII bytes `b[start, end)` (at most 255 of them). */
export function asciiString(b: Uint8Array, start: number, end: number): string {
  if (nativeLatin1Slice !== undefined && end - start > 16) return nativeLatin1Slice.call(b, start, end);
  return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
}

/**
 * Constant bytes with holes (value slots), compared 8 bytes at a time: unaligned little-endian words read through a
 * DataView as float64 (the fastest wide read V8 has), the last word of each run overlapping the previous one. A word
 * whose pattern is a NaN (never equal) or ±0 (equal to the other zero) is compared as two int32 words instead; runs
 * shorter than 4 bytes byte by byte.
 */
export class BytePattern {
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
    const compiled = compileMatch(this.f64Offsets, this.f64Words, this.i32Offsets, this.i32Words, this.byteOffsets, this.byteValues);
    if (compiled !== undefined) this.matchAt = compiled;
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

/**
 * {@link BytePattern.matchAt} for one pattern as straight-line code (offsets and words as constants, no loops), which
 * V8 compiles to a few machine instructions per word: about twice as fast as the loops on the columnar loader's
 * records. Undefined where code cannot be made at run time (a Content-Security-Policy without `unsafe-eval`); the
 * loops are used there.
 */
function compileMatch(
  f64Offsets: Int32Array,
  f64Words: Float64Array,
  i32Offsets: Int32Array,
  i32Words: Int32Array,
  byteOffsets: Int32Array,
  byteValues: Uint8Array,
): ((view: DataView, bytes: Uint8Array, p: number) => boolean) | undefined {
  const terms: string[] = [];
  // Finite, non-zero doubles (NaN and ±0 patterns are compared as int32 words): String() gives them exactly.
  for (let i = 0; i < f64Offsets.length; i++) terms.push(`v.getFloat64(p + ${f64Offsets[i]}, true) === ${String(f64Words[i])}`);
  for (let i = 0; i < i32Offsets.length; i++) terms.push(`v.getInt32(p + ${i32Offsets[i]}, true) === ${i32Words[i]}`);
  for (let i = 0; i < byteOffsets.length; i++) terms.push(`b[p + ${byteOffsets[i]}] === ${byteValues[i]}`);
  try {
    return new Function("v", "b", "p", `return ${terms.length > 0 ? terms.join(" && ") : "true"};`) as (
      view: DataView,
      bytes: Uint8Array,
      p: number,
    ) => boolean;
  } catch {
    return undefined;
  }
}

/** A record's array header and name when it is an `event_page`. */
export const EVENT_PAGE_HEAD = new BytePattern(new Uint8Array([0x92, 0xaa, ...Array.from("event_page", (c) => c.charCodeAt(0))]), [0, 12]);

const FLOAT64_MARKER = new Uint8Array([0xcb]);
const VALUE_SLOT = new Uint8Array(8);

function encoded(write: (e: MsgpackEncoder) => void): Uint8Array {
  const e = new MsgpackEncoder(256);
  write(e);
  return e.bytes().slice();
}

/**
 * The usual layout of a one-row event page of one descriptor and key set. {@link match} recognises a record laid
 * out exactly so (same keys and order, empty `filled`, wire types that re-export alike) and leaves its values in
 * fields (`time`, `seq`, the uid's byte range, the value slots' base or `values`).
 */
export class PageLayout {
  private readonly afterSeq: Uint8Array;
  private readonly dataChunks: Uint8Array[];
  private readonly tsHead: Uint8Array;
  private readonly tsChunks: Uint8Array[];
  /**
   * When every data key is a `number` key (all values float64 on the wire): everything after `seq_num` as one image
   * with `0xcb` markers and 8-byte value slots ({@link dataSlots}, {@link tsSlots} are the slots' offsets in it).
   */
  readonly tail: BytePattern | undefined;
  /** The map header, `time`, its float64 value (slot at byte {@link timeSlot} of it) and the `uid` key. */
  private readonly timePattern: BytePattern;
  private readonly timeSlot: number;
  private readonly afterUidPattern: BytePattern;
  readonly dataSlots: Int32Array;
  readonly tsSlots: Int32Array;
  /** Per data key: does the re-export write it as float64 (DataKey dtype `number`)? */
  readonly numberKeys: boolean[];

  // What the last successful match found.
  time = 0;
  seq = 0;
  uidStart = 0;
  uidEnd = 0;
  /** The uid when it is not ASCII (decoded and checked), else undefined (ASCII bytes `[uidStart, uidEnd)`). */
  uidText: string | undefined = undefined;
  /** With {@link tail}: window offset of the tail (value slots are relative to it). */
  tailAt = 0;
  /** Without {@link tail}: data values, then timestamps values. */
  readonly values: number[] = [];

  constructor(
    readonly descriptor: string,
    readonly dataKeys: string[],
    readonly tsKeys: string[],
    numberKeys: ReadonlySet<string>,
  ) {
    this.numberKeys = dataKeys.map((k) => numberKeys.has(k));
    const head = encoded((e) => {
      e.writeMapHeader(7);
      e.writeString("time");
      e.writeArrayHeader(1);
    });
    const afterTime = encoded((e) => {
      e.writeString("uid");
      e.writeArrayHeader(1);
    });
    const afterUid = encoded((e) => {
      e.writeString("seq_num");
      e.writeArrayHeader(1);
    });
    this.afterSeq = encoded((e) => {
      e.writeString("descriptor");
      e.writeString(descriptor);
      e.writeString("filled");
      e.writeMapHeader(0);
      e.writeString("data");
      e.writeMapHeader(dataKeys.length);
    });
    const keyChunk = (k: string) =>
      encoded((e) => {
        e.writeString(k);
        e.writeArrayHeader(1);
      });
    this.dataChunks = dataKeys.map(keyChunk);
    this.tsHead = encoded((e) => {
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
    const timeBytes = new Uint8Array(head.length + 9 + afterTime.length);
    timeBytes.set(head);
    timeBytes[head.length] = FLOAT64;
    timeBytes.set(afterTime, head.length + 9);
    this.timeSlot = head.length + 1;
    this.timePattern = new BytePattern(timeBytes, [0, head.length + 1, head.length + 9, timeBytes.length]);
    this.afterUidPattern = new BytePattern(afterUid, [0, afterUid.length]);
  }

  /**
   * Is the document at the cursor (after the record's `[`, `"event_page"`) laid out so? Then the cursor is after it
   * and the fields hold its values; else false (cursor undefined), also when the record runs past the window.
   * `checkUid` false: the uid's bytes are not looked at (no UTF-8 check; {@link uid} must not be called), for a
   * second pass over records a first one checked.
   * @throws DocModelError `DOCS_MSGPACK_BAD_UTF8` for a uid that is not UTF-8
   */
  match(d: MsgpackDecoder, checkUid = true): boolean {
    const b = d.bytes;
    const view = d.view;
    const end = d.end;
    let p = d.pos;
    const timePattern = this.timePattern;
    if (p + timePattern.length > end || !timePattern.matchAt(view, b, p)) return false;
    this.time = view.getFloat64(p + this.timeSlot);
    p += timePattern.length;
    // uid: a fixstr or str8; ASCII bytes are left in place (no string), anything else decoded (and checked).
    if (p >= end) return false;
    const h = b[p] as number;
    let start: number;
    if (h >= 0xa0 && h <= 0xbf) start = p + 1;
    else if (h === 0xd9 && p + 1 < end) start = p + 2;
    else return false;
    const stop = start + (h === 0xd9 ? (b[p + 1] as number) : h & 0x1f);
    if (stop > end) return false;
    this.uidText = undefined;
    if (checkUid) {
      // ASCII (every byte < 0x80), 4 bytes at a time.
      let high = 0;
      let i = start;
      for (; i + 4 <= stop; i += 4) high |= view.getInt32(i);
      for (; i < stop; i++) high |= b[i] as number;
      if ((high & 0x80808080) !== 0) {
        d.pos = p;
        this.uidText = d.decode() as string;
      }
    }
    this.uidStart = start;
    this.uidEnd = stop;
    p = stop;
    const afterUid = this.afterUidPattern;
    if (p + afterUid.length + 1 > end || !afterUid.matchAt(view, b, p)) return false;
    p += afterUid.length;
    // seq_num: a msgpack int (a float would not re-export alike); the usual unsigned forms inline.
    const sb = b[p] as number;
    if (sb <= 0x7f) {
      this.seq = sb;
      p += 1;
    } else if (sb === 0xcc && p + 2 <= end) {
      this.seq = b[p + 1] as number;
      p += 2;
    } else if (sb === 0xcd && p + 3 <= end) {
      this.seq = view.getUint16(p + 1);
      p += 3;
    } else if (sb === 0xce && p + 5 <= end) {
      this.seq = view.getUint32(p + 1);
      p += 5;
    } else {
      d.pos = p;
      if (!d.nextIsNumber() || isFloatByte(sb)) return false;
      const v = d.decode();
      if (typeof v !== "number") return false;
      this.seq = v;
      p = d.pos;
    }
    const tail = this.tail;
    if (tail !== undefined) {
      if (p + tail.length > end || !tail.matchAt(view, b, p)) return false;
      this.tailAt = p;
      d.pos = p + tail.length;
      return true;
    }
    d.pos = p;
    if (!d.matchBytes(this.afterSeq)) return false;
    const values = this.values;
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
    return true;
  }

  /** The uid of the last match. */
  uid(d: MsgpackDecoder): string {
    return this.uidText ?? asciiString(d.bytes, this.uidStart, this.uidEnd);
  }

  /** Data value `i` (or timestamps value `i` with `ts`) of the last match. */
  value(d: MsgpackDecoder, i: number, ts: boolean): number {
    if (this.tail !== undefined) return d.view.getFloat64(this.tailAt + ((ts ? this.tsSlots : this.dataSlots)[i] as number));
    return this.values[ts ? this.dataKeys.length + i : i] as number;
  }

  /** Same descriptor and keys in the same order? */
  sameKeys(descriptor: string, dataKeys: readonly string[], dataCount: number, tsKeys: readonly string[], tsCount: number): boolean {
    if (descriptor !== this.descriptor || dataCount !== this.dataKeys.length || tsCount !== this.tsKeys.length) return false;
    for (let i = 0; i < dataCount; i++) if (dataKeys[i] !== this.dataKeys[i]) return false;
    for (let i = 0; i < tsCount; i++) if (tsKeys[i] !== this.tsKeys[i]) return false;
    return true;
  }
}

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

/** Rows of one layout gathered into Float64Array columns, handed over as a coalesced event page. */
export class PageBuilder {
  n = 0;
  private capacity = 0;
  private time!: GrowableColumn;
  private uid: string[] = [];
  private seq: number[] = [];
  private data!: GrowableColumn[];
  private ts!: GrowableColumn[];

  /** `capacity`: rows to make room for at first (grows by doubling up to {@link PAGE_ROWS}). */
  constructor(
    readonly layout: PageLayout,
    capacity = 1024,
  ) {
    this.fresh(capacity);
  }

  /** Start empty columns of `capacity` rows. */
  private fresh(capacity: number): void {
    const { dataKeys, tsKeys } = this.layout;
    this.n = 0;
    this.capacity = capacity;
    this.time = new GrowableColumn(capacity);
    this.uid = [];
    this.seq = [];
    this.data = dataKeys.map(() => new GrowableColumn(capacity));
    this.ts = tsKeys.map(() => new GrowableColumn(capacity));
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

  /** Append the record the layout has just matched. */
  appendMatched(d: MsgpackDecoder): void {
    this.room();
    const layout = this.layout;
    const n = this.n;
    this.time.data[n] = layout.time;
    this.uid.push(layout.uid(d));
    this.seq.push(layout.seq);
    const data = this.data;
    for (let i = 0; i < data.length; i++) (data[i] as GrowableColumn).data[n] = layout.value(d, i, false);
    const ts = this.ts;
    for (let i = 0; i < ts.length; i++) (ts[i] as GrowableColumn).data[n] = layout.value(d, i, true);
    this.n = n + 1;
  }

  /** Append a row parsed by the generic one-row parser. */
  append(time: number, uid: string, seq: number, dataValues: readonly number[], tsValues: readonly number[]): void {
    this.room();
    const n = this.n;
    this.time.data[n] = time;
    this.uid.push(uid);
    this.seq.push(seq);
    for (let i = 0; i < this.data.length; i++) (this.data[i] as GrowableColumn).data[n] = dataValues[i] as number;
    for (let i = 0; i < this.ts.length; i++) (this.ts[i] as GrowableColumn).data[n] = tsValues[i] as number;
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
    const { dataKeys, tsKeys, descriptor } = this.layout;
    const data: Record<string, Float64Array> = {};
    dataKeys.forEach((k, i) => {
      data[k] = (this.data[i] as GrowableColumn).take(n);
    });
    const timestamps: Record<string, Float64Array> = {};
    tsKeys.forEach((k, i) => {
      timestamps[k] = (this.ts[i] as GrowableColumn).take(n);
    });
    const page: EventPage = {
      time: this.time.take(n),
      uid: this.uid,
      seq_num: this.seq,
      descriptor,
      filled: {},
      data,
      timestamps,
    };
    COALESCED_PAGES.add(page);
    this.fresh(nextCapacity);
    return page;
  }
}
