/**
 * Crash-safe in-place modification of a file (Node only): an undo journal.
 *
 * Before any byte of the file's original contents is overwritten, the old bytes of that range are
 * appended to a journal file beside it (`.NAME.daqkit-journal`) and the journal is fsynced; writes
 * that only extend the file past its original length need no saved bytes (truncating undoes them).
 * {@link UndoJournal.commit} fsyncs the file and deletes the journal (the commit point);
 * {@link UndoJournal.rollback} — or {@link recoverUndoJournal} after a crash — writes the saved bytes
 * back, truncates the file to its original length and deletes the journal. Killed at any point, the
 * file therefore ends up with its old or its new contents once the journal is recovered, never torn.
 *
 * The journal does not keep other processes out: callers hold the file's write lock
 * ({@link tryAcquireFileLock}) for the whole session and recover a leftover journal only while
 * holding it. {@link registerReader} / {@link liveReaders} let readers announce themselves so a
 * writer can choose a copy-and-rename instead of modifying a file someone is reading.
 *
 * Journal format (little-endian): header `DQKJRNL1`, u64 original length, u64 device, u64 inode,
 * u32 CRC-32 of the preceding 32 bytes; then records `u64 offset, u32 length, u32 CRC-32 of
 * (offset, length, data), data`. A torn record at the end was never fsynced, so the write it guards
 * never happened: recovery stops there. A journal without a complete header guarded no write.
 */
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  readdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { processAlive } from "./atomic-file.js";
import { IoError } from "./errors.js";

const MAGIC = "DQKJRNL1";
const HEADER_BYTES = 36;
const RECORD_HEAD = 16;

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (crcTable[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** The journal file used for `path`: `.NAME.daqkit-journal` beside it. */
export function journalPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.daqkit-journal`);
}

function fail(what: string, path: string, error: unknown): IoError {
  return new IoError("IO_FAILED", `io: ${path}: ${what}: ${(error as Error).message ?? String(error)}`, { path, cause: error });
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // some filesystems refuse fsync on directories; the file fsyncs still hold
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function readFully(fd: number, buf: Uint8Array, position: number): number {
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

function writeFully(fd: number, buf: Uint8Array, position: number | null): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position === null ? null : position + done);
}

/** An open undo journal of one file; see the module comment. */
export interface UndoJournal {
  /** The guarded file. */
  readonly path: string;
  /** The journal file. */
  readonly journalPath: string;
  /** Length of the file when the journal was started. */
  readonly originalLength: number;
  /** Bytes of original contents saved so far (what the journal costs beyond its header). */
  readonly savedBytes: number;
  /**
   * Call before writing `length` bytes at `offset` of the file: saves the original bytes of the part
   * of the range below the original length not saved before, and fsyncs the journal.
   */
  beforeWrite(offset: number, length: number): void;
  /** Call before truncating the file to `length` bytes (saves the original bytes it would drop). */
  beforeTruncate(length: number): void;
  /** fsync the file, delete the journal (the commit point). */
  commit(): void;
  /** Restore the original contents and length, delete the journal. */
  rollback(): void;
}

/**
 * Start an undo journal for the existing file `path` (hold its write lock; a leftover journal must
 * have been recovered with {@link recoverUndoJournal} first). The journal is durable before this
 * returns, so the file may be modified from then on — through {@link UndoJournal.beforeWrite} only.
 *
 * @throws IoError `IO_FAILED` (journal cannot be created, or one already exists).
 */
export function beginUndoJournal(path: string): UndoJournal {
  const journalPath = journalPathFor(path);
  let target: number;
  try {
    target = openSync(path, "r");
  } catch (error) {
    throw fail("cannot open the file to journal it", path, error);
  }
  let jfd: number;
  try {
    jfd = openSync(journalPath, "wx");
  } catch (error) {
    closeSync(target);
    throw fail("cannot create the undo journal", journalPath, error);
  }
  const st = fstatSync(target, { bigint: true });
  const originalLength = Number(st.size);
  try {
    const head = new Uint8Array(HEADER_BYTES);
    const view = new DataView(head.buffer);
    head.set(new TextEncoder().encode(MAGIC), 0);
    view.setBigUint64(8, BigInt(originalLength), true);
    view.setBigUint64(16, st.dev, true);
    view.setBigUint64(24, st.ino, true);
    view.setUint32(32, crc32(head.subarray(0, 32)), true);
    writeFully(jfd, head, 0);
    fsyncSync(jfd);
    fsyncDir(dirname(resolve(journalPath)));
  } catch (error) {
    closeSync(jfd);
    closeSync(target);
    rmSync(journalPath, { force: true });
    throw fail("cannot write the undo journal", journalPath, error);
  }
  // Saved ranges of original bytes, sorted and disjoint [start, end).
  const saved: [number, number][] = [];
  let savedBytes = 0;
  let tail = HEADER_BYTES;
  let open = true;

  const unsaved = (start: number, end: number): [number, number][] => {
    const out: [number, number][] = [];
    let at = start;
    for (const [s, e] of saved) {
      if (e <= at) continue;
      if (s >= end) break;
      if (s > at) out.push([at, s]);
      at = Math.max(at, e);
      if (at >= end) break;
    }
    if (at < end) out.push([at, end]);
    return out;
  };
  const markSaved = (start: number, end: number): void => {
    saved.push([start, end]);
    saved.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const r of saved) {
      const last = merged[merged.length - 1];
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    saved.splice(0, saved.length, ...merged);
  };
  const save = (start: number, end: number): void => {
    if (!open) throw new IoError("IO_FAILED", `io: ${journalPath}: the undo journal is closed`, { path: journalPath });
    const lo = Math.max(0, start);
    const hi = Math.min(end, originalLength);
    if (hi <= lo) return;
    const parts = unsaved(lo, hi);
    if (parts.length === 0) return;
    try {
      for (const [s, e] of parts) {
        const rec = new Uint8Array(RECORD_HEAD + (e - s));
        const view = new DataView(rec.buffer);
        view.setBigUint64(0, BigInt(s), true);
        view.setUint32(8, e - s, true);
        const got = readFully(target, rec.subarray(RECORD_HEAD), s);
        if (got !== e - s) throw new Error(`short read of ${e - s} bytes at ${s} (got ${got})`);
        view.setUint32(12, crc32(rec.subarray(RECORD_HEAD), crc32(rec.subarray(0, 12))), true);
        writeFully(jfd, rec, tail);
        tail += rec.length;
        savedBytes += e - s;
        markSaved(s, e);
      }
      fsyncSync(jfd);
    } catch (error) {
      throw fail("cannot save original bytes to the undo journal (the write is refused)", journalPath, error);
    }
  };
  const finish = (): void => {
    open = false;
    closeSync(jfd);
    closeSync(target);
  };
  return {
    path,
    journalPath,
    originalLength,
    get savedBytes() {
      return savedBytes;
    },
    beforeWrite(offset, length) {
      save(offset, offset + length);
    },
    beforeTruncate(length) {
      save(length, originalLength);
    },
    commit() {
      if (!open) return;
      try {
        const fd = openSync(path, "r+");
        try {
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      } catch (error) {
        throw fail("cannot fsync the file before committing", path, error);
      }
      finish();
      rmSync(journalPath, { force: true });
      fsyncDir(dirname(resolve(journalPath)));
    },
    rollback() {
      if (!open) return;
      finish();
      recoverUndoJournal(path);
    },
  };
}

/** What {@link recoverUndoJournal} did. */
export interface UndoRecovery {
  /** `"none"`: no journal; `"rolled-back"`: original contents restored; `"discarded"`: the journal guarded no write (incomplete header, or it belongs to another file at that path). */
  readonly action: "none" | "rolled-back" | "discarded";
  /** Saved ranges written back. */
  readonly ranges: number;
}

/**
 * Roll back a journal left by a writer that did not finish (call while holding the file's write
 * lock, so the writer is known to be gone): the saved original bytes are written back, the file is
 * truncated to its original length, and the journal is deleted. Idempotent (a recovery interrupted
 * in turn is simply redone).
 *
 * @throws IoError `IO_FAILED` (the file or journal cannot be read or written).
 */
export function recoverUndoJournal(path: string): UndoRecovery {
  const journalPath = journalPathFor(path);
  let jfd: number;
  try {
    jfd = openSync(journalPath, "r");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return { action: "none", ranges: 0 };
    throw fail("cannot open the undo journal", journalPath, error);
  }
  let ranges = 0;
  let action: UndoRecovery["action"] = "discarded";
  try {
    const head = new Uint8Array(HEADER_BYTES);
    const headOk =
      readFully(jfd, head, 0) === HEADER_BYTES &&
      new TextDecoder().decode(head.subarray(0, 8)) === MAGIC &&
      new DataView(head.buffer).getUint32(32, true) === crc32(head.subarray(0, 32));
    let target: number | undefined;
    if (headOk) {
      try {
        target = openSync(path, "r+");
      } catch (error) {
        if ((error as { code?: string }).code !== "ENOENT") throw fail("cannot open the file to roll back its undo journal", path, error);
      }
    }
    if (target !== undefined) {
      try {
        const view = new DataView(head.buffer);
        const st = fstatSync(target, { bigint: true });
        // Another file was put at that path (e.g. renamed over it): the journal is not about it.
        if (st.dev === view.getBigUint64(16, true) && st.ino === view.getBigUint64(24, true)) {
          const originalLength = Number(view.getBigUint64(8, true));
          const jsize = fstatSync(jfd).size;
          let at = HEADER_BYTES;
          const rh = new Uint8Array(RECORD_HEAD);
          const rv = new DataView(rh.buffer);
          while (at + RECORD_HEAD <= jsize) {
            if (readFully(jfd, rh, at) !== RECORD_HEAD) break;
            const offset = Number(rv.getBigUint64(0, true));
            const length = rv.getUint32(8, true);
            if (at + RECORD_HEAD + length > jsize) break; // torn: never fsynced, its write never ran
            const data = new Uint8Array(length);
            if (readFully(jfd, data, at + RECORD_HEAD) !== length) break;
            if (crc32(data, crc32(rh.subarray(0, 12))) !== rv.getUint32(12, true)) break;
            writeFully(target, data, offset);
            ranges++;
            at += RECORD_HEAD + length;
          }
          ftruncateSync(target, originalLength);
          fsyncSync(target);
          action = "rolled-back";
        }
      } catch (error) {
        throw error instanceof IoError ? error : fail("rolling back the undo journal failed", path, error);
      } finally {
        closeSync(target);
      }
    }
  } finally {
    closeSync(jfd);
  }
  rmSync(journalPath, { force: true });
  fsyncDir(dirname(resolve(journalPath)));
  return { action, ranges };
}

/** True when `path` has an undo journal beside it (a writer is modifying it, or one died doing so). */
export function hasUndoJournal(path: string): boolean {
  // No exception for the usual "no journal" (every path-based LH5 open asks).
  try {
    return statSync(journalPathFor(path), { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

const READER_TAG = ".daqkit-reader.";

/** A registered reader; {@link ReaderMark.release} it when the file is closed. */
export interface ReaderMark {
  readonly markPath: string;
  release(): void;
}

/**
 * Announce that this process reads `path`: creates `.NAME.daqkit-reader.PID.HOST.RANDOM` beside it
 * (`undefined` when the directory is not writable: the reader then goes unannounced). A writer that
 * sees a live reader ({@link liveReaders}) must not modify the file in place.
 */
export function registerReader(path: string): ReaderMark | undefined {
  const rand = Math.random().toString(36).slice(2, 10);
  const host = hostname().replace(/[^A-Za-z0-9-]/g, "_");
  const markPath = join(dirname(path), `.${basename(path)}${READER_TAG}${process.pid}.${host}.${rand}`);
  try {
    closeSync(openSync(markPath, "wx"));
  } catch {
    return undefined;
  }
  let held = true;
  return {
    markPath,
    release() {
      if (!held) return;
      held = false;
      try {
        unlinkSync(markPath);
      } catch {
        // already gone (removed as stale by a writer that judged this process dead)
      }
    },
  };
}

/**
 * The number of live readers of `path` announced with {@link registerReader} (markers of dead
 * processes on this host are removed; readers on other hosts count as live).
 */
export function liveReaders(path: string): number {
  const prefix = `.${basename(path)}${READER_TAG}`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return 0;
  }
  const here = hostname().replace(/[^A-Za-z0-9-]/g, "_");
  let n = 0;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)\.(.+)\.[0-9a-z]+$/.exec(name.slice(prefix.length));
    if (m && m[2] === here && !processAlive(Number(m[1]))) {
      rmSync(join(dirname(path), name), { force: true });
      continue;
    }
    n++;
  }
  return n;
}

/**
 * The writes of an Emscripten file system (h5wasm's `FS` with NODERAWFS), structurally: the calls
 * every file write and truncation of the HDF5 library goes through.
 */
export interface EmscriptenFsLike {
  write(
    stream: { path?: string; position?: number },
    buffer: ArrayBufferView,
    offset: number,
    length: number,
    position?: number,
    canOwn?: boolean,
  ): number;
  ftruncate(fd: number, length: number): void;
  truncate(path: string, length: number): void;
  getStream?(fd: number): { path?: string } | null | undefined;
  getStreamChecked?(fd: number): { path?: string };
}

const guarded = new WeakMap<object, Map<string, UndoJournal>>();

/**
 * Route the writes of `fs` (h5wasm's `FS` under NODERAWFS) to `journal.path` through the journal:
 * every `write` into the file's original bytes first saves them, `ftruncate`/`truncate` first save
 * what they would cut. Returns the function that removes the guard (call it after the HDF5 file is
 * closed). Writes to other files pass through untouched.
 */
export function guardEmscriptenWrites(fs: EmscriptenFsLike, journal: UndoJournal): () => void {
  let map = guarded.get(fs);
  if (!map) {
    map = new Map();
    guarded.set(fs, map);
    const files = map;
    const write = fs.write.bind(fs);
    const ftruncate = fs.ftruncate.bind(fs);
    const truncate = fs.truncate.bind(fs);
    const journalOf = (p: string | undefined): UndoJournal | undefined =>
      p === undefined || files.size === 0 ? undefined : files.get(resolve(p));
    fs.write = (stream, buffer, offset, length, position, canOwn) => {
      const j = journalOf(stream.path);
      if (j) j.beforeWrite(position ?? stream.position ?? 0, length);
      return write(stream, buffer, offset, length, position, canOwn);
    };
    fs.ftruncate = (fd, length) => {
      if (files.size > 0) {
        const stream = fs.getStreamChecked ? fs.getStreamChecked(fd) : fs.getStream?.(fd);
        journalOf(stream?.path ?? undefined)?.beforeTruncate(length);
      }
      ftruncate(fd, length);
    };
    fs.truncate = (p, length) => {
      journalOf(p)?.beforeTruncate(length);
      truncate(p, length);
    };
  }
  const key = resolve(journal.path);
  if (map.has(key))
    throw new IoError("IO_BAD_ARGUMENT", `io: ${journal.path}: writes to this file are already journaled`, { path: journal.path });
  map.set(key, journal);
  const files = map;
  return () => {
    if (files.get(key) === journal) files.delete(key);
  };
}
