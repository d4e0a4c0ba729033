import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { type AtomicFile, IoError, type SyncFileSource, openAtomicFile, openFileSourceSync } from "@daqkit/io/node";
import { InMemoryCatalog, RUN_LOADER } from "./catalog.js";
import type { DocumentPair, DocumentStream, RunStart, RunStop } from "./documents.js";
import { DocModelError } from "./errors.js";
import type { MsgpackDecoder } from "./msgpack/decoder.js";
import { RecordWindows } from "./msgpack/windows.js";
import { END_OF_INPUT, RecordEncoder, RecordReader, badRecord, decodeRecordWindows } from "./msgpack-records.js";
import { checkStructure } from "./structure.js";
import { type ReopenableSource, loadMsgpackRunSource } from "./msgpack-run-loader.js";
import { type BlueskyRun, loadRunSync } from "./run.js";
import { matchFiles } from "./tiff-node.js";
import { validateDocument } from "./validation.js";

export interface ExportOptions {
  /**
   * File name prefix template filled from the RunStart, `{start[key]}` placeholders (default `"{start[uid]}"`);
   * the file is `<prefix>.msgpack`.
   */
  filePrefix?: string;
  /** Schema-validate every document before writing (default false). */
  validate?: boolean;
  /** Replace an existing file instead of failing with `DOCS_FILE_EXISTS` (default false, as upstream). */
  overwrite?: boolean;
}

/** Result of {@link exportMsgpack}. */
export interface ExportResult {
  path: string;
  uid: string;
  /** Records written per name. */
  counts: Record<string, number>;
  bytes: number;
}

/** Encoded bytes buffered before they are handed to a background write. */
const FLUSH_BYTES = 1 << 20;

/**
 * The temporary naming scheme of exports before @daqkit/io's atomic writer (`.NAME.PID.MILLISECONDS.tmp`): such files
 * left by dead writers are removed too.
 */
const LEGACY_TEMPORARY = /^(\d+)\.\d+\.tmp$/;

/** `fn()`, with @daqkit/io's IO_EXISTS (another writer committed the same file first) as DOCS_FILE_EXISTS. */
async function existsAsDocs<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (IoError.isInstance(e) && e.code === "IO_EXISTS") {
      throw new DocModelError("DOCS_FILE_EXISTS", `docmodel: ${path} already exists (export never overwrites)`, { path, cause: e });
    }
    throw e;
  }
}

function fillPrefix(template: string, start: RunStart): string {
  return template.replace(/\{start\[([^\]]+)\]\}/g, (_, k: string) => String(start[k] ?? ""));
}

/**
 * Export one run to `<dir>/<uid>.msgpack` exactly as suitcase-msgpack writes it (spec §9). The directory is
 * created if missing; the file is written with @daqkit/io's atomic writer (temporary `.NAME.daqkit-….tmp`, fsync,
 * then linked into place — never torn, never clobbering an existing file — or, with `overwrite`, renamed over it;
 * stale temporaries of dead writers of the same file are removed first). Nothing is written before `start`
 * arrives; a stream that fails half way leaves nothing.
 * @throws DocModelError `DOCS_NO_START` (first document not `start`), `DOCS_FILE_EXISTS`, `DOCS_SCHEMA_INVALID`
 *   (with `validate`); IoError `IO_FAILED` when the file cannot be written
 */
export async function exportMsgpack(documents: DocumentStream, dir: string, options: ExportOptions = {}): Promise<ExportResult> {
  const records = new RecordEncoder();
  const enc = records.encoder;
  let file: AtomicFile | null = null;
  let path = "";
  let uid = "";
  let bytes = 0;
  let index = 0;
  // Double buffering: a full buffer is written (on the libuv thread pool) while the next one is encoded; at most one
  // write is in flight, so writes stay in order. `spare` is the buffer not being encoded into.
  let spare: Uint8Array | null = null;
  // Resolves to the write's error (never rejects: a failure must not surface as an unhandled rejection while the
  // loop is still encoding); rethrown at the next await.
  let pending: Promise<unknown> | null = null;
  const settle = async (): Promise<void> => {
    const p = pending;
    pending = null;
    const err = p ? await p : null;
    if (err) throw err;
  };
  const open = async (): Promise<AtomicFile> => {
    file ??= await existsAsDocs(path, () => openAtomicFile(path, { exclusive: !options.overwrite, legacyTemporary: LEGACY_TEMPORARY }));
    return file;
  };
  const flush = async (): Promise<void> => {
    if (enc.pos === 0) return;
    await settle();
    const out = await open();
    const b = enc.bytes();
    bytes += b.length;
    const current = enc.buf;
    pending = out.write(b).then(
      () => null,
      (e: unknown) => e ?? new Error("write failed"),
    );
    // Encode on into the spare buffer (the previous write has finished with it).
    const next: Uint8Array = spare ?? new Uint8Array(current.length);
    spare = current;
    enc.buf = next;
    enc.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
    enc.reset();
  };
  const handle = (name: string, doc: unknown): void => {
    if (!path) {
      if (name !== "start") {
        throw new DocModelError("DOCS_NO_START", `docmodel: export expects 'start' first, got '${name}'`, {
          recordIndex: index,
          documentName: name,
        });
      }
      const start = doc as RunStart;
      uid = start.uid;
      mkdirSync(dir, { recursive: true });
      path = join(dir, `${fillPrefix(options.filePrefix ?? "{start[uid]}", start)}.msgpack`);
      if (existsSync(path) && !options.overwrite) {
        throw new DocModelError("DOCS_FILE_EXISTS", `docmodel: ${path} already exists (export never overwrites)`, { path });
      }
    }
    if (options.validate) validateDocument(name, doc);
    records.write(name, doc);
    index++;
  };
  try {
    // A sync iterable is consumed synchronously (`for await` would cost a promise round trip per document); the
    // loop only awaits when a buffer is full.
    if (Symbol.asyncIterator in documents) {
      for await (const pair of documents as AsyncIterable<DocumentPair>) {
        handle(pair[0], pair[1]);
        if (enc.pos > FLUSH_BYTES) await flush();
      }
    } else {
      for (const pair of documents as Iterable<DocumentPair>) {
        handle(pair[0], pair[1]);
        if (enc.pos > FLUSH_BYTES) await flush();
      }
    }
    if (!path) throw new DocModelError("DOCS_NO_START", "docmodel: export got an empty document stream", { recordIndex: 0 });
    await flush();
    await settle();
    const out = await open();
    await existsAsDocs(path, () => out.commit());
    return { path, uid, counts: { ...records.counts }, bytes };
  } finally {
    // Never abort under an in-flight write; abort is a no-op after a commit.
    const inFlight = pending as Promise<unknown> | null;
    if (inFlight) await inFlight;
    await (file as AtomicFile | null)?.abort();
  }
}

function unreadable(path: string, e: unknown): DocModelError {
  return new DocModelError("DOCS_FILE_UNREADABLE", `msgpack: cannot read ${path}: ${(e as Error).message}`, { path, cause: e });
}

/**
 * Open `path` as a synchronous file source (@daqkit/io), run `fn` over it and close it. Readers go through it in
 * windows of about 1 MiB ({@link RecordWindows}) instead of reading the whole file first. A file that cannot be opened
 * or read (also half way, e.g. when it shrinks) is `DOCS_FILE_UNREADABLE`.
 */
function withFile<T>(path: string, fn: (source: SyncFileSource) => T): T {
  let source: SyncFileSource;
  try {
    source = openFileSourceSync(path);
  } catch (e) {
    throw unreadable(path, e);
  }
  try {
    return fn(source);
  } catch (e) {
    if (IoError.isInstance(e)) throw unreadable(path, e);
    throw e;
  } finally {
    source.closeSync();
  }
}

/**
 * Read all records of a suitcase-msgpack file (an ingestor: `start` first is checked). The file is read in windows
 * as the records are consumed; it stays open until the generator finishes or is closed.
 * @throws DocModelError `DOCS_FILE_UNREADABLE`, `DOCS_NO_START`, and the errors of {@link decodeMsgpackRecords}
 */
export function* readMsgpackFile(path: string, options: { validate?: boolean } = {}): Generator<DocumentPair> {
  let source: SyncFileSource;
  try {
    source = openFileSourceSync(path);
  } catch (e) {
    throw unreadable(path, e);
  }
  try {
    let first = true;
    const records = decodeRecordWindows(new RecordWindows(source), path);
    for (;;) {
      let next: IteratorResult<DocumentPair>;
      try {
        next = records.next();
      } catch (e) {
        if (IoError.isInstance(e)) throw unreadable(path, e);
        throw e;
      }
      if (next.done) return;
      const pair = next.value;
      if (first && pair[0] !== "start") {
        throw new DocModelError("DOCS_NO_START", `msgpack: ${path}: first record is '${pair[0]}', expected 'start'`, {
          path,
          recordIndex: 0,
        });
      }
      first = false;
      if (options.validate) validateDocument(pair[0], pair[1]);
      yield pair;
    }
  } finally {
    source.closeSync();
  }
}

/**
 * Load a suitcase-msgpack file into a {@link BlueskyRun} (fast path: one-row numeric event pages are decoded
 * straight into typed columns; the file is read in windows, never whole). With `validate`, falls back to validating
 * every record.
 * @throws DocModelError as {@link readMsgpackFile}
 */
export function loadMsgpackRun(path: string, options: { validate?: boolean } = {}): BlueskyRun {
  if (options.validate) return loadRunSync(readMsgpackFile(path, options));
  return withFile(path, (source) => loadMsgpackRunSource(source, path, undefined, reopenable(path, source.size)));
}

/**
 * `path` as the loader's re-openable source: lazy pages read it again when their events are used, after checking
 * that its size and modification time are still those it had when the run was loaded.
 */
function reopenable(path: string, size: number): ReopenableSource {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
  } catch (e) {
    throw unreadable(path, e);
  }
  const changed = (): DocModelError =>
    new DocModelError("DOCS_FILE_UNREADABLE", `msgpack: cannot read ${path} again: it changed since the run was loaded`, { path });
  return {
    path,
    open() {
      let source: SyncFileSource;
      try {
        source = openFileSourceSync(path);
      } catch (e) {
        throw unreadable(path, e);
      }
      let same = source.size === size;
      try {
        same &&= statSync(path).mtimeMs === mtimeMs;
      } catch {
        same = false;
      }
      if (!same) {
        source.closeSync();
        throw changed();
      }
      return {
        source: {
          name: source.name,
          size: source.size,
          readIntoSync(offset: number, target: Uint8Array): void {
            try {
              source.readIntoSync(offset, target);
            } catch (e) {
              throw IoError.isInstance(e) ? unreadable(path, e) : e;
            }
          },
        },
        close: () => source.closeSync(),
      };
    },
  };
}

Object.defineProperty(readMsgpackFile, RUN_LOADER, { value: loadMsgpackRun });

/** What indexing a file found. */
export interface MsgpackIndex {
  path: string;
  start: RunStart;
  stop: RunStop | null;
  /** Record names in file order. */
  recordNames: string[];
}

/**
 * Index a file without building its documents: decode the first record (must be `start`) and the first `stop`,
 * skip everything else. Returns null for an empty file ("maybe being written").
 * @throws DocModelError `DOCS_NO_START`, `DOCS_MSGPACK_TRUNCATED`, `DOCS_MSGPACK_BAD_RECORD`, `DOCS_FILE_UNREADABLE`
 */
export function indexMsgpackFile(path: string): MsgpackIndex | null {
  return withFile(path, (source) => {
    if (source.size === 0) return null;
    const w = new RecordWindows(source);
    const reader = new RecordReader(w, path);
    const names: string[] = [];
    let start: RunStart | undefined;
    let stop: RunStop | null = null;
    const visit = (d: MsgpackDecoder): void => {
      const { at, index } = reader;
      const n = d.peekArrayLength();
      if (n !== 2) throw badRecord(path, at, index, n === -1 ? "found a non-array" : `found an array of ${n}`);
      const name = d.decode();
      if (typeof name !== "string") throw badRecord(path, at, index, "name is not a string");
      if (index === 0 || (name === "stop" && stop === null)) {
        const doc = d.decode();
        if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw badRecord(path, at, index, "doc is not a map");
        if (index === 0) {
          if (name !== "start")
            throw new DocModelError("DOCS_NO_START", `msgpack: ${path}: first record is '${name}', expected 'start'`, {
              path,
              recordIndex: 0,
            });
          checkStructure("start", doc, typeof (doc as RunStart).uid === "string" ? (doc as RunStart).uid : "(no uid)");
          start = doc as RunStart;
        } else {
          checkStructure("stop", doc, (start as RunStart).uid);
          stop = doc as RunStop;
        }
      } else d.skip();
      names.push(name);
    };
    while (reader.next(visit) !== END_OF_INPUT);
    w.release(); // (what was decoded is copied out of the window)
    return { path, start: start as RunStart, stop, recordNames: names };
  });
}

/** Options of {@link openMsgpackCatalog}. */
export interface MsgpackCatalogOptions {
  /** Skip files that fail to index (truncated, bad records) instead of throwing; they are listed in `problems`. */
  skipBad?: boolean;
}

/** Result of {@link openMsgpackCatalog}: the catalog plus the files it indexed and those it skipped. */
export interface MsgpackCatalog {
  catalog: InMemoryCatalog;
  files: MsgpackIndex[];
  problems: { path: string; error: DocModelError }[];
}

/**
 * A catalog over `*.msgpack` files (upstream `BlueskyMsgpackCatalog`): `paths` are directories (all
 * `*.msgpack` inside), files, or glob patterns in the last path component (`"native_copies/*.msgpack"`). Each file is indexed (start + stop, other records skipped); opening a run re-reads
 * its file. Empty files are skipped. Runs are identified by the RunStart inside, not by the file name.
 * @throws DocModelError `DOCS_NO_FILES` when a path does not exist, indexing errors unless `skipBad`
 */
export function openMsgpackCatalog(paths: string | string[], options: MsgpackCatalogOptions = {}): MsgpackCatalog {
  const files: string[] = [];
  for (const p of Array.isArray(paths) ? paths : [paths]) {
    if (/[*?[]/.test(basename(p))) {
      // A glob in the last component, as upstream's `BlueskyMsgpackCatalog("native_copies/*.msgpack")`.
      files.push(...matchFiles(p, "msgpack"));
      continue;
    }
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch (e) {
      throw new DocModelError("DOCS_NO_FILES", `msgpack: ${p} does not exist`, { path: p, cause: e });
    }
    if (st.isDirectory()) {
      for (const f of readdirSync(p).sort()) if (f.endsWith(".msgpack") && !f.startsWith(".")) files.push(join(p, f));
    } else files.push(p);
  }
  const catalog = new InMemoryCatalog();
  const indexed: MsgpackIndex[] = [];
  const problems: MsgpackCatalog["problems"] = [];
  for (const f of files) {
    let idx: MsgpackIndex | null;
    try {
      idx = indexMsgpackFile(f);
    } catch (e) {
      if (options.skipBad && DocModelError.isInstance(e)) {
        problems.push({ path: f, error: e });
        continue;
      }
      throw e;
    }
    if (!idx) continue;
    indexed.push(idx);
    catalog.upsertKnown(idx.start, idx.stop, readMsgpackFile, [f]);
  }
  return { catalog, files: indexed, problems };
}
