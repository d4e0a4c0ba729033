import type { DocumentPair, Event, EventDescriptor, EventPage } from "./documents.js";
import { DocModelError } from "./errors.js";
import { MsgpackDecoder, TruncatedInput } from "./msgpack/decoder.js";
import { MsgpackEncoder } from "./msgpack/encoder.js";
import { EVENT_PAGE_HEAD, PageLayout } from "./msgpack/page-layout.js";
import { RecordWindows } from "./msgpack/windows.js";
import { packDatumPage, packEventPage } from "./pages.js";
import { isWireFloat, markWireFloat, wireFloatKeys } from "./python-values.js";

const WRITTEN = new Set(["start", "descriptor", "event_page", "datum_page", "resource", "stop"]);

/**
 * Encodes documents as suitcase-msgpack records (spec §9): `[name, doc]` arrays; `event` → one-row `event_page`,
 * `datum` → one-row `datum_page`; `stream_resource`, `stream_datum` and unknown names are dropped. Number typing:
 * every `time` and `timestamps` value is float64, data values of keys whose DataKey `dtype` is `"number"` are
 * float64, other integers in the safe range are msgpack ints, typed arrays / NdArrays are msgpack-numpy maps.
 */
export class RecordEncoder {
  readonly encoder: MsgpackEncoder;
  private readonly numberKeys = new Map<string, Set<string>>();
  /** Records written so far, by name. */
  readonly counts: Record<string, number> = {};

  constructor(encoder = new MsgpackEncoder(1 << 20)) {
    this.encoder = encoder;
  }

  /** Encode one document; returns false when the exporter drops it. */
  write(name: string, doc: unknown): boolean {
    if (name === "event") {
      this.writeEventAsPage(doc as Event);
      this.counts.event_page = (this.counts.event_page ?? 0) + 1;
      return true;
    }
    if (name === "datum") return this.write("datum_page", packDatumPage([doc as never]));
    if (name === "bulk_events") {
      // Deprecated upstream; the DocumentRouter turns it into one event page per descriptor.
      let any = false;
      for (const events of Object.values(doc as Record<string, Event[]>))
        if (events.length > 0) any = this.write("event_page", packEventPage(events)) || any;
      return any;
    }
    if (name === "bulk_datum") {
      const b = doc as { resource: string; datum_ids: string[]; datum_kwarg_list: Record<string, unknown>[] };
      if (b.datum_ids.length === 0) return false;
      return this.write(
        "datum_page",
        packDatumPage(b.datum_ids.map((id, i) => ({ datum_id: id, resource: b.resource, datum_kwargs: b.datum_kwarg_list[i] ?? {} }))),
      );
    }
    if (!WRITTEN.has(name)) return false;
    const e = this.encoder;
    e.writeArrayHeader(2);
    e.writeKey(name);
    switch (name) {
      case "start":
      case "stop":
        e.writeObject(doc as Record<string, unknown>, false, TIME_ONLY);
        break;
      case "descriptor":
        this.writeDescriptor(doc as EventDescriptor);
        break;
      case "event_page":
        this.writeEventPage(doc as EventPage);
        break;
      default:
        e.write(doc);
    }
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    return true;
  }

  private writeDescriptor(d: EventDescriptor): void {
    const numbers = new Set<string>();
    for (const [k, dk] of Object.entries(d.data_keys ?? {})) if (dk?.dtype === "number") numbers.add(k);
    this.numberKeys.set(d.uid, numbers);
    const e = this.encoder;
    let n = 0;
    for (const k in d) if (d[k] !== undefined) n++;
    e.writeMapHeader(n);
    for (const k in d) {
      const v = d[k];
      if (v === undefined) continue;
      e.writeKey(k);
      if (k === "time") e.write(v, true);
      else if (typeof v === "number" && isWireFloat(d, k)) e.write(v, true);
      else if (k === "configuration" && v && typeof v === "object") {
        const conf = v as Record<string, Record<string, unknown>>;
        e.writeMapHeader(Object.keys(conf).length);
        for (const obj of Object.keys(conf)) {
          e.writeString(obj);
          const c = conf[obj] as Record<string, unknown>;
          const floats = new Set<string>(wireFloatKeys(c.data as object) as Set<string> | undefined);
          for (const [f, dk] of Object.entries((c.data_keys as Record<string, { dtype?: string }>) ?? {}))
            if (dk?.dtype === "number") floats.add(f);
          let m = 0;
          for (const ck in c) if (c[ck] !== undefined) m++;
          e.writeMapHeader(m);
          for (const ck in c) {
            if (c[ck] === undefined) continue;
            e.writeString(ck);
            if (ck === "timestamps") e.write(c[ck], true);
            else if (ck === "data") e.writeObject(c[ck] as Record<string, unknown>, false, floats);
            else e.write(c[ck]);
          }
        }
      } else e.write(v);
    }
  }

  /** An Event as the one-row page `pack_event_page([event])` makes, encoded without building the page. */
  private writeEventAsPage(ev: Event): void {
    let template = this.templates.get(ev.descriptor);
    if (template === undefined && this.templates.size < 1024) {
      template = new EventTemplate(ev.descriptor, ev, this.numberKeys.get(ev.descriptor));
      this.templates.set(ev.descriptor, template);
    }
    if (template?.write(this.encoder, ev)) return;
    const numbers = this.numberKeys.get(ev.descriptor);
    const e = this.encoder;
    e.writeArrayHeader(2);
    e.writeKey("event_page");
    e.writeMapHeader(7);
    e.writeKey("time");
    e.writeArrayHeader(1);
    e.writeFloat64(ev.time);
    e.writeKey("uid");
    e.writeArrayHeader(1);
    e.writeString(ev.uid);
    e.writeKey("seq_num");
    e.writeArrayHeader(1);
    e.write(ev.seq_num);
    e.writeKey("descriptor");
    e.writeKey(ev.descriptor);
    e.writeKey("filled");
    this.writeRow(ev.filled ?? {}, undefined, false);
    e.writeKey("data");
    this.writeRow(ev.data, numbers, false);
    e.writeKey("timestamps");
    this.writeRow(ev.timestamps, undefined, true);
  }

  private readonly templates = new Map<string, EventTemplate | undefined>();

  /** `{k: v}` as `{k: [v]}`. */
  private writeRow(row: Record<string, unknown>, floatKeys: ReadonlySet<string> | undefined, asFloat: boolean): void {
    const e = this.encoder;
    const keys = Object.keys(row);
    let n = 0;
    for (let i = 0; i < keys.length; i++) if (row[keys[i] as string] !== undefined) n++;
    e.writeMapHeader(n);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      const v = row[k];
      if (v === undefined) continue;
      e.writeKey(k);
      e.writeArrayHeader(1);
      if (typeof v === "number") e.writeNumber(v, asFloat || (floatKeys?.has(k) ?? false));
      else e.write(v, asFloat || (floatKeys?.has(k) ?? false));
    }
  }

  private writeEventPage(p: EventPage): void {
    const numbers = this.numberKeys.get(p.descriptor);
    const e = this.encoder;
    let n = 0;
    for (const k in p) if ((p as unknown as Record<string, unknown>)[k] !== undefined) n++;
    e.writeMapHeader(n);
    for (const k in p) {
      const v = (p as unknown as Record<string, unknown>)[k];
      if (v === undefined) continue;
      e.writeKey(k);
      if (k === "time" || k === "timestamps") e.write(v instanceof Float64Array ? Array.from(v) : v, true);
      else if (k === "data") e.writeObject(v as Record<string, unknown>, false, numbers);
      else if (typeof v === "number" && isWireFloat(p, k)) e.write(v, true);
      else e.write(v);
    }
  }
}

const TIME_ONLY = new Set(["time"]);

/** A float64 marker and its 8 value bytes (filled per event). */
const FLOAT64_SLOT = new Uint8Array([0xcb, 0, 0, 0, 0, 0, 0, 0, 0]);

function encodedBytes(write: (e: MsgpackEncoder) => void): Uint8Array {
  const e = new MsgpackEncoder(256);
  write(e);
  return e.bytes().slice();
}

function copyBytes(e: MsgpackEncoder, bytes: Uint8Array): void {
  const n = bytes.length;
  e.ensure(n);
  const b = e.buf;
  let p = e.pos;
  for (let i = 0; i < n; i++) b[p++] = bytes[i] as number;
  e.pos = p;
}

/**
 * The constant bytes of a one-row event page for one descriptor (keys, headers, the descriptor uid), precomputed
 * from the first Event; later Events with the same data/timestamps keys in the same order and an empty `filled`
 * only add their values. Output is identical to the generic path.
 */
class EventTemplate {
  private readonly head: Uint8Array;
  private readonly afterTime: Uint8Array;
  private readonly afterUid: Uint8Array;
  private readonly afterSeq: Uint8Array;
  private readonly dataKeys: string[];
  private readonly dataChunks: Uint8Array[];
  private readonly dataFloat: boolean[];
  private readonly tsHead: Uint8Array;
  private readonly tsKeys: string[];
  private readonly tsChunks: Uint8Array[];
  /**
   * When every data key is a float64 key: the whole constant tail after `seq_num` (descriptor, filled, data and
   * timestamps keys with `0xcb` float64 markers) as one image, and the offsets of its 8-byte value slots.
   */
  private readonly tail: Uint8Array | undefined;
  private readonly dataSlots: Int32Array;
  private readonly tsSlots: Int32Array;

  constructor(descriptor: string, first: Event, numbers: ReadonlySet<string> | undefined) {
    this.head = encodedBytes((e) => {
      e.writeArrayHeader(2);
      e.writeString("event_page");
      e.writeMapHeader(7);
      e.writeString("time");
      e.writeArrayHeader(1);
    });
    this.afterTime = encodedBytes((e) => {
      e.writeString("uid");
      e.writeArrayHeader(1);
    });
    this.afterUid = encodedBytes((e) => {
      e.writeString("seq_num");
      e.writeArrayHeader(1);
    });
    this.dataKeys = Object.keys(first.data);
    this.tsKeys = Object.keys(first.timestamps);
    this.afterSeq = encodedBytes((e) => {
      e.writeString("descriptor");
      e.writeString(descriptor);
      e.writeString("filled");
      e.writeMapHeader(0);
      e.writeString("data");
      e.writeMapHeader(this.dataKeys.length);
    });
    this.dataChunks = this.dataKeys.map((k) =>
      encodedBytes((e) => {
        e.writeString(k);
        e.writeArrayHeader(1);
      }),
    );
    this.dataFloat = this.dataKeys.map((k) => numbers?.has(k) ?? false);
    this.tsHead = encodedBytes((e) => {
      e.writeString("timestamps");
      e.writeMapHeader(this.tsKeys.length);
    });
    this.tsChunks = this.tsKeys.map((k) =>
      encodedBytes((e) => {
        e.writeString(k);
        e.writeArrayHeader(1);
      }),
    );
    this.dataSlots = new Int32Array(this.dataKeys.length);
    this.tsSlots = new Int32Array(this.tsKeys.length);
    if (this.dataFloat.every((f) => f)) {
      const parts: Uint8Array[] = [this.afterSeq];
      let at = this.afterSeq.length;
      const slot = (chunk: Uint8Array): number => {
        parts.push(chunk, FLOAT64_SLOT);
        at += chunk.length + FLOAT64_SLOT.length;
        return at - 8;
      };
      for (let i = 0; i < this.dataChunks.length; i++) this.dataSlots[i] = slot(this.dataChunks[i] as Uint8Array);
      parts.push(this.tsHead);
      at += this.tsHead.length;
      for (let i = 0; i < this.tsChunks.length; i++) this.tsSlots[i] = slot(this.tsChunks[i] as Uint8Array);
      const tail = new Uint8Array(at);
      let p = 0;
      for (const part of parts) {
        tail.set(part, p);
        p += part.length;
      }
      this.tail = tail;
    }
  }

  private static sameKeys(o: Record<string, unknown>, keys: readonly string[]): boolean {
    let i = 0;
    for (const k in o) {
      if (k !== keys[i] || o[k] === undefined) return false;
      i++;
    }
    return i === keys.length;
  }

  /** Write `ev` if it fits the template; false (nothing written) otherwise. */
  write(e: MsgpackEncoder, ev: Event): boolean {
    if (ev.filled) for (const _ in ev.filled) return false;
    if (typeof ev.time !== "number" || typeof ev.uid !== "string" || typeof ev.seq_num !== "number") return false;
    const tail = this.tail;
    if (tail === undefined && (!EventTemplate.sameKeys(ev.data, this.dataKeys) || !EventTemplate.sameKeys(ev.timestamps, this.tsKeys)))
      return false;
    const start = e.pos;
    copyBytes(e, this.head);
    e.writeFloat64(ev.time);
    copyBytes(e, this.afterTime);
    e.writeString(ev.uid);
    copyBytes(e, this.afterUid);
    e.writeNumber(ev.seq_num);
    if (tail !== undefined) {
      // All values are float64: copy the constant tail in one go and fill its value slots. Keys and values are
      // checked in the same for-in pass (enum-cache fast path); a mismatch rolls the event back (generic path).
      const n = tail.length;
      e.ensure(n);
      const base = e.pos;
      e.buf.set(tail, base);
      const dv = e.view;
      const data = ev.data;
      const keys = this.dataKeys;
      const slots = this.dataSlots;
      // Extra, missing or reordered keys, or a non-number value: `ok` false.
      let ok = true;
      let i = 0;
      for (const k in data) {
        const v = data[k];
        if (k !== keys[i] || typeof v !== "number") {
          ok = false;
          break;
        }
        dv.setFloat64(base + (slots[i] as number), v);
        i++;
      }
      const ts = ev.timestamps as Record<string, unknown>;
      const tsKeys = this.tsKeys;
      const tsSlots = this.tsSlots;
      let j = 0;
      if (ok && i === keys.length) {
        for (const k in ts) {
          const v = ts[k];
          if (k !== tsKeys[j] || typeof v !== "number") {
            ok = false;
            break;
          }
          dv.setFloat64(base + (tsSlots[j] as number), v);
          j++;
        }
      }
      if (!ok || i !== keys.length || j !== tsKeys.length) {
        e.pos = start;
        return false;
      }
      e.pos = base + n;
      return true;
    }
    copyBytes(e, this.afterSeq);
    const data = ev.data;
    for (let i = 0; i < this.dataKeys.length; i++) {
      copyBytes(e, this.dataChunks[i] as Uint8Array);
      const v = data[this.dataKeys[i] as string];
      if (typeof v === "number") e.writeNumber(v, this.dataFloat[i]);
      else e.write(v, this.dataFloat[i]);
    }
    copyBytes(e, this.tsHead);
    const ts = ev.timestamps as Record<string, unknown>;
    for (let i = 0; i < this.tsKeys.length; i++) {
      copyBytes(e, this.tsChunks[i] as Uint8Array);
      const v = ts[this.tsKeys[i] as string];
      if (typeof v === "number") e.writeFloat64(v);
      else e.write(v, true);
    }
    return true;
  }
}

/** Options of {@link exportMsgpack}. */
export function encodeMsgpackRun(documents: Iterable<DocumentPair>): Uint8Array {
  const r = new RecordEncoder();
  for (const [name, doc] of documents) r.write(name, doc);
  return r.encoder.bytes().slice();
}

export function truncated(path: string | undefined, offset: number, index: number, cause?: unknown): DocModelError {
  return new DocModelError(
    "DOCS_MSGPACK_TRUNCATED",
    `msgpack: ${path ?? "buffer"}: record ${index} at byte ${offset} is truncated (file still being written or cut)`,
    { path, byteOffset: offset, recordIndex: index, cause },
  );
}

export function badRecord(path: string | undefined, offset: number, index: number, what: string): DocModelError {
  return new DocModelError(
    "DOCS_MSGPACK_BAD_RECORD",
    `msgpack: ${path ?? "buffer"}: record ${index} at byte ${offset}: expected [name, doc], ${what}`,
    {
      path,
      byteOffset: offset,
      recordIndex: index,
    },
  );
}

/**
 * Give a coded error raised inside record `index` (by the codec or a structure check) the file, record index and
 * byte offset; errors that already name their record are returned unchanged.
 */
export function inRecord(e: unknown, path: string | undefined, offset: number, index: number): unknown {
  if (!DocModelError.isInstance(e) || e.recordIndex !== undefined) return e;
  return new DocModelError(
    e.code,
    `msgpack: ${path ?? "buffer"}: record ${index} at byte ${offset}: ${e.message.replace(/^(msgpack|docmodel): /, "")}`,
    {
      path,
      byteOffset: e.byteOffset ?? offset,
      recordIndex: index,
      documentName: e.documentName,
      field: e.field,
      run: e.run,
      cause: e,
    },
  );
}

/**
 * Decode suitcase-msgpack records from bytes: each must be a 2-array `[name: str, doc: map]`.
 * @throws DocModelError `DOCS_MSGPACK_TRUNCATED` (with byteOffset of the cut record), `DOCS_MSGPACK_BAD_RECORD`,
 *   `DOCS_MSGPACK_UNSUPPORTED`, `DOCS_MSGPACK_BAD_UTF8` (with the file, the str's byte offset and the record index)
 */
export function decodeMsgpackRecords(bytes: Uint8Array, path?: string): Generator<DocumentPair> {
  return decodeRecordWindows(new RecordWindows(bytes), path);
}

/** {@link decodeMsgpackRecords} over a file read in windows (never held whole). */
export function* decodeRecordWindows(w: RecordWindows, path?: string): Generator<DocumentPair> {
  const reader = new RecordReader(w, path);
  const pages = new PageShapes();
  const visit = (d: MsgpackDecoder, r: RecordReader): DocumentPair => pages.decodeRecord(d, r);
  for (;;) {
    const record = reader.next(visit);
    if (record === END_OF_INPUT) return;
    yield record;
  }
}

function decodeGenericRecord(d: MsgpackDecoder, reader: RecordReader): DocumentPair {
  const record = d.decode();
  if (!Array.isArray(record)) throw badRecord(reader.path, reader.at, reader.index, `found ${record === null ? "nil" : typeof record}`);
  if (
    record.length !== 2 ||
    typeof record[0] !== "string" ||
    record[1] === null ||
    typeof record[1] !== "object" ||
    Array.isArray(record[1])
  ) {
    throw badRecord(reader.path, reader.at, reader.index, `found an array of ${record.length}`);
  }
  return record as unknown as DocumentPair;
}

/** Layouts a record decoder learns at most (distinct one-row page shapes: descriptors × key sets). */
const MAX_PAGE_SHAPES = 64;
/** Layouts tried before a record is decoded generically (the most recently matched first). */
const TRIED_PAGE_SHAPES = 4;

/**
 * The fast path of {@link decodeMsgpackRecords} for repeating one-row `event_page` records (what suitcase writes for
 * every Event: same keys, layout and descriptor record after record). The first such record of a shape is decoded
 * generically and its layout learnt ({@link PageLayout}: constant bytes compared as words, float64 value slots); a
 * later record whose bytes match it is built from its values only, without parsing keys or dispatching on types.
 * The document is the one the generic decoder makes: same keys in the same order, the same strings (the uid checked
 * as UTF-8 like any str), and the same integral-float marks (data values that are whole numbers, written as float64;
 * none under `time` / `timestamps`, by the record rules). Anything else (other records, other layouts, a record cut
 * by the window's edge) goes through the generic decoder.
 */
class PageShapes {
  /** Learnt layouts, the last matched first. */
  private readonly layouts: PageLayout[] = [];
  /** Layouts made from a record that did not match them (other wire types): not tried. */
  private readonly rejected: PageLayout[] = [];
  /** Layouts made (at most {@link MAX_PAGE_SHAPES}). */
  private learnt = 0;

  decodeRecord(d: MsgpackDecoder, reader: RecordReader): DocumentPair {
    const layouts = this.layouts;
    if (layouts.length > 0) {
      const p = d.pos;
      if (p + EVENT_PAGE_HEAD.length <= d.end && EVENT_PAGE_HEAD.matchAt(d.view, d.bytes, p)) {
        const n = Math.min(layouts.length, TRIED_PAGE_SHAPES);
        for (let i = 0; i < n; i++) {
          const layout = layouts[i] as PageLayout;
          d.pos = p + EVENT_PAGE_HEAD.length;
          if (layout.match(d)) {
            if (i > 0) {
              layouts.splice(i, 1);
              layouts.unshift(layout);
            }
            return ["event_page", buildPage(layout, d)];
          }
        }
        d.pos = p;
      }
    }
    const start = d.pos;
    const record = decodeGenericRecord(d, reader);
    if (record[0] === "event_page" && this.learnt < MAX_PAGE_SHAPES) this.learn(record[1] as EventPage, d, start);
    return record;
  }

  /**
   * Learn the layout of a generically decoded one-row page (the record at `start`, the cursor after it) when the
   * record itself is laid out so (every data value float64 on the wire…); a layout it does not match is remembered
   * as such, so records of that shape are not tried against it and it is not made again.
   */
  private learn(page: EventPage, d: MsgpackDecoder, start: number): void {
    const doc = page as unknown as Record<string, unknown>;
    let i = 0;
    for (const k in doc) if (k !== PAGE_KEYS[i++]) return;
    if (i !== PAGE_KEYS.length || typeof page.descriptor !== "string") return;
    if (!isRow(page.time) || !isRow(page.uid) || !isRow(page.seq_num) || !isObject(page.filled)) return;
    for (const _ in page.filled) return;
    const dataKeys = rowKeys(page.data);
    const tsKeys = rowKeys(page.timestamps);
    if (dataKeys === undefined || tsKeys === undefined) return;
    for (const known of [this.layouts, this.rejected])
      for (const l of known) if (l.sameKeys(page.descriptor, dataKeys, dataKeys.length, tsKeys, tsKeys.length)) return;
    // Every data key taken as `number`: the layout then expects float64 values only (its byte image has the markers).
    const layout = new PageLayout(page.descriptor, dataKeys, tsKeys, new Set(dataKeys));
    this.learnt++;
    const end = d.pos;
    d.pos = start + EVENT_PAGE_HEAD.length;
    const fits =
      layout.tail !== undefined &&
      start + EVENT_PAGE_HEAD.length <= d.end &&
      EVENT_PAGE_HEAD.matchAt(d.view, d.bytes, start) &&
      layout.match(d);
    d.pos = end;
    if (!fits) {
      this.rejected.push(layout);
      return;
    }
    this.layouts.unshift(layout);
    if (this.layouts.length > TRIED_PAGE_SHAPES) this.layouts.length = TRIED_PAGE_SHAPES;
  }
}

const PAGE_KEYS = ["time", "uid", "seq_num", "descriptor", "filled", "data", "timestamps"];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isRow(v: unknown): boolean {
  return Array.isArray(v) && v.length === 1;
}

/** The keys of a map of one-element arrays (undefined for anything else, or a `__proto__` key). */
function rowKeys(v: unknown): string[] | undefined {
  if (!isObject(v)) return undefined;
  const keys: string[] = [];
  for (const k in v) {
    if (k === "__proto__" || !isRow(v[k])) return undefined;
    keys.push(k);
  }
  return keys;
}

/** The document of the record `layout` has just matched (see {@link PageShapes}). */
function buildPage(layout: PageLayout, d: MsgpackDecoder): EventPage {
  const view = d.view;
  const tailAt = layout.tailAt;
  const dataKeys = layout.dataKeys;
  const dataSlots = layout.dataSlots;
  const data: Record<string, number[]> = {};
  for (let i = 0; i < dataKeys.length; i++) {
    const v = view.getFloat64(tailAt + (dataSlots[i] as number));
    const row = [v];
    // As the generic decoder: a whole number written as a float is remembered for the re-export.
    if (Number.isInteger(v)) markWireFloat(row, 0);
    data[dataKeys[i] as string] = row;
  }
  const tsKeys = layout.tsKeys;
  const tsSlots = layout.tsSlots;
  const timestamps: Record<string, number[]> = {};
  for (let i = 0; i < tsKeys.length; i++) timestamps[tsKeys[i] as string] = [view.getFloat64(tailAt + (tsSlots[i] as number))];
  return {
    time: [layout.time],
    uid: [layout.uid(d)],
    seq_num: [layout.seq],
    descriptor: layout.descriptor,
    filled: {},
    data,
    timestamps,
  } as unknown as EventPage;
}

/** What {@link RecordReader.next} returns at the end of the input. */
export const END_OF_INPUT: unique symbol = Symbol("end of input");

/**
 * The one sliding-window record loop of every reader (all records decoded, the indexer, the columnar run loader and
 * its lazy pages): {@link next} hands the decoder, at the first byte of the next record, to a visitor that consumes
 * exactly that record. A record cut by the window's edge (`TruncatedInput` while more input follows) is handed over
 * again once the window has moved on (so a visitor must not change state before it has read all it needs); at the
 * end of the input it is `DOCS_MSGPACK_TRUNCATED`. Other coded errors get the file, record index and byte offset.
 */
export class RecordReader {
  private d: MsgpackDecoder;
  /** Index of the record being read (records handed over so far). */
  index = 0;
  /** Window offset of the record being read. */
  private offset = 0;

  constructor(
    readonly w: RecordWindows,
    readonly path: string | undefined,
    firstIndex = 0,
  ) {
    this.d = recordDecoder(w);
    this.index = firstIndex;
  }

  /** File offset of the record being read. */
  get at(): number {
    return this.w.base + this.offset;
  }

  /** File offset of the next record (after {@link next} returned). */
  get position(): number {
    return this.w.base + this.d.pos;
  }

  /**
   * Called by a visitor that goes on to read more records in the same call: the record it has just read (ending at
   * the cursor) is done, so a later record cut by the window's edge is handed over again from the cursor, not from
   * the first record of the call. A visitor that returns right after a commit, having read nothing more, has its
   * records counted already.
   */
  commit(d: MsgpackDecoder): void {
    this.offset = d.pos;
    this.index++;
  }

  /** `visit(decoder)` for the next record (or more, see {@link commit}), or {@link END_OF_INPUT}. */
  next<T>(visit: (d: MsgpackDecoder, reader: RecordReader) => T): T | typeof END_OF_INPUT {
    const w = this.w;
    for (;;) {
      const d = this.d;
      if (d.pos >= w.length) {
        if (w.eof) return END_OF_INPUT;
        w.advance(d.pos);
        this.d = recordDecoder(w);
        continue;
      }
      this.offset = d.pos;
      try {
        const out = visit(d, this);
        // (Nothing read since a commit: the visitor's records were all counted there.)
        if (d.pos !== this.offset) this.index++;
        return out;
      } catch (e) {
        if (e instanceof TruncatedInput) {
          if (!w.eof) {
            // The record runs past the window: keep its bytes, read on and hand it over again.
            w.advance(this.offset);
            this.d = recordDecoder(w);
            continue;
          }
          throw truncated(this.path, this.at, this.index);
        }
        throw inRecord(e, this.path, this.at, this.index);
      }
    }
  }
}

/** A record decoder at the start of the window `w`. */
export function recordDecoder(w: RecordWindows): MsgpackDecoder {
  const d = new MsgpackDecoder(w.bytes, 0, w.length);
  d.recordRules = true;
  d.base = w.base;
  return d;
}
