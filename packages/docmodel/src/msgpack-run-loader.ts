import type { EventPage, RunStart } from "./documents.js";
import { DocModelError } from "./errors.js";
import { MsgpackDecoder, TruncatedInput } from "./msgpack/decoder.js";
import { MsgpackEncoder } from "./msgpack/encoder.js";
import { inRecord } from "./msgpack-records.js";
import { BlueskyRun, COALESCED_PAGES } from "./run.js";

/*
 * Fast path for reading suitcase-msgpack files into a BlueskyRun: consecutive one-row `event_page` records of
 * the same descriptor with numeric data/timestamps (what suitcase writes for every Event) are decoded straight
 * into Float64Array columns of one page, without building a document per record. Anything else falls back to
 * the generic decoder. `run.documents()` unpacks such pages back into Events, so re-exporting gives the same
 * records.
 */

class GrowableColumn {
  data = new Float64Array(1024);
  push(v: number, n: number): void {
    if (n === this.data.length) {
      const next = new Float64Array(n * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[n] = v;
  }
}

class PageBuilder {
  n = 0;
  readonly time = new GrowableColumn();
  readonly uid: string[] = [];
  readonly seq: number[] = [];
  readonly data: GrowableColumn[];
  readonly ts: GrowableColumn[];

  /** Constant bytes of the usual record layout (suitcase / pack_event_page key order), for {@link appendFast}. */
  private readonly head: Uint8Array;
  private readonly afterTime: Uint8Array;
  private readonly afterUid: Uint8Array;
  private readonly afterSeq: Uint8Array;
  private readonly dataChunks: Uint8Array[];
  private readonly tsHead: Uint8Array;
  private readonly tsChunks: Uint8Array[];

  /** Per data key: does the re-export write it as float64 (DataKey dtype `number`)? */
  readonly numberKeys: boolean[];

  constructor(
    readonly descriptor: string,
    readonly dataKeys: string[],
    readonly tsKeys: string[],
    numberKeys: ReadonlySet<string>,
  ) {
    this.numberKeys = dataKeys.map((k) => numberKeys.has(k));
    this.data = dataKeys.map(() => new GrowableColumn());
    this.ts = tsKeys.map(() => new GrowableColumn());
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
  }

  /**
   * Append a record laid out exactly like the previous ones (same keys and order, empty `filled`) by comparing
   * the constant bytes and decoding only the values. False (cursor undefined) for anything else.
   */
  appendFast(d: MsgpackDecoder): boolean {
    if (!d.matchBytes(this.head) || !d.nextIsNumber() || d.bytes[d.pos] !== FLOAT64) return false;
    const time = d.decode();
    if (typeof time !== "number" || !d.matchBytes(this.afterTime) || !d.nextIsString()) return false;
    const uid = d.decode() as string;
    if (!d.matchBytes(this.afterUid) || !d.nextIsNumber() || isFloatByte(d.bytes[d.pos] as number)) return false;
    const seq = d.decode();
    if (typeof seq !== "number" || !d.matchBytes(this.afterSeq)) return false;
    const n = this.n;
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
    this.time.push(time, n);
    this.uid.push(uid);
    this.seq.push(seq);
    for (let i = 0; i < nData; i++) (this.data[i] as GrowableColumn).push(values[i] as number, n);
    for (let i = 0; i < this.tsChunks.length; i++) (this.ts[i] as GrowableColumn).push(values[nData + i] as number, n);
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
    const n = this.n;
    this.time.push(row.time, n);
    this.uid.push(row.uid);
    this.seq.push(row.seq);
    for (let i = 0; i < this.data.length; i++) (this.data[i] as GrowableColumn).push(row.dataValues[i] as number, n);
    for (let i = 0; i < this.ts.length; i++) (this.ts[i] as GrowableColumn).push(row.tsValues[i] as number, n);
    this.n = n + 1;
  }

  toPage(): EventPage {
    const n = this.n;
    const data: Record<string, Float64Array> = {};
    this.dataKeys.forEach((k, i) => {
      data[k] = (this.data[i] as GrowableColumn).data.slice(0, n);
    });
    const timestamps: Record<string, Float64Array> = {};
    this.tsKeys.forEach((k, i) => {
      timestamps[k] = (this.ts[i] as GrowableColumn).data.slice(0, n);
    });
    const page: EventPage = {
      time: this.time.data.slice(0, n),
      uid: this.uid,
      seq_num: this.seq,
      descriptor: this.descriptor,
      filled: {},
      data,
      timestamps,
    };
    COALESCED_PAGES.add(page);
    return page;
  }
}

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
 * Load a whole suitcase-msgpack file into a {@link BlueskyRun}, coalescing one-row numeric event pages into
 * typed columns (same documents as `loadRun(readMsgpackFile(path))`, far less memory and time).
 * @throws DocModelError `DOCS_NO_START`, `DOCS_MSGPACK_TRUNCATED`, `DOCS_MSGPACK_BAD_RECORD`, `DOCS_MSGPACK_UNSUPPORTED`,
 *   `DOCS_MSGPACK_BAD_UTF8`, `DOCS_MALFORMED_DOCUMENT` (each with the file, record index and byte offset)
 */
export function loadMsgpackRunBytes(bytes: Uint8Array, path?: string): BlueskyRun {
  const d = new MsgpackDecoder(bytes);
  d.recordRules = true;
  const label = path ?? "buffer";
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
    if (builder && builder.n > 0 && run) run.add(["event_page", builder.toPage()]);
    builder = undefined;
  };
  let index = 0;
  while (d.pos < bytes.length) {
    const offset = d.pos;
    try {
      const n = d.peekArrayLength();
      if (n !== 2 || !d.nextIsString()) {
        throw new DocModelError("DOCS_MSGPACK_BAD_RECORD", `msgpack: ${label}: record ${index} at byte ${offset}: expected [name, doc]`, {
          path,
          byteOffset: offset,
          recordIndex: index,
        });
      }
      const name = d.decode() as string;
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
      }
      if (!appended) {
        d.pos = docStart;
        const doc = d.decode();
        if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
          throw new DocModelError("DOCS_MSGPACK_BAD_RECORD", `msgpack: ${label}: record ${index} at byte ${offset}: doc is not a map`, {
            path,
            byteOffset: offset,
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
        throw new DocModelError(
          "DOCS_MSGPACK_TRUNCATED",
          `msgpack: ${label}: record ${index} at byte ${offset} is truncated (file still being written or cut)`,
          {
            path,
            byteOffset: offset,
            recordIndex: index,
          },
        );
      }
      throw inRecord(e, path, offset, index);
    }
    index++;
  }
  if (!run) throw new DocModelError("DOCS_NO_START", `msgpack: ${label} is empty (no 'start')`, { path, recordIndex: 0 });
  try {
    flush();
  } catch (e) {
    throw inRecord(e, path, d.pos, index - 1);
  }
  return run;
}
