import type { Datum, DatumPage, DocumentName, Event, EventPage } from "./documents.js";
import { DocModelError } from "./errors.js";

/**
 * Pages built by the msgpack fast loader from one-row `event_page` records: `documents()` yields them as the
 * Events they were written from, and `read()` types their Float64Array columns as the Events' plain numbers.
 */
export const COALESCED_PAGES = new WeakSet<EventPage>();
import { NdArray, isTypedArray } from "./ndarray.js";

/**
 * Row `i` of a page column: an element of a JS array / typed array, or a row of an N-d column (its first axis is
 * the row axis). A row of a 1-D `<f8` N-d column is returned as a plain number, of other 1-D N-d columns as a
 * numpy-style scalar {@link NdArray} (shape `[]`, `scalar: true`) so the dtype survives.
 */
export function columnRow(column: unknown, i: number): unknown {
  if (Array.isArray(column)) return column[i];
  if (column instanceof NdArray) {
    if (column.shape.length === 1) {
      const v = (column.data as ArrayLike<unknown>)[i];
      if (column.dtype === "<f8") return v;
      const d = column.data;
      const part = Array.isArray(d) ? d.slice(i, i + 1) : d.subarray(i, i + 1);
      return new NdArray(column.dtype, [], part, true);
    }
    return column.row(i);
  }
  if (isTypedArray(column)) return column[i];
  throw new DocModelError("DOCS_BAD_ARGUMENT", "docmodel: a page column must be an array, a typed array or an NdArray");
}

function mapColumns<T>(columns: Record<string, unknown> | undefined, i: number): Record<string, T> {
  const out: Record<string, T> = {};
  if (columns) for (const k in columns) out[k] = columnRow(columns[k], i) as T;
  return out;
}

/**
 * Transpose Events of one descriptor into an EventPage (keys in first-seen order).
 * @throws DocModelError `DOCS_EMPTY_PAGE` for zero events
 */
export function packEventPage(events: readonly Event[]): EventPage {
  if (events.length === 0) throw new DocModelError("DOCS_EMPTY_PAGE", "docmodel: packEventPage needs at least one event");
  const n = events.length;
  const first = events[0] as Event;
  const page: EventPage = {
    time: new Array(n),
    uid: new Array(n),
    seq_num: new Array(n),
    descriptor: first.descriptor,
    filled: {},
    data: {},
    timestamps: {},
  };
  const data = page.data as Record<string, unknown[]>;
  const ts = page.timestamps as Record<string, unknown[]>;
  const filled = page.filled as Record<string, (boolean | string)[]>;
  events.forEach((e, i) => {
    (page.time as number[])[i] = e.time;
    page.uid[i] = e.uid;
    page.seq_num[i] = e.seq_num;
    for (const k in e.data) (data[k] ??= new Array(n))[i] = e.data[k];
    for (const k in e.timestamps) (ts[k] ??= new Array(n))[i] = e.timestamps[k];
    if (e.filled) for (const k in e.filled) (filled[k] ??= new Array(n))[i] = e.filled[k] as boolean | string;
  });
  return page;
}

/** One row of an EventPage as an Event (a page without `filled` gives `filled: {}`). */
export function eventFromPage(page: EventPage, i: number): Event {
  return {
    uid: page.uid[i] as string,
    time: page.time[i] as number,
    data: mapColumns(page.data, i),
    timestamps: mapColumns<number>(page.timestamps, i),
    seq_num: page.seq_num[i] as number,
    filled: mapColumns<boolean | string>(page.filled, i),
    descriptor: page.descriptor,
  };
}

/** The Events of an EventPage, one per row (rows from `uid`/`time`/`seq_num`). */
export function* unpackEventPage(page: EventPage): Generator<Event> {
  const n = page.seq_num.length;
  for (let i = 0; i < n; i++) yield eventFromPage(page, i);
}

/** A page's rows as plain JS arrays (N-d columns split into per-row values). */
function columnToList(c: unknown, n: number): unknown[] {
  if (Array.isArray(c)) return c;
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = columnRow(c, i);
  return out;
}

/**
 * Concatenate EventPages of one descriptor (keys from the first page). One page is returned unchanged.
 * @throws DocModelError `DOCS_EMPTY_PAGE` for zero pages
 */
export function mergeEventPages(pages: readonly EventPage[]): EventPage {
  if (pages.length === 0) throw new DocModelError("DOCS_EMPTY_PAGE", "docmodel: mergeEventPages needs at least one page");
  if (pages.length === 1) return pages[0] as EventPage;
  const first = pages[0] as EventPage;
  const cat = (field: "data" | "timestamps" | "filled"): Record<string, unknown[]> => {
    const out: Record<string, unknown[]> = {};
    for (const k of Object.keys(first[field] ?? {})) {
      out[k] = pages.flatMap((p) => columnToList((p[field] as Record<string, unknown>)[k], p.seq_num.length));
    }
    return out;
  };
  return {
    time: pages.flatMap((p) => Array.from(p.time)),
    uid: pages.flatMap((p) => p.uid),
    seq_num: pages.flatMap((p) => p.seq_num),
    descriptor: first.descriptor,
    filled: cat("filled") as Record<string, (boolean | string)[]>,
    data: cat("data"),
    timestamps: cat("timestamps"),
  };
}

/** Re-partition pages into pages of exactly `size` rows (the last may be shorter). */
export function* rechunkEventPages(pages: Iterable<EventPage>, size: number): Generator<EventPage> {
  if (!(size >= 1)) throw new DocModelError("DOCS_BAD_ARGUMENT", `docmodel: rechunk size must be ≥ 1, got ${size}`);
  let buffer: Event[] = [];
  for (const page of pages) {
    for (const e of unpackEventPage(page)) {
      buffer.push(e);
      if (buffer.length === size) {
        yield packEventPage(buffer);
        buffer = [];
      }
    }
  }
  if (buffer.length > 0) yield packEventPage(buffer);
}

/** Transpose Datum of one resource into a DatumPage. @throws DocModelError `DOCS_EMPTY_PAGE` */
export function packDatumPage(datums: readonly Datum[]): DatumPage {
  if (datums.length === 0) throw new DocModelError("DOCS_EMPTY_PAGE", "docmodel: packDatumPage needs at least one datum");
  const n = datums.length;
  const kwargs: Record<string, unknown[]> = {};
  datums.forEach((d, i) => {
    for (const k in d.datum_kwargs) (kwargs[k] ??= new Array(n))[i] = d.datum_kwargs[k];
  });
  return { resource: (datums[0] as Datum).resource, datum_id: datums.map((d) => d.datum_id), datum_kwargs: kwargs };
}

/** The Datum of a DatumPage, one per `datum_id`. */
export function* unpackDatumPage(page: DatumPage): Generator<Datum> {
  for (let i = 0; i < page.datum_id.length; i++) {
    yield { datum_id: page.datum_id[i] as string, resource: page.resource, datum_kwargs: mapColumns(page.datum_kwargs, i) };
  }
}

/** Concatenate DatumPages (one page is returned unchanged). @throws DocModelError `DOCS_EMPTY_PAGE` */
export function mergeDatumPages(pages: readonly DatumPage[]): DatumPage {
  if (pages.length === 0) throw new DocModelError("DOCS_EMPTY_PAGE", "docmodel: mergeDatumPages needs at least one page");
  if (pages.length === 1) return pages[0] as DatumPage;
  const first = pages[0] as DatumPage;
  const kwargs: Record<string, unknown[]> = {};
  for (const k of Object.keys(first.datum_kwargs)) {
    kwargs[k] = pages.flatMap((p) => columnToList(p.datum_kwargs[k], p.datum_id.length));
  }
  return { resource: first.resource, datum_id: pages.flatMap((p) => p.datum_id), datum_kwargs: kwargs };
}

/** Re-partition DatumPages into pages of `size` datum (the last may be shorter). */
export function* rechunkDatumPages(pages: Iterable<DatumPage>, size: number): Generator<DatumPage> {
  if (!(size >= 1)) throw new DocModelError("DOCS_BAD_ARGUMENT", `docmodel: rechunk size must be ≥ 1, got ${size}`);
  let buffer: Datum[] = [];
  for (const page of pages) {
    for (const d of unpackDatumPage(page)) {
      buffer.push(d);
      if (buffer.length === size) {
        yield packDatumPage(buffer);
        buffer = [];
      }
    }
  }
  if (buffer.length > 0) yield packDatumPage(buffer);
}

/** Number of rows of an EventPage (length of `seq_num`). */
export function pageLength(page: EventPage | DatumPage): number {
  return "seq_num" in page ? page.seq_num.length : page.datum_id.length;
}

/**
 * Per-document-type callbacks for {@link DocumentRouter}. If only `eventPage` is given, Events arrive as one-row
 * pages; if only `event` is given, pages arrive as Events (same for datum / datumPage). Types without a callback
 * are ignored.
 */
export interface DocumentHandlers {
  start?(doc: import("./documents.js").RunStart): void;
  descriptor?(doc: import("./documents.js").EventDescriptor): void;
  event?(doc: Event): void;
  eventPage?(doc: EventPage): void;
  resource?(doc: import("./documents.js").Resource): void;
  datum?(doc: Datum): void;
  datumPage?(doc: DatumPage): void;
  stop?(doc: import("./documents.js").RunStop): void;
  streamResource?(doc: import("./documents.js").StreamResource): void;
  streamDatum?(doc: import("./documents.js").StreamDatum): void;
}

/** Dispatches `(name, doc)` pairs to {@link DocumentHandlers} (upstream `DocumentRouter`). */
export class DocumentRouter {
  private readonly h: DocumentHandlers;

  constructor(handlers: DocumentHandlers) {
    this.h = handlers;
  }

  /** Route one document. Unknown names are ignored. */
  route(name: DocumentName | string, doc: unknown): void {
    const h = this.h;
    switch (name) {
      case "start":
        h.start?.(doc as never);
        return;
      case "descriptor":
        h.descriptor?.(doc as never);
        return;
      case "stop":
        h.stop?.(doc as never);
        return;
      case "resource":
        h.resource?.(doc as never);
        return;
      case "stream_resource":
        h.streamResource?.(doc as never);
        return;
      case "stream_datum":
        h.streamDatum?.(doc as never);
        return;
      case "event":
        if (h.event) {
          h.event(doc as Event);
          return;
        }
        h.eventPage?.(packEventPage([doc as Event]));
        return;
      case "event_page":
        if (h.eventPage) {
          h.eventPage(doc as EventPage);
          return;
        }
        if (h.event) for (const e of unpackEventPage(doc as EventPage)) h.event(e);
        return;
      case "datum":
        if (h.datum) {
          h.datum(doc as Datum);
          return;
        }
        h.datumPage?.(packDatumPage([doc as Datum]));
        return;
      case "datum_page":
        if (h.datumPage) {
          h.datumPage(doc as DatumPage);
          return;
        }
        if (h.datum) for (const d of unpackDatumPage(doc as DatumPage)) h.datum(d);
        return;
      default:
        return;
    }
  }
}
