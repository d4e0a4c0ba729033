import type { NdArray } from "./ndarray.js";

/*
 * TypeScript shapes of the Event Model documents (v1.24.0; spec docmodel.md §2). Times are Unix epoch
 * **seconds** as floating point numbers. Values inside `data`/`timestamps` may be numbers, strings, booleans,
 * null, nested arrays, typed arrays or {@link NdArray}s.
 */

/** Names of documents in a `(name, doc)` stream. */
export type DocumentName =
  | "start"
  | "descriptor"
  | "event"
  | "event_page"
  | "resource"
  | "datum"
  | "datum_page"
  | "stop"
  | "stream_resource"
  | "stream_datum"
  | "bulk_events"
  | "bulk_datum";

/** Every document name docmodel knows, in schema order. */
export const DOCUMENT_NAMES: readonly DocumentName[] = [
  "start",
  "descriptor",
  "event",
  "event_page",
  "resource",
  "datum",
  "datum_page",
  "stop",
  "stream_resource",
  "stream_datum",
  "bulk_events",
  "bulk_datum",
];

/** A value inside Event `data` (numbers, strings, booleans, null, arrays, typed arrays, N-d arrays). */
export type DataValue = unknown;

/** RunStart (`start`): required `uid`, `time` (epoch s); free metadata (keys without `.`/`/`). */
export interface RunStart {
  uid: string;
  time: number;
  scan_id?: number;
  sample?: Record<string, unknown> | string;
  project?: string;
  group?: string;
  owner?: string;
  data_session?: string;
  data_groups?: string[];
  hints?: { dimensions?: [string[], string][]; [key: string]: unknown };
  [key: string]: unknown;
}

/** Limits of a DataKey (each `{low, high}` or null). */
export interface DataKeyLimits {
  control?: { low: number | null; high: number | null } | null;
  display?: { low: number | null; high: number | null } | null;
  warning?: { low: number | null; high: number | null } | null;
  alarm?: { low: number | null; high: number | null } | null;
  hysteresis?: number | null;
  rds?: { time_difference: number; value_difference: number } | null;
}

/** Description of one Event column (`descriptor.data_keys[name]`). */
export interface DataKey {
  dtype: "string" | "number" | "array" | "boolean" | "integer";
  /** `[]` for scalars; null entries = unknown/variable length. */
  shape: (number | null)[];
  source: string;
  dims?: string[];
  dtype_numpy?: string | [string, string][];
  /** `"FILESTORE:"` (any `^[A-Z]+:?`): the Event holds a datum id; exactly `"STREAM:"`: absent from Events. */
  external?: string;
  units?: string | null;
  precision?: number | null;
  choices?: string[];
  limits?: DataKeyLimits;
  object_name?: string;
  [key: string]: unknown;
}

/** Slowly varying settings of one device. */
export interface Configuration {
  data?: Record<string, unknown>;
  timestamps?: Record<string, unknown>;
  data_keys?: Record<string, DataKey>;
  [key: string]: unknown;
}

/** EventDescriptor (`descriptor`). */
export interface EventDescriptor {
  uid: string;
  time: number;
  run_start: string;
  data_keys: Record<string, DataKey>;
  /** Stream name (readers treat a missing name as `primary`). */
  name?: string;
  configuration?: Record<string, Configuration>;
  object_keys?: Record<string, string[]>;
  object_classes?: Record<string, string>;
  hints?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Event (`event`): one row of a stream. No other keys are allowed. */
export interface Event {
  uid: string;
  time: number;
  descriptor: string;
  /** 1-based position in the stream. */
  seq_num: number;
  data: Record<string, DataValue>;
  timestamps: Record<string, number>;
  /** For external keys: false = `data[key]` is a datum id; a string = the datum id it was filled from. */
  filled?: Record<string, boolean | string>;
}

/**
 * EventPage (`event_page`): N Events of one descriptor in columns. A column is a JS array of per-row values, a
 * typed array, or one {@link NdArray} whose first axis is the row axis.
 */
export interface EventPage {
  uid: string[];
  time: number[] | Float64Array;
  descriptor: string;
  seq_num: number[];
  data: Record<string, unknown[] | NdArray | ArrayLike<unknown>>;
  timestamps: Record<string, unknown[] | NdArray | ArrayLike<unknown>>;
  filled?: Record<string, (boolean | string)[]>;
}

/** RunStop (`stop`). */
export interface RunStop {
  uid: string;
  time: number;
  run_start: string;
  exit_status: "success" | "abort" | "fail";
  reason?: string;
  /** Events per stream name. */
  num_events?: Record<string, number>;
  data_type?: unknown;
  [key: string]: unknown;
}

/** Resource (`resource`): a pointer to an external file. */
export interface Resource {
  uid: string;
  spec: string;
  root: string;
  resource_path: string;
  resource_kwargs: Record<string, unknown>;
  path_semantics?: "posix" | "windows";
  run_start?: string;
}

/** Datum (`datum`): one slice of a Resource. */
export interface Datum {
  datum_id: string;
  resource: string;
  datum_kwargs: Record<string, unknown>;
}

/** DatumPage (`datum_page`): columnar Datum. */
export interface DatumPage {
  datum_id: string[];
  resource: string;
  datum_kwargs: Record<string, unknown[]>;
}

/** StreamResource (experimental upstream; passed through). */
export interface StreamResource {
  uid: string;
  data_key: string;
  mimetype: string;
  uri: string;
  parameters: Record<string, unknown>;
  run_start?: string;
  [key: string]: unknown;
}

/** StreamDatum (experimental upstream; passed through). Ranges are half-open. */
export interface StreamDatum {
  uid: string;
  stream_resource: string;
  descriptor: string;
  indices: { start: number; stop: number };
  seq_nums: { start: number; stop: number };
  [key: string]: unknown;
}

/** Map from document name to its TypeScript type. */
export interface DocumentTypes {
  start: RunStart;
  descriptor: EventDescriptor;
  event: Event;
  event_page: EventPage;
  resource: Resource;
  datum: Datum;
  datum_page: DatumPage;
  stop: RunStop;
  stream_resource: StreamResource;
  stream_datum: StreamDatum;
  bulk_events: Record<string, Event[]>;
  bulk_datum: Record<string, unknown>;
}

/** One `(name, doc)` pair as yielded by ingestors and replays. */
export type DocumentPair = { [K in DocumentName]: readonly [K, DocumentTypes[K]] }[DocumentName];

/** A document stream: sync or async iterable of pairs. */
export type DocumentStream = Iterable<DocumentPair> | AsyncIterable<DocumentPair>;

/**
 * An ingestor (spec §5): any function returning the documents of exactly one run, `start` first; the stream
 * may end without `stop` (partial run).
 */
export type Ingestor<A extends unknown[] = unknown[]> = (...args: A) => DocumentStream;
