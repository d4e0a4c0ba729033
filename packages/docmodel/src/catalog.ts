import type { DocumentStream, Ingestor, RunStart, RunStop } from "./documents.js";
import { DocModelError } from "./errors.js";
import { type Query, compileQuery } from "./query.js";
import { type BlueskyRun, loadRun } from "./run.js";
import { firstPair } from "./stream-iter.js";

/**
 * An ingestor may carry a faster whole-run loader under this symbol (the msgpack file reader does); the catalog
 * uses it to open runs instead of consuming `(name, doc)` pairs.
 */
export const RUN_LOADER: unique symbol = Symbol.for("daqkit.docmodel.runLoader");

/** One catalog entry: the cached RunStart/RunStop and how to produce the run's documents again. */
export interface CatalogEntry {
  readonly uid: string;
  readonly start: RunStart;
  /** Null until known (partial run, or not given at upsert and the run not opened yet). */
  stop: RunStop | null;
  readonly ingestor: Ingestor<any[]>;
  readonly args: readonly unknown[];
}

/** Options of {@link InMemoryCatalog.upsert}. */
export interface UpsertOptions {
  /** The RunStart, if already known (then the ingestor is not called at upsert; databroker 1.x style). */
  start?: RunStart;
  /** The RunStop, if known. */
  stop?: RunStop | null;
}

/**
 * An in-memory catalog of runs (intake-bluesky `BlueskyInMemoryCatalog`, spec §6): entries keyed by RunStart uid
 * in insertion order; only the RunStart is pulled from an ingestor until a run is opened.
 */
export class InMemoryCatalog {
  private readonly entries: Map<string, CatalogEntry>;
  private readonly query: Query | undefined;
  private readonly matches: ((doc: unknown) => boolean) | undefined;

  /** @param query only runs whose RunStart matches are kept (see {@link search}). */
  constructor(query?: Query, entries?: Map<string, CatalogEntry>) {
    this.query = query;
    this.matches = query ? compileQuery(query) : undefined;
    this.entries = entries ?? new Map();
  }

  /**
   * Add or replace (same uid, same position) a run produced by `ingestor(...args)`. Pulls only the first pair
   * unless `options.start` is given. Returns false when the catalog's query rejects the run.
   * @throws DocModelError `DOCS_NO_START` when the first pair is not `start`
   */
  async upsert<A extends unknown[]>(ingestor: Ingestor<A>, args?: A, options: UpsertOptions = {}): Promise<boolean> {
    const callArgs = (args ?? []) as unknown as A;
    let start = options.start;
    if (!start) {
      const first = await firstPair(ingestor(...callArgs) as DocumentStream);
      if (first?.[0] !== "start") {
        throw new DocModelError(
          "DOCS_NO_START",
          `docmodel: expected a generator of (name, doc) pairs where the first entry was ('start', {...}), got ${first ? `'${first[0]}'` : "nothing"}`,
          { documentName: first?.[0] },
        );
      }
      start = first[1];
    }
    return this.upsertKnown(start, options.stop ?? null, ingestor, callArgs);
  }

  /**
   * Synchronous upsert when the RunStart (and possibly RunStop) are already known (databroker 1.x
   * `upsert(start, stop, gen, args)`). Returns false when the catalog's query rejects the run.
   */
  upsertKnown<A extends unknown[]>(start: RunStart, stop: RunStop | null, ingestor: Ingestor<A>, args: A): boolean {
    if (this.matches && !this.matches(start)) return false;
    this.entries.set(start.uid, { uid: start.uid, start, stop, ingestor: ingestor as Ingestor<any[]>, args });
    return true;
  }

  /** Number of runs. */
  get size(): number {
    return this.entries.size;
  }

  /** Run uids in insertion order. */
  uids(): string[] {
    return [...this.entries.keys()];
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this.entries.keys();
  }

  /** All entries in insertion order. */
  list(): CatalogEntry[] {
    return [...this.entries.values()];
  }

  /**
   * Find an entry (spec §6.1): a JS number N < 0 → the |N|-th most recent run by `start.time`; N ≥ 0 → the most
   * recent run with `scan_id` N; a string → exact uid, else a unique uid prefix. (Upstream also parses numeric
   * strings as integers; here only JS numbers count.)
   * @throws DocModelError `DOCS_RUN_NOT_FOUND`, `DOCS_AMBIGUOUS_KEY` (several uids share the prefix)
   */
  entry(key: string | number): CatalogEntry {
    if (typeof key === "number") {
      const byTime = [...this.entries.values()].sort((a, b) => a.start.time - b.start.time);
      if (key < 0) {
        const e = byTime[byTime.length + key];
        if (!e) throw new DocModelError("DOCS_RUN_NOT_FOUND", `docmodel: catalog has ${byTime.length} runs, no index ${key}`);
        return e;
      }
      for (let i = byTime.length - 1; i >= 0; i--) if ((byTime[i] as CatalogEntry).start.scan_id === key) return byTime[i] as CatalogEntry;
      throw new DocModelError("DOCS_RUN_NOT_FOUND", `docmodel: no run with scan_id=${key}`);
    }
    const exact = this.entries.get(key);
    if (exact) return exact;
    const hits = [...this.entries.keys()].filter((u) => u.startsWith(key));
    if (hits.length === 1) return this.entries.get(hits[0] as string) as CatalogEntry;
    if (hits.length === 0) throw new DocModelError("DOCS_RUN_NOT_FOUND", `docmodel: no run with uid or uid prefix ${JSON.stringify(key)}`);
    throw new DocModelError(
      "DOCS_AMBIGUOUS_KEY",
      `docmodel: uid prefix ${JSON.stringify(key)} matches ${hits.length} runs: ${hits.join(", ")}`,
    );
  }

  /**
   * Open a run: call its ingestor again and consume all documents (the entry's `stop` is updated).
   * @throws DocModelError lookup errors of {@link entry}, `DOCS_NO_START`
   */
  async run(key: string | number): Promise<BlueskyRun> {
    const e = this.entry(key);
    const loader = (e.ingestor as { [RUN_LOADER]?: (...args: unknown[]) => BlueskyRun | Promise<BlueskyRun> })[RUN_LOADER];
    const run = loader ? await loader(...e.args) : await loadRun(e.ingestor(...e.args));
    e.stop = run.stop;
    return run;
  }

  /** A new catalog restricted to runs whose RunStart matches `query` (nested with this catalog's query by `$and`). */
  search(query: Query): InMemoryCatalog {
    const combined = this.query ? { $and: [this.query, query] } : query;
    const match = compileQuery(combined);
    const entries = new Map<string, CatalogEntry>();
    for (const [uid, e] of this.entries) if (match(e.start)) entries.set(uid, e);
    return new InMemoryCatalog(combined, entries);
  }
}
