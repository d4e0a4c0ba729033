import type { RunStart } from "./documents.js";
import { DocModelError } from "./errors.js";
import type { MsgpackDecoder } from "./msgpack/decoder.js";
import { EVENT_PAGE_HEAD, FLOAT64, PAGE_ROWS, PageBuilder, PageLayout, isFloatByte, reexportsAlike } from "./msgpack/page-layout.js";
import { RecordWindows, type SyncReadableSource, WINDOW_BYTES } from "./msgpack/windows.js";
import { LazySpan, type ReopenableSource, lazyPage } from "./lazy-pages.js";
import { END_OF_INPUT, RecordReader, inRecord } from "./msgpack-records.js";
import { BlueskyRun } from "./run.js";

export { PAGE_ROWS } from "./msgpack/page-layout.js";
export type { ReopenableSource } from "./lazy-pages.js";

/*
 * Fast path for reading suitcase-msgpack files into a BlueskyRun: consecutive one-row `event_page` records of
 * the same descriptor with numeric data/timestamps (what suitcase writes for every Event) become coalesced pages of
 * at most {@link PAGE_ROWS} rows instead of a document per record. Over bytes in memory their values are decoded
 * straight into Float64Array columns; over a re-openable file, records in the usual layout with float64 values only
 * are checked and indexed and their values are read when used (`lazy-pages.ts`). Anything else falls back to the
 * generic decoder. `run.documents()` unpacks such pages back into Events, so re-exporting gives the same records.
 * Files are read in windows ({@link RecordWindows}), never whole.
 */

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
  return loadMsgpackRunWindows(new RecordWindows(bytes), path, undefined, WINDOW_BYTES);
}

/**
 * {@link loadMsgpackRunBytes} over a byte source that reads synchronously into caller memory (a Node file from
 * @daqkit/io's `openFileSourceSync`): the file is read in windows of about 1 MiB, never held whole. With `reopen`
 * (the same input, opened again later), pages of float64 events keep only their place in the file and are read
 * from it when used.
 */
export function loadMsgpackRunSource(
  source: SyncReadableSource,
  path = source.name,
  windowBytes = WINDOW_BYTES,
  reopen?: ReopenableSource,
): BlueskyRun {
  return loadMsgpackRunWindows(new RecordWindows(source, windowBytes), path, reopen, windowBytes);
}

function loadMsgpackRunWindows(
  w: RecordWindows,
  path: string | undefined,
  reopen: ReopenableSource | undefined,
  windowBytes: number,
): BlueskyRun {
  const label = path ?? "buffer";
  const reader = new RecordReader(w, path);
  let run: BlueskyRun | undefined;
  // The page being gathered: eager (values in columns) or lazy (a byte range of the file); at most one of them.
  let builder: PageBuilder | undefined;
  let span: LazySpan | undefined;
  // The layout of the last one-row page record, its builder kept for the eager rows of that layout.
  let layout: PageLayout | undefined;
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
    if (builder && builder.n > 0) (run as BlueskyRun).add(["event_page", builder.takePage(0)]);
    builder = undefined;
    if (span && span.rows > 0) (run as BlueskyRun).addCoalesced(lazyPage(span));
    span = undefined;
  };
  /** Add the record `layout` has just matched (ending at the cursor) to a lazy page, or an eager one. */
  const appendMatched = (d: MsgpackDecoder, l: PageLayout, recordStart: number, index: number): void => {
    if (reopen !== undefined && l.tail !== undefined) {
      if (span?.layout !== l || span.rows >= PAGE_ROWS) {
        flush();
        span = new LazySpan(reopen, l, recordStart, index, windowBytes);
      }
      span.add(l.seq, w.base + d.pos);
      return;
    }
    if (builder?.layout !== l) {
      flush();
      builder = new PageBuilder(l);
    }
    builder.appendMatched(d);
    if (builder.full) (run as BlueskyRun).add(["event_page", builder.takePage(PAGE_ROWS)]);
  };
  /** After a record `l` matched: the records that follow in the same layout, in this loop (no call per record). */
  const more = (d: MsgpackDecoder, r: RecordReader, l: PageLayout): void => {
    const head = EVENT_PAGE_HEAD;
    for (;;) {
      r.commit(d);
      const start = d.pos;
      if (start + head.length > d.end || !head.matchAt(d.view, d.bytes, start)) return;
      d.pos = start + head.length;
      if (!l.match(d)) {
        d.pos = start;
        return;
      }
      appendMatched(d, l, w.base + start, r.index);
    }
  };
  const visit = (d: MsgpackDecoder, r: RecordReader): void => {
    const offset = d.pos;
    const index = r.index;
    // `[` + "event_page" (the usual record) is matched as bytes; anything else is decoded.
    let name: string;
    if (run && d.pos + EVENT_PAGE_HEAD.length <= d.end && EVENT_PAGE_HEAD.matchAt(d.view, d.bytes, d.pos)) {
      d.pos += EVENT_PAGE_HEAD.length;
      name = "event_page";
    } else {
      const n = d.peekArrayLength();
      if (n !== 2 || !d.nextIsString()) {
        const at = r.at;
        throw new DocModelError("DOCS_MSGPACK_BAD_RECORD", `msgpack: ${label}: record ${index} at byte ${at}: expected [name, doc]`, {
          path,
          byteOffset: at,
          recordIndex: index,
        });
      }
      name = d.decode() as string;
    }
    const docStart = d.pos;
    if (run && name === "event_page") {
      // Same layout as the previous record: compare constant bytes, decode only the values.
      if (layout?.match(d)) {
        appendMatched(d, layout, w.base + offset, index);
        more(d, r, layout);
        return;
      }
      d.pos = docStart;
      if (parseOneRow(d, row)) {
        const end = d.pos;
        let l = layout?.sameKeys(row.descriptor, row.dataKeys, row.dataCount, row.tsKeys, row.tsCount) ? layout : undefined;
        l ??= new PageLayout(
          row.descriptor,
          row.dataKeys.slice(0, row.dataCount),
          row.tsKeys.slice(0, row.tsCount),
          numberKeysOf(run, row.descriptor),
        );
        if (reexportsAlikeRow(l, row)) {
          layout = l;
          // The first record of a layout: in the usual layout itself, or only equivalent to it (other key order,
          // no `filled`…: then kept in an eager page).
          d.pos = docStart;
          if (l.match(d)) {
            appendMatched(d, l, w.base + offset, index);
            more(d, r, l);
            return;
          }
          d.pos = end;
          if (builder?.layout !== l) {
            flush();
            builder = new PageBuilder(l);
          }
          builder.append(row.time, row.uid, row.seq, row.dataValues, row.tsValues);
          if (builder.full) run.add(["event_page", builder.takePage(PAGE_ROWS)]);
          return;
        }
      }
    }
    d.pos = docStart;
    const doc = d.decode();
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
      const at = r.at;
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
  };
  while (reader.next(visit) !== END_OF_INPUT);
  // Every record is decoded or indexed (decoded values are copies): the window's memory can serve the next reader.
  w.release();
  if (!run) throw new DocModelError("DOCS_NO_START", `msgpack: ${label} is empty (no 'start')`, { path, recordIndex: 0 });
  try {
    flush();
  } catch (e) {
    throw inRecord(e, path, reader.position, reader.index - 1);
  }
  return run;
}

/** Would `run.documents()` re-export this row's numbers with the wire types they have? */
function reexportsAlikeRow(layout: PageLayout, row: Row): boolean {
  if (row.timeWire !== FLOAT64 || isFloatByte(row.seqWire)) return false;
  for (let i = 0; i < row.dataCount; i++) {
    if (!reexportsAlike(row.dataWire[i] as number, row.dataValues[i] as number, layout.numberKeys[i] as boolean)) return false;
  }
  for (let i = 0; i < row.tsCount; i++) if (row.tsWire[i] !== FLOAT64) return false;
  return true;
}
