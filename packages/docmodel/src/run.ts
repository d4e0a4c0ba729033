import type {
  Datum,
  DatumPage,
  DocumentPair,
  DocumentStream,
  Event,
  EventDescriptor,
  EventPage,
  Resource,
  RunStart,
  RunStop,
} from "./documents.js";
import { DocModelError } from "./errors.js";
import { type FillOptions, Filler, unfilledKeys } from "./filler.js";
import { isLazyPage, pageContent, pageRows } from "./lazy-pages.js";
import { COALESCED_PAGES, eventFromPage, packDatumPage, packEventPage, unpackDatumPage } from "./pages.js";
import { type ReadOptions, type StreamColumns, readStreamColumns } from "./read-stream.js";
import { checkStructure } from "./structure.js";

/** One stream (descriptors sharing a `name`) of a {@link BlueskyRun}. */
export class RunStream {
  constructor(
    readonly run: BlueskyRun,
    readonly name: string,
  ) {}

  /** The stream's descriptors in arrival order. */
  get descriptors(): EventDescriptor[] {
    return this.run.descriptors.filter((d) => streamNameOf(d) === this.name);
  }

  /** Number of events in the stream. */
  get eventCount(): number {
    let n = 0;
    for (const d of this.descriptors) for (const p of this.run.eventPages.get(d.uid) ?? []) n += pageRows(p);
    return n;
  }

  /**
   * Configuration of each device (`object name → {data, timestamps, data_keys}`) per descriptor, in descriptor
   * order (the seed's `"<object>:<field>"` columns are available through `read({ configuration: true })`).
   */
  config(): Record<string, unknown>[] {
    return this.descriptors.map((d) => d.configuration ?? {});
  }

  /**
   * The stream as columns (seed `run.primary.read()`, spec §8.3).
   * @throws DocModelError `DOCS_SHAPE_MISMATCH` (rows of an array key with different shapes), `DOCS_BAD_ARGUMENT`
   *   (include and exclude together), filling errors (`DOCS_UNDEFINED_ASSET_SPEC`, `DOCS_UNRESOLVABLE_FOREIGN_KEY`)
   */
  read(options: ReadOptions = {}): StreamColumns {
    return readStreamColumns(this.run, this.name, options);
  }

  /** {@link read} as an Apache Arrow table (N-d keys as FixedSizeList columns with `shape` metadata). */
  async readArrow(options: ReadOptions = {}): Promise<import("apache-arrow").Table> {
    const { columnsToArrow } = await import("./arrow.js");
    return columnsToArrow(this.read(options));
  }
}

/** Stream name of a descriptor (a missing name counts as `primary`). */
export function streamNameOf(d: EventDescriptor): string {
  return typeof d.name === "string" ? d.name : "primary";
}

/**
 * A fully loaded run (upstream `BlueskyRun`): the RunStart, RunStop (null for a partial run), descriptors, event
 * pages per descriptor (Events are stored as one-row pages), resources and datum pages.
 */
export class BlueskyRun {
  readonly start: RunStart;
  stop: RunStop | null = null;
  readonly descriptors: EventDescriptor[] = [];
  readonly descriptorsByUid = new Map<string, EventDescriptor>();
  readonly eventPages = new Map<string, EventPage[]>();
  readonly resources = new Map<string, Resource>();
  readonly datumPages = new Map<string, DatumPage[]>();
  private readonly datumIndex = new Map<string, Datum>();
  /**
   * Documents as received (`event`/`datum` kept as given; consecutive one-row pages may be coalesced by the
   * msgpack loader, see {@link documents}).
   */
  readonly records: DocumentPair[] = [];

  /** @throws DocModelError `DOCS_MALFORMED_DOCUMENT` when `start` has no string `uid` or numeric `time` */
  constructor(start: RunStart) {
    checkStructure("start", start, typeof start?.uid === "string" ? start.uid : "(no uid)");
    this.start = start;
    this.records.push(["start", start]);
  }

  /** `{ start, stop }` as in upstream `run.metadata`. */
  get metadata(): { start: RunStart; stop: RunStop | null } {
    return { start: this.start, stop: this.stop };
  }

  /**
   * Add one document (after the start). Unknown names are kept in `records` only.
   * @throws DocModelError `DOCS_MALFORMED_DOCUMENT` when the document lacks the structure readers rely on (a
   *   DataKey `shape` that is not an array, page columns of other lengths than `seq_num`/`datum_id`, …)
   */
  add(pair: DocumentPair): void {
    const [name, doc] = pair;
    checkStructure(name, doc, this.start.uid);
    this.records.push(pair);
    switch (name) {
      case "descriptor":
        this.descriptors.push(doc);
        this.descriptorsByUid.set(doc.uid, doc);
        if (!this.eventPages.has(doc.uid)) this.eventPages.set(doc.uid, []);
        break;
      case "event":
        this.pagesOf(doc.descriptor).push(packEventPage([doc]));
        break;
      case "event_page":
        this.pagesOf(doc.descriptor).push(doc);
        break;
      case "resource":
        this.resources.set(doc.uid, doc);
        break;
      case "datum":
        this.addDatumPage(packDatumPage([doc]));
        break;
      case "datum_page":
        this.addDatumPage(doc);
        break;
      case "stop":
        this.stop = doc;
        break;
      case "bulk_events":
        // Deprecated upstream; converted to EventPages on receipt (one page per descriptor).
        for (const events of Object.values(doc as Record<string, Event[]>)) {
          if (events.length > 0) {
            const page = packEventPage(events);
            this.pagesOf(page.descriptor).push(page);
          }
        }
        break;
      case "bulk_datum": {
        const b = doc as unknown as { resource: string; datum_ids: string[]; datum_kwarg_list: Record<string, unknown>[] };
        if (b.datum_ids.length > 0) {
          this.addDatumPage(
            packDatumPage(b.datum_ids.map((id, i) => ({ datum_id: id, resource: b.resource, datum_kwargs: b.datum_kwarg_list[i] ?? {} }))),
          );
        }
        break;
      }
      case "start":
        throw new DocModelError("DOCS_MSGPACK_BAD_RECORD", `docmodel: a second start document in run ${this.start.uid}`, {
          documentName: "start",
        });
      default:
        break;
    }
  }

  /**
   * Add a page the msgpack loader built (a coalesced page whose values are read from its file when used): its
   * structure is right by construction, so it is not checked (which would read it).
   * @internal
   */
  addCoalesced(page: EventPage): void {
    if (!isLazyPage(page)) {
      this.add(["event_page", page]);
      return;
    }
    this.records.push(["event_page", page]);
    this.pagesOf(page.descriptor).push(page);
  }

  private pagesOf(descriptorUid: string): EventPage[] {
    let pages = this.eventPages.get(descriptorUid);
    if (!pages) this.eventPages.set(descriptorUid, (pages = []));
    return pages;
  }

  private addDatumPage(page: DatumPage): void {
    let pages = this.datumPages.get(page.resource);
    if (!pages) this.datumPages.set(page.resource, (pages = []));
    pages.push(page);
    for (const d of unpackDatumPage(page)) this.datumIndex.set(d.datum_id, d);
  }

  /** Stream names in descriptor arrival order. */
  get streams(): string[] {
    return [...new Set(this.descriptors.map(streamNameOf))];
  }

  /** @throws DocModelError `DOCS_STREAM_NOT_FOUND` */
  stream(name: string): RunStream {
    if (!this.descriptors.some((d) => streamNameOf(d) === name)) {
      throw new DocModelError(
        "DOCS_STREAM_NOT_FOUND",
        `docmodel: run ${this.start.uid} has no stream ${JSON.stringify(name)} (streams: ${this.streams.join(", ") || "none"})`,
      );
    }
    return new RunStream(this, name);
  }

  /** A Datum by id, if this run has it. */
  datum(datumId: string): Datum | undefined {
    return this.datumIndex.get(datumId);
  }

  /** A {@link Filler} over this run's resources and datum. */
  filler(options: FillOptions = {}): Filler {
    return new Filler(
      (id) => this.datumIndex.get(id),
      (uid) => this.resources.get(uid),
      options,
    );
  }

  /**
   * Events of all descriptors interlaced by event time (k-way merge; ties broken by descriptor order), as
   * `[descriptor, event]`.
   */
  *interlacedEvents(descriptors: readonly EventDescriptor[] = this.descriptors): Generator<[EventDescriptor, Event]> {
    const cursors = descriptors.map((d) => ({ d, pages: this.eventPages.get(d.uid) ?? [], page: 0, row: 0 }));
    const head = (c: (typeof cursors)[number]): number => {
      while (c.page < c.pages.length && c.row >= (c.pages[c.page] as EventPage).seq_num.length) {
        c.page++;
        c.row = 0;
      }
      return c.page < c.pages.length ? ((c.pages[c.page] as EventPage).time[c.row] as number) : Number.POSITIVE_INFINITY;
    };
    for (;;) {
      let best = -1;
      let bestTime = Number.POSITIVE_INFINITY;
      for (let i = 0; i < cursors.length; i++) {
        const t = head(cursors[i] as (typeof cursors)[number]);
        if (best === -1 ? t !== Number.POSITIVE_INFINITY : t < bestTime) {
          best = i;
          bestTime = t;
        }
      }
      if (best === -1) return;
      const c = cursors[best] as (typeof cursors)[number];
      yield [c.d, eventFromPage(c.pages[c.page] as EventPage, c.row++)];
    }
  }

  /**
   * Replay the run in canonical order (spec §8.2): start, all descriptors, all Events interlaced by time (filled),
   * stop. Resources/datum are used for filling and not emitted.
   * @throws DocModelError `DOCS_UNDEFINED_ASSET_SPEC`, `DOCS_UNRESOLVABLE_FOREIGN_KEY` when external data cannot be loaded
   */
  *canonical(options: FillOptions = {}): Generator<DocumentPair> {
    yield ["start", this.start];
    for (const d of this.descriptors) yield ["descriptor", d];
    const filler = this.filler(options);
    for (const [d, e] of this.interlacedEvents()) yield ["event", filler.fill(e, d)];
    if (this.stop) yield ["stop", this.stop];
  }

  /** @deprecated upstream's old name (`read_canonical`); use {@link canonical}. */
  readCanonical(options: FillOptions = {}): Generator<DocumentPair> {
    return this.canonical(options);
  }

  /**
   * Like {@link canonical} without filling: before the first Event that references an unseen datum id, the
   * Resource and **all** its datum pages are emitted.
   */
  *canonicalUnfilled(): Generator<DocumentPair> {
    yield ["start", this.start];
    for (const d of this.descriptors) yield ["descriptor", d];
    const emitted = new Set<string>();
    for (const [d, e] of this.interlacedEvents()) {
      for (const k of unfilledKeys(e, d.data_keys)) {
        const datumId = String(e.data[k]);
        const prefix = datumId.split("/")[0] as string;
        const resourceUid = this.resources.has(prefix) ? prefix : this.datumIndex.get(datumId)?.resource;
        if (resourceUid === undefined || emitted.has(resourceUid)) continue;
        emitted.add(resourceUid);
        const resource = this.resources.get(resourceUid);
        if (resource) yield ["resource", resource];
        for (const p of this.datumPages.get(resourceUid) ?? []) yield ["datum_page", p];
      }
      yield ["event", e];
    }
    if (this.stop) yield ["stop", this.stop];
  }

  /** The documents in arrival order (as received, `event`/`datum` not packed). */
  *documents(): Generator<DocumentPair> {
    for (const pair of this.records) {
      if (pair[0] === "event_page" && COALESCED_PAGES.has(pair[1])) {
        // A page read from its file is read for this pass only (not kept).
        const page = pageContent(pair[1]);
        for (let i = 0; i < page.seq_num.length; i++) yield ["event", eventFromPage(page, i)];
      } else yield pair;
    }
  }
}

/**
 * Consume a whole document stream into a {@link BlueskyRun}.
 * @throws DocModelError `DOCS_NO_START` when the stream is empty or does not begin with `start`
 */
export async function loadRun(stream: DocumentStream): Promise<BlueskyRun> {
  if (!(Symbol.asyncIterator in stream)) return loadRunSync(stream as Iterable<DocumentPair>);
  let run: BlueskyRun | undefined;
  let index = 0;
  for await (const pair of stream as AsyncIterable<DocumentPair>) {
    run = addToRun(run, pair, index++);
  }
  return finishRun(run);
}

/** Synchronous {@link loadRun} for iterables. */
export function loadRunSync(pairs: Iterable<DocumentPair>): BlueskyRun {
  let run: BlueskyRun | undefined;
  let index = 0;
  for (const pair of pairs) {
    run = addToRun(run, pair, index++);
  }
  return finishRun(run);
}

/** Start a run with the first pair (which must be `start`) or add a later pair to it. */
function addToRun(run: BlueskyRun | undefined, pair: DocumentPair, index: number): BlueskyRun {
  if (run) {
    run.add(pair);
    return run;
  }
  if (pair[0] !== "start") {
    throw new DocModelError("DOCS_NO_START", `docmodel: expected a stream of (name, doc) pairs starting with 'start', got '${pair[0]}'`, {
      recordIndex: index,
      documentName: pair[0],
    });
  }
  return new BlueskyRun(pair[1]);
}

function finishRun(run: BlueskyRun | undefined): BlueskyRun {
  if (!run) throw new DocModelError("DOCS_NO_START", "docmodel: the document stream is empty (no 'start')", { recordIndex: 0 });
  return run;
}
