import type { EventPage } from "./documents.js";
import { DocModelError } from "./errors.js";
import type { MsgpackDecoder } from "./msgpack/decoder.js";
import { EVENT_PAGE_HEAD, PageBuilder, type PageLayout } from "./msgpack/page-layout.js";
import { RecordWindows, type SyncReadableSource, WINDOW_BYTES } from "./msgpack/windows.js";
import { END_OF_INPUT, RecordReader } from "./msgpack-records.js";
import { COALESCED_PAGES } from "./pages.js";

/*
 * File-backed coalesced pages. When the columnar run loader reads a file (not bytes in memory), a run of one-row
 * numeric `event_page` records in the usual layout with float64 values (what suitcase writes for a stream of
 * `number` keys) is only checked and indexed: the page keeps its byte range, row count and seq nums (compactly),
 * not its values. Its fields are read from the file again when first used (and then kept, so the page becomes an
 * ordinary coalesced page); `read()` reads just the wanted columns of such pages straight into its result, and
 * `documents()` reads a page's Events without keeping them. So a run of a large file costs little memory until
 * its events are asked for.
 */

/** The input a run was loaded from, opened again to read lazy pages (a Node file checks it has not changed). */
export interface ReopenableSource {
  readonly path: string | undefined;
  /** @throws DocModelError `DOCS_FILE_UNREADABLE` when it cannot be read or has changed */
  open(): { source: SyncReadableSource; close(): void };
}

/** Records `[start, end)` of a source, all in one layout, forming one lazy page. */
export class LazySpan {
  rows = 0;
  end: number;
  private seqFirst = 0;
  /** The seq nums when they are not `seqFirst`, `seqFirst + 1`, … */
  private seqs: number[] | undefined;

  constructor(
    readonly source: ReopenableSource,
    readonly layout: PageLayout,
    readonly start: number,
    readonly firstIndex: number,
    /** Window size when the records are read again (the loader's). */
    readonly windowBytes = WINDOW_BYTES,
  ) {
    this.end = start;
  }

  /** Count one more record (ending at file offset `end`) with seq num `seq`. */
  add(seq: number, end: number): void {
    const rows = this.rows;
    if (rows === 0) this.seqFirst = seq;
    else if (this.seqs !== undefined) this.seqs.push(seq);
    else if (seq !== this.seqFirst + rows) {
      const seqs: number[] = [];
      for (let i = 0; i < rows; i++) seqs.push(this.seqFirst + i);
      seqs.push(seq);
      this.seqs = seqs;
    }
    this.rows = rows + 1;
    this.end = end;
  }

  /** The seq nums as a fresh array. */
  seqNums(): number[] {
    if (this.seqs !== undefined) return this.seqs.slice();
    const out: number[] = [];
    for (let i = 0; i < this.rows; i++) out.push(this.seqFirst + i);
    return out;
  }
}

const LAZY = new WeakMap<EventPage, LazySpan>();

/** The page of `span`: its fields are read from the source on first use. */
export function lazyPage(span: LazySpan): EventPage {
  const page: Record<string, unknown> = {};
  const fill = (): void => {
    if (!LAZY.has(page as unknown as EventPage)) return;
    const full = materialize(span) as unknown as Record<string, unknown>;
    LAZY.delete(page as unknown as EventPage);
    for (const k of PAGE_FIELDS) if (Object.getOwnPropertyDescriptor(page, k)?.get) define(page, k, full[k]);
  };
  for (const key of PAGE_FIELDS) {
    if (key === "descriptor") define(page, key, span.layout.descriptor);
    else if (key === "filled") define(page, key, {});
    else {
      Object.defineProperty(page, key, {
        enumerable: true,
        configurable: true,
        get: () => {
          if (key === "seq_num" && LAZY.has(page as unknown as EventPage)) define(page, key, span.seqNums());
          else fill();
          return page[key];
        },
        set: (v: unknown) => define(page, key, v),
      });
    }
  }
  LAZY.set(page as unknown as EventPage, span);
  COALESCED_PAGES.add(page as unknown as EventPage);
  return page as unknown as EventPage;
}

/** Field order of a coalesced page (as the loader's eager pages have them). */
const PAGE_FIELDS = ["time", "uid", "seq_num", "descriptor", "filled", "data", "timestamps"] as const;

function define(o: object, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Is `page` a lazy page whose values have not been read yet? */
export function isLazyPage(page: EventPage): boolean {
  return LAZY.has(page);
}

/** Rows of a page, without reading a lazy one. */
export function pageRows(page: EventPage): number {
  return LAZY.get(page)?.rows ?? page.seq_num.length;
}

/** Keys of `sub` (`data` / `timestamps`) of a lazy page (all float64 scalars), else undefined. */
export function lazyPageKeys(page: EventPage, sub: "data" | "timestamps"): readonly string[] | undefined {
  const span = LAZY.get(page);
  if (span === undefined) return undefined;
  return sub === "data" ? span.layout.dataKeys : span.layout.tsKeys;
}

/** The page with all its fields: a lazy page's are read into a new page that is not kept (for one pass over it). */
export function pageContent(page: EventPage): EventPage {
  const span = LAZY.get(page);
  return span === undefined ? page : materialize(span);
}

/** Read the records of `span` into a new coalesced page. */
function materialize(span: LazySpan): EventPage {
  const builder = new PageBuilder(span.layout, span.rows);
  withSources((pass) => eachRow(span, pass, (d) => builder.appendMatched(d)));
  return builder.takePage(0);
}

/** One pass over lazy pages: each span's source opened once. */
interface Pass {
  open(span: LazySpan): SyncReadableSource;
}

/** `fn` with a {@link Pass} (sources closed after `fn`). */
function withSources<T>(fn: (pass: Pass) => T): T {
  const opened = new Map<ReopenableSource, { source: SyncReadableSource; close(): void }>();
  try {
    return fn({
      open(span) {
        let o = opened.get(span.source);
        if (o === undefined) {
          o = span.source.open();
          opened.set(span.source, o);
        }
        return o.source;
      },
    });
  } finally {
    for (const o of opened.values()) o.close();
  }
}

function changed(span: LazySpan, cause?: unknown): DocModelError {
  const path = span.source.path;
  return new DocModelError(
    "DOCS_FILE_UNREADABLE",
    `msgpack: ${path ?? "buffer"}: records ${span.firstIndex}–${span.firstIndex + span.rows - 1} (bytes ${span.start}–${span.end}) no longer read as they did when the run was loaded: the file changed`,
    { path, byteOffset: span.start, recordIndex: span.firstIndex, cause },
  );
}

/** `visit` every record of `span` (read again from its source, each checked against the layout) after its match. */
function eachRow(span: LazySpan, pass: Pass, visit: (d: MsgpackDecoder, layout: PageLayout) => void, needUid = true): void {
  const w = new RecordWindows(pass.open(span), span.windowBytes, span.start, span.end);
  const reader = new RecordReader(w, span.source.path, span.firstIndex);
  const layout = span.layout;
  let rows = 0;
  // As many records as the window holds in one call (committed one by one).
  const records = (d: MsgpackDecoder, r: RecordReader): void => {
    const head = EVENT_PAGE_HEAD;
    for (let first = true; ; first = false) {
      const start = d.pos;
      if (start + head.length <= d.end && head.matchAt(d.view, d.bytes, start)) {
        d.pos = start + head.length;
        if (layout.match(d, needUid)) {
          visit(d, layout);
          rows++;
          r.commit(d);
          continue;
        }
      }
      d.pos = start;
      if (!first && (start >= d.end || !w.eof)) return; // the window's end: the reader reads on
      // Cut by the window's edge (then read again with more bytes: skip() throws TruncatedInput), or changed.
      if (!w.eof) d.skip();
      throw changed(span);
    }
  };
  try {
    while (reader.next(records) !== END_OF_INPUT);
  } catch (e) {
    if (DocModelError.isInstance(e) && e.code !== "DOCS_FILE_UNREADABLE") throw changed(span, e);
    throw e;
  }
  if (rows !== span.rows || reader.position !== span.end) throw changed(span);
  // Nothing of this page's window is referenced any more (values were copied out): the next page reads into it.
  w.release();
}

/**
 * `time` and the columns `keys` of `sub` of coalesced pages (lazy ones read from their source, others copied) as
 * Float64Arrays of all their rows. Every page must have Float64Array columns of these keys.
 */
export function readCoalescedColumns(
  pages: readonly EventPage[],
  sub: "data" | "timestamps",
  keys: readonly string[],
): { time: Float64Array; columns: Float64Array[] } {
  let total = 0;
  for (const p of pages) total += pageRows(p);
  const time = new Float64Array(total);
  const columns = keys.map(() => new Float64Array(total));
  const ts = sub === "timestamps";
  const m = keys.length;
  let at = 0;
  // The slot of each wanted key in the current page's layout.
  let index: number[] = [];
  // One visitor for every page (a new closure per page would make each page's first row a new call target for the
  // optimized row loop, which then deoptimizes and is compiled again).
  const visit = (d: MsgpackDecoder, layout: PageLayout): void => {
    time[at] = layout.time;
    for (let j = 0; j < m; j++) (columns[j] as Float64Array)[at] = layout.value(d, index[j] as number, ts);
    at++;
  };
  withSources((pass) => {
    for (const page of pages) {
      const span = LAZY.get(page);
      if (span === undefined) {
        const n = page.seq_num.length;
        time.set(page.time as Float64Array, at);
        const source = page[sub] as Record<string, unknown>;
        keys.forEach((k, j) => {
          // A typed column, or a 1-D N-d array of one (its `data`).
          const c = source[k] as Float64Array | { data: Float64Array };
          (columns[j] as Float64Array).set(ArrayBuffer.isView(c) ? c : c.data, at);
        });
        at += n;
        continue;
      }
      const names = ts ? span.layout.tsKeys : span.layout.dataKeys;
      index = keys.map((k) => names.indexOf(k));
      eachRow(span, pass, visit, false);
    }
  });
  return { time, columns };
}

/** The uids of coalesced pages in order (lazy ones read from their source, not kept). */
export function readCoalescedUids(pages: readonly EventPage[]): string[] {
  const out: string[] = [];
  withSources((pass) => {
    for (const page of pages) {
      const span = LAZY.get(page);
      if (span === undefined) for (const u of page.uid) out.push(u);
      else eachRow(span, pass, (d, layout) => out.push(layout.uid(d)));
    }
  });
  return out;
}

/** The seq nums of pages in order (a lazy page's from what the loader kept, without reading it). */
export function readCoalescedSeqs(pages: readonly EventPage[]): number[] {
  const out: number[] = [];
  for (const page of pages) {
    const span = LAZY.get(page);
    const seqs = span === undefined ? page.seq_num : span.seqNums();
    for (let i = 0; i < seqs.length; i++) out.push(seqs[i] as number);
  }
  return out;
}
