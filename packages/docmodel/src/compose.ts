import type {
  Configuration,
  DataKey,
  Datum,
  DatumPage,
  Event,
  EventDescriptor,
  EventPage,
  Resource,
  RunStart,
  RunStop,
  StreamDatum,
  StreamResource,
} from "./documents.js";
import { DocModelError } from "./errors.js";
import { KeyChecker, columnLength } from "./keys.js";
import { validateDocument } from "./validation.js";

/** Node's native Latin-1 slice of a Buffer (makes a flat one-byte string); undefined outside Node. */
const nativeLatin1Slice = (globalThis as { Buffer?: { prototype: { latin1Slice?: (s: number, e: number) => string } } }).Buffer?.prototype
  .latin1Slice;

/** UUIDs' worth of random bytes drawn at once (as Node's `randomUUID()` does). */
const UID_POOL = 128;
let uidPool: Uint8Array | undefined;
let uidPoolAt = 0;
/** The 36 characters of the uid being made (hyphens in place). */
const uidChars = Uint8Array.from("00000000-0000-4000-8000-000000000000", (c) => c.charCodeAt(0));
/** Where the hex digits of each of the 16 bytes go in {@link uidChars}. */
const UID_DIGITS = Uint8Array.of(0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34);
const HEX_DIGITS = Uint8Array.from("0123456789abcdef", (c) => c.charCodeAt(0));

/**
 * A new random UUID4 string (upstream default for every uid), as `crypto.randomUUID()` makes it (lowercase, version 4,
 * RFC 4122 variant, from the platform's CSPRNG). In Node it is made here as one flat string: `randomUUID()` builds
 * its result by concatenating 20 pieces, and writing such a string (every uid of every document an export writes)
 * first copies it into a flat one; making it flat costs less than `randomUUID()` itself (issue 13).
 */
export function newUid(): string {
  if (nativeLatin1Slice === undefined) return globalThis.crypto.randomUUID();
  if (uidPool === undefined || uidPoolAt === uidPool.length) {
    uidPool ??= new Uint8Array(16 * UID_POOL);
    globalThis.crypto.getRandomValues(uidPool);
    uidPoolAt = 0;
  }
  const pool = uidPool;
  const chars = uidChars;
  for (let i = 0; i < 16; i++) {
    let b = pool[uidPoolAt + i] as number;
    if (i === 6) b = (b & 0x0f) | 0x40;
    else if (i === 8) b = (b & 0x3f) | 0x80;
    const at = UID_DIGITS[i] as number;
    chars[at] = HEX_DIGITS[b >> 4] as number;
    chars[at + 1] = HEX_DIGITS[b & 0x0f] as number;
  }
  uidPoolAt += 16;
  return nativeLatin1Slice.call(chars, 0, 36);
}

/** Now as Unix epoch seconds (float). */
export function nowSeconds(): number {
  return Date.now() / 1000;
}

/** Options of {@link composeRun}. */
export interface ComposeRunOptions {
  /** Default: a new UUID4. */
  uid?: string;
  /** Epoch seconds; default now. */
  time?: number;
  /** Extra RunStart fields (must not contain `uid` or `time`). */
  metadata?: Record<string, unknown>;
  /** Schema-check the RunStart (default true). */
  validate?: boolean;
  /** Shared per-stream seq_num counters (stream name → next seq_num); default a new map. */
  eventCounters?: Map<string, number>;
}

/** Options of {@link RunBundle.composeDescriptor}. */
export interface ComposeDescriptorOptions {
  name: string;
  data_keys: Record<string, DataKey>;
  hints?: Record<string, unknown>;
  configuration?: Record<string, Configuration>;
  object_keys?: Record<string, string[]>;
  object_classes?: Record<string, string>;
  time?: number;
  uid?: string;
  validate?: boolean;
}

/** Options of {@link DescriptorBundle.composeEvent}. */
export interface ComposeEventOptions {
  data: Record<string, unknown>;
  timestamps: Record<string, number>;
  /** Default: the stream's counter. The counter becomes `seq_num + 1` afterwards. */
  seq_num?: number;
  filled?: Record<string, boolean | string>;
  uid?: string;
  time?: number;
  validate?: boolean;
}

/** Options of {@link DescriptorBundle.composeEventPage}. All arrays must have the same length N. */
export interface ComposeEventPageOptions {
  data: EventPage["data"];
  timestamps: EventPage["timestamps"];
  /** Default: counter, counter+1, … (N from the first data column). */
  seq_num?: number[];
  filled?: Record<string, (boolean | string)[]>;
  /** Default: N new UUID4s. */
  uid?: string[];
  /** Default: now, repeated N times. */
  time?: number[] | Float64Array;
  validate?: boolean;
}

/** Options of {@link RunBundle.composeResource}. */
export interface ComposeResourceOptions {
  spec: string;
  root: string;
  resource_path: string;
  resource_kwargs: Record<string, unknown>;
  /** Default `"posix"`. */
  path_semantics?: "posix" | "windows";
  uid?: string;
  validate?: boolean;
}

/** Options of {@link RunBundle.composeStop}. */
export interface ComposeStopOptions {
  exit_status?: "success" | "abort" | "fail";
  reason?: string;
  uid?: string;
  time?: number;
  validate?: boolean;
}

/** Returned by {@link RunBundle.composeDescriptor}. */
export interface DescriptorBundle {
  readonly descriptorDoc: EventDescriptor;
  /**
   * Compose one Event. @throws DocModelError `DOCS_SCHEMA_INVALID`, `DOCS_KEYS_MISMATCH` (validate only)
   */
  composeEvent(options: ComposeEventOptions): Event;
  /**
   * Compose an EventPage. @throws DocModelError `DOCS_EMPTY_PAGE`, `DOCS_LENGTH_MISMATCH` (always),
   *   `DOCS_SCHEMA_INVALID`, `DOCS_KEYS_MISMATCH` (validate only)
   */
  composeEventPage(options: ComposeEventPageOptions): EventPage;
}

/** Returned by {@link RunBundle.composeResource} / {@link composeResource}. */
export interface ResourceBundle {
  readonly resourceDoc: Resource;
  /** Datum id `"<resource uid>/<n>"`, n from a counter starting at 0 shared with composeDatumPage. */
  composeDatum(options: { datum_kwargs: Record<string, unknown>; validate?: boolean }): Datum;
  /** @throws DocModelError `DOCS_EMPTY_PAGE`, `DOCS_LENGTH_MISMATCH` */
  composeDatumPage(options: { datum_kwargs: Record<string, unknown[]>; validate?: boolean }): DatumPage;
}

/** Returned by {@link composeRun}. */
export interface RunBundle {
  readonly startDoc: RunStart;
  /** @throws DocModelError `DOCS_KEYS_MISMATCH` (same stream name, other data keys), `DOCS_SCHEMA_INVALID` */
  composeDescriptor(options: ComposeDescriptorOptions): DescriptorBundle;
  composeResource(options: ComposeResourceOptions): ResourceBundle;
  /** @throws DocModelError `DOCS_STOP_ALREADY_COMPOSED` on a second successful call, `DOCS_SCHEMA_INVALID` */
  composeStop(options?: ComposeStopOptions): RunStop;
  composeStreamResource(options: Omit<StreamResource, "uid" | "run_start"> & { uid?: string; validate?: boolean }): {
    streamResourceDoc: StreamResource;
    composeStreamDatum(options: {
      descriptor: string;
      indices: { start: number; stop: number };
      seq_nums?: { start: number; stop: number };
      uid?: string;
      validate?: boolean;
    }): StreamDatum;
  };
}

function sameKeySet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((k) => s.has(k));
}

/**
 * Compose a RunStart and return closures sharing the run's state (upstream `compose_run`, spec §3): per-stream
 * seq_num counters, the data keys of each stream, and a "stop composed" flag (set only after success).
 * @throws DocModelError `DOCS_BAD_ARGUMENT` when `metadata` has `uid`/`time`, `DOCS_SCHEMA_INVALID`
 */
export function composeRun(options: ComposeRunOptions = {}): RunBundle {
  const metadata = options.metadata ?? {};
  for (const k of ["uid", "time"]) {
    if (k in metadata) {
      throw new DocModelError("DOCS_BAD_ARGUMENT", `docmodel: composeRun: pass ${k} as an option, not inside metadata`);
    }
  }
  const startDoc: RunStart = { uid: options.uid ?? newUid(), time: options.time ?? nowSeconds(), ...metadata };
  if (options.validate ?? true) validateDocument("start", startDoc);
  const counters = options.eventCounters ?? new Map<string, number>();
  const streams = new Map<string, string[]>();
  let stopComposed = false;

  const composeDescriptor = (o: ComposeDescriptorOptions): DescriptorBundle => {
    const validate = o.validate ?? true;
    const keys = Object.keys(o.data_keys);
    const previous = streams.get(o.name);
    if (validate && previous && !sameKeySet(previous, keys)) {
      throw new DocModelError(
        "DOCS_KEYS_MISMATCH",
        `docmodel: all descriptors in stream ${JSON.stringify(o.name)} must have the same data_keys: had [${previous.join(", ")}], got [${keys.join(", ")}]`,
        {
          documentName: "descriptor",
          missing: previous.filter((k) => !keys.includes(k)),
          extra: keys.filter((k) => !previous.includes(k)),
        },
      );
    }
    const descriptorDoc: EventDescriptor = {
      configuration: o.configuration ?? {},
      data_keys: o.data_keys,
      name: o.name,
      object_keys: o.object_keys ?? {},
      run_start: startDoc.uid,
      time: o.time ?? nowSeconds(),
      uid: o.uid ?? newUid(),
      object_classes: o.object_classes ?? {},
      hints: o.hints ?? {},
    };
    if (validate) validateDocument("descriptor", descriptorDoc);
    if (!previous) {
      streams.set(o.name, keys);
      counters.set(o.name, 1);
    }
    return descriptorBundle(descriptorDoc, o.name, counters);
  };

  const composeStop = (o: ComposeStopOptions = {}): RunStop => {
    if (stopComposed) {
      throw new DocModelError("DOCS_STOP_ALREADY_COMPOSED", `docmodel: already composed a RunStop document for run '${startDoc.uid}'`, {
        documentName: "stop",
      });
    }
    const num_events: Record<string, number> = {};
    for (const name of streams.keys()) num_events[name] = (counters.get(name) ?? 1) - 1;
    const doc: RunStop = {
      run_start: startDoc.uid,
      time: o.time ?? nowSeconds(),
      uid: o.uid ?? newUid(),
      exit_status: o.exit_status ?? "success",
      reason: o.reason ?? "",
      num_events,
    };
    if (o.validate ?? true) validateDocument("stop", doc);
    stopComposed = true;
    return doc;
  };

  return {
    startDoc,
    composeDescriptor,
    composeResource: (o) => composeResource(o, startDoc.uid),
    composeStop,
    composeStreamResource(o) {
      const { uid, validate, ...rest } = o;
      const streamResourceDoc = { ...rest, uid: uid ?? newUid(), run_start: startDoc.uid } as StreamResource;
      if (validate ?? true) validateDocument("stream_resource", streamResourceDoc);
      return {
        streamResourceDoc,
        composeStreamDatum(d) {
          const doc: StreamDatum = {
            uid: d.uid ?? newUid(),
            stream_resource: streamResourceDoc.uid,
            descriptor: d.descriptor,
            indices: d.indices,
            seq_nums: d.seq_nums ?? { start: 0, stop: 0 },
          };
          if (d.validate ?? true) validateDocument("stream_datum", doc);
          return doc;
        },
      };
    },
  };
}

function descriptorBundle(descriptorDoc: EventDescriptor, stream: string, counters: Map<string, number>): DescriptorBundle {
  const checker = new KeyChecker(descriptorDoc);
  const descriptorUid = descriptorDoc.uid;
  return {
    descriptorDoc,
    composeEvent(o) {
      const seq_num = o.seq_num ?? counters.get(stream) ?? 1;
      const doc: Event = {
        uid: o.uid ?? newUid(),
        time: o.time ?? nowSeconds(),
        data: o.data,
        timestamps: o.timestamps,
        seq_num,
        filled: o.filled ?? {},
        descriptor: descriptorUid,
      };
      if (o.validate ?? true) {
        validateDocument("event", doc);
        checker.check(o.data, o.timestamps, doc.filled, "event");
      }
      counters.set(stream, seq_num + 1);
      return doc;
    },
    composeEventPage(o) {
      const dataKeys = Object.keys(o.data);
      if (dataKeys.length === 0 && o.seq_num === undefined) {
        throw new DocModelError("DOCS_EMPTY_PAGE", "docmodel: composeEventPage needs at least one data column (or seq_num)", {
          documentName: "event_page",
        });
      }
      const n = o.seq_num ? o.seq_num.length : columnLength(o.data[dataKeys[0] as string]);
      const counter = counters.get(stream) ?? 1;
      const seq_num = o.seq_num ?? Array.from({ length: n }, (_, i) => counter + i);
      const now = nowSeconds();
      const time = o.time ?? new Array<number>(n).fill(now);
      const uid = o.uid ?? Array.from({ length: n }, newUid);
      const filled = o.filled ?? {};
      checkLengths("event_page", n, { uid, time, seq_num }, { data: o.data, timestamps: o.timestamps, filled });
      const doc: EventPage = { uid, time, data: o.data, timestamps: o.timestamps, seq_num, filled, descriptor: descriptorUid };
      if (o.validate ?? true) {
        validateDocument("event_page", doc);
        checker.check(o.data, o.timestamps, filled, "event_page");
      }
      counters.set(stream, counter + seq_num.length);
      return doc;
    },
  };
}

/** Every row array and every column of a page must have length `n` (spec §3.4: docmodel checks all). */
export function checkLengths(
  what: string,
  n: number,
  rows: Record<string, unknown>,
  columnMaps: Record<string, Record<string, unknown> | undefined>,
): void {
  const bad = (field: string, len: number): never => {
    throw new DocModelError("DOCS_LENGTH_MISMATCH", `docmodel: ${what}: ${field} has length ${len}, expected ${n}`, { documentName: what });
  };
  for (const [field, v] of Object.entries(rows)) {
    const len = columnLength(v);
    if (len !== n) bad(field, len);
  }
  for (const [field, map] of Object.entries(columnMaps)) {
    if (!map) continue;
    for (const k in map) {
      const len = columnLength(map[k]);
      if (len !== n) bad(`${field}.${k}`, len);
    }
  }
}

/**
 * Compose a Resource and its datum closures (also usable without a run: `run_start` is then omitted).
 * @throws DocModelError `DOCS_SCHEMA_INVALID`
 */
export function composeResource(o: ComposeResourceOptions, runStart?: string): ResourceBundle {
  const resourceDoc: Resource = {
    path_semantics: o.path_semantics ?? "posix",
    uid: o.uid ?? newUid(),
    spec: o.spec,
    root: o.root,
    resource_kwargs: o.resource_kwargs,
    resource_path: o.resource_path,
  };
  if (runStart !== undefined) resourceDoc.run_start = runStart;
  if (o.validate ?? true) validateDocument("resource", resourceDoc);
  let counter = 0;
  return {
    resourceDoc,
    composeDatum(d) {
      const doc: Datum = { resource: resourceDoc.uid, datum_kwargs: d.datum_kwargs, datum_id: `${resourceDoc.uid}/${counter}` };
      if (d.validate ?? true) validateDocument("datum", doc);
      counter++;
      return doc;
    },
    composeDatumPage(d) {
      const keys = Object.keys(d.datum_kwargs);
      if (keys.length === 0) {
        throw new DocModelError("DOCS_EMPTY_PAGE", "docmodel: composeDatumPage needs at least one datum_kwargs column", {
          documentName: "datum_page",
        });
      }
      const n = columnLength(d.datum_kwargs[keys[0] as string]);
      checkLengths("datum_page", n, {}, { datum_kwargs: d.datum_kwargs });
      const datum_id = Array.from({ length: n }, (_, i) => `${resourceDoc.uid}/${counter + i}`);
      const doc: DatumPage = { resource: resourceDoc.uid, datum_id, datum_kwargs: d.datum_kwargs };
      if (d.validate ?? true) validateDocument("datum_page", doc);
      counter += n;
      return doc;
    },
  };
}
