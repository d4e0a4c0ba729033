/**
 * Atomic file output (Node only): write under a temporary name in the same directory, fsync,
 * rename over the final name, fsync the directory. On any failure — including a source that
 * throws half way — the temporary is removed and nothing appears under the final name (an existing
 * file there is left as it was).
 *
 * One temporary naming scheme for all of daqkit: `.NAME.daqkit-PID-HOST-RANDOM.tmp` beside `NAME`
 * (`HOST` a short tag of the host name), so a temporary names its final file and its writer. The
 * next writer of the same final name removes the temporaries of that name left by dead writers
 * (same host, process no longer alive); a live writer's temporary is never touched.
 */
// Only node:fs, node:os and node:path, which every Node-only module of the format packages imports already.
import { promises as fs } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { IoError } from "./errors.js";
import { type ByteSink, pipeToSink } from "./sink.js";

type FileHandle = fs.FileHandle;
const { link, open, readdir, rename, rm } = fs;

/** Longest final-name part kept verbatim in a temporary name (the rest is hashed; NAME_MAX is 255). */
const MAX_NAME_PART = 160;

function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

let hostTagCache: string | undefined;
/** A short tag of this host's name (temporaries of other hosts are never cleaned up). */
function hostTag(): string {
  hostTagCache ??= fnv1a(hostname()).padStart(7, "0").slice(-7);
  return hostTagCache;
}

/** The final-name part of a temporary name: the name itself, or a prefix plus a hash when long. */
function namePart(name: string): string {
  return name.length <= MAX_NAME_PART ? name : `${name.slice(0, MAX_NAME_PART - 10)}~${fnv1a(name)}`;
}

function randomTag(): string {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => (b % 36).toString(36)).join("");
}

/**
 * A fresh temporary path for `path`: `.NAME.daqkit-PID-HOST-RANDOM.tmp` in the same directory (so
 * the final rename is atomic). Works for files and for directories.
 */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${namePart(basename(path))}.daqkit-${process.pid}-${hostTag()}-${randomTag()}.tmp`);
}

/** What a daqkit temporary name says about its writer. */
export interface TemporaryNameInfo {
  /** The final-name part (the final name, or its prefix and hash when long). */
  readonly namePart: string;
  /** Process id of the writer. */
  readonly pid: number;
  /** Host tag of the writer. */
  readonly host: string;
}

const TEMP_NAME = /^\.(.+)\.daqkit-(\d+)-([0-9a-z]+)-([0-9a-z]+)\.tmp$/;

/** Parse a daqkit temporary file name (`.NAME.daqkit-PID-HOST-RANDOM.tmp`), or `null` for any other name. */
export function parseTemporaryName(name: string): TemporaryNameInfo | null {
  const m = TEMP_NAME.exec(name);
  if (!m) return null;
  return { namePart: m[1] as string, pid: Number(m[2]), host: m[3] as string };
}

/**
 * True when process `pid` exists on this host (a process of another user counts as alive; 0, negative
 * and non-integer pids are never alive). The one liveness check behind every stale-holder decision
 * (temporaries, file locks, undo journals, rawhdf5 write locks, strax scratch folders).
 */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === "EPERM";
  }
}

/** Options of {@link removeStaleTemporaries}. */
export interface StaleTemporaryOptions {
  /**
   * A writer's older temporary scheme, matched against what follows `.NAME.` in an entry's name,
   * with the writer's pid as first capture group (e.g. `/^(\d+)-[0-9a-z]+\.tmp$/` for
   * `.NAME.PID-RANDOM.tmp`). Such names carry no host, so use it only for schemes that existed.
   */
  readonly legacy?: RegExp;
}

/**
 * Remove the temporaries of `path` (files or directories) left by dead writers: same final name,
 * same host, writer process no longer alive. Temporaries of live processes (this one included) and
 * of other hosts are kept. Best effort: an unreadable directory removes nothing.
 * @returns the removed paths
 */
export async function removeStaleTemporaries(path: string, options: StaleTemporaryOptions = {}): Promise<string[]> {
  const dir = dirname(path);
  const part = namePart(basename(path));
  const legacyPrefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const info = parseTemporaryName(name);
    let pid: number;
    if (info) {
      if (info.namePart !== part || info.host !== hostTag()) continue;
      pid = info.pid;
    } else {
      const legacy = options.legacy && name.startsWith(legacyPrefix) ? options.legacy.exec(name.slice(legacyPrefix.length)) : null;
      if (!legacy?.[1]) continue;
      pid = Number(legacy[1]);
    }
    if (pid === process.pid || processAlive(pid)) continue;
    try {
      await rm(join(dir, name), { recursive: true, force: true });
      removed.push(join(dir, name));
    } catch {
      // Another writer removed it first, or it cannot be removed: not this writer's problem.
    }
  }
  return removed;
}

function ioError(path: string, doing: string, error: unknown): IoError {
  if (IoError.isInstance(error)) return error;
  const code = (error as { code?: unknown })?.code;
  const detail = error instanceof Error ? error.message : String(error);
  return new IoError(code === "ENOENT" ? "IO_NOT_FOUND" : "IO_FAILED", `io: ${doing} ${path} failed: ${detail}`, { path, cause: error });
}

/** fsync a directory so a rename in it survives a power cut; not every platform allows it (ignored). */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // EISDIR/EPERM/EINVAL on platforms without directory fsync: the rename is still atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Options of the atomic writers. */
export interface AtomicWriteOptions {
  /** fsync the file before the rename and the directory after it (default true). */
  readonly fsync?: boolean;
  /** File mode of a new file (default 0o666, minus the umask). */
  readonly mode?: number;
  /** Remove stale temporaries of the same final name first (default true). */
  readonly removeStale?: boolean;
  /** An older temporary scheme of this writer to clean up too (see {@link StaleTemporaryOptions.legacy}). */
  readonly legacyTemporary?: RegExp;
  /**
   * Never replace an existing file (default false): the commit links the temporary into place instead of
   * renaming it, and fails with `IO_EXISTS` (temporary removed, the existing file untouched) when `path` exists
   * then — also when another writer got there first. For `openAtomicFile` and `writeFileAtomic`.
   */
  readonly exclusive?: boolean;
}

/**
 * An open atomic output file: a {@link ByteSink} whose {@link AtomicFile.commit} (= `close`)
 * renames the temporary over {@link AtomicFile.path}, and whose {@link AtomicFile.abort} removes it.
 */
export interface AtomicFile extends ByteSink {
  /** The final path. */
  readonly path: string;
  /** The temporary path being written. */
  readonly tempPath: string;
  /** Bytes written so far. */
  readonly bytesWritten: number;
  /** fsync, close and rename into place. Same as `close`. */
  commit(): Promise<void>;
}

function staleOptions(options: AtomicWriteOptions): StaleTemporaryOptions {
  return options.legacyTemporary ? { legacy: options.legacyTemporary } : {};
}

/**
 * Bytes written between two background write-backs of an fsynced atomic file. A large output's data goes to the
 * disk while the writer goes on producing (`fdatasync` on a libuv pool thread, one at a time), so the fsync of
 * the commit waits only for the last part instead of the whole file.
 */
const WRITE_BACK_BYTES = 8 * 1024 * 1024;

class AtomicFileImpl implements AtomicFile {
  #bytes = 0;
  #state: "open" | "committed" | "aborted" = "open";
  /** Bytes written since the last background write-back started. */
  #unsynced = 0;
  /** The background write-back in flight, if any; its failure fails the commit. */
  #writeBack: Promise<unknown> | undefined;
  #writeBackError: unknown;

  constructor(
    readonly path: string,
    readonly tempPath: string,
    private readonly handle: FileHandle,
    private readonly fsync: boolean,
    private readonly exclusive = false,
  ) {}

  get bytesWritten(): number {
    return this.#bytes;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#state !== "open")
      throw new IoError("IO_FAILED", `io: write to ${this.path} after ${this.#state === "committed" ? "commit" : "abort"}`, {
        path: this.path,
      });
    try {
      let at = 0;
      while (at < chunk.byteLength) {
        const { bytesWritten } = await this.handle.write(chunk, at, chunk.byteLength - at);
        at += bytesWritten;
      }
      this.#bytes += chunk.byteLength;
    } catch (error) {
      throw ioError(this.path, "writing", error);
    }
    if (this.fsync) {
      this.#unsynced += chunk.byteLength;
      if (this.#unsynced >= WRITE_BACK_BYTES && this.#writeBack === undefined) {
        this.#unsynced = 0;
        this.#writeBack = this.handle.datasync().then(
          () => {
            this.#writeBack = undefined;
          },
          (error: unknown) => {
            this.#writeBack = undefined;
            this.#writeBackError ??= error;
          },
        );
      }
    }
  }

  async commit(): Promise<void> {
    if (this.#state === "committed") return;
    if (this.#state === "aborted") throw new IoError("IO_FAILED", `io: commit of ${this.path} after abort`, { path: this.path });
    try {
      await this.#writeBack;
      if (this.#writeBackError !== undefined) throw this.#writeBackError;
      if (this.fsync) await this.handle.sync();
      await this.handle.close();
      if (this.exclusive) {
        await link(this.tempPath, this.path);
        await rm(this.tempPath, { force: true });
      } else await rename(this.tempPath, this.path);
      this.#state = "committed";
    } catch (error) {
      await this.abort();
      if ((error as { code?: unknown }).code === "EEXIST") {
        throw new IoError("IO_EXISTS", `io: ${this.path} already exists (an exclusive write never replaces a file)`, {
          path: this.path,
          cause: error,
        });
      }
      throw ioError(this.path, "writing", error);
    }
    if (this.fsync) await syncDirectory(dirname(this.path));
  }

  close(): Promise<void> {
    return this.commit();
  }

  async abort(): Promise<void> {
    if (this.#state !== "open") return;
    this.#state = "aborted";
    await this.#writeBack;
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true }).catch(() => undefined);
  }
}

/**
 * Open an atomic output file for `path` (the directory must exist): write chunks, then `commit()`
 * to rename it into place, or `abort()` to leave nothing. Stale temporaries of `path` left by dead
 * writers are removed first.
 * @throws IoError `IO_NOT_FOUND` (the directory does not exist), `IO_FAILED`
 */
export async function openAtomicFile(path: string, options: AtomicWriteOptions = {}): Promise<AtomicFile> {
  if (options.removeStale !== false) await removeStaleTemporaries(path, staleOptions(options));
  const tmp = temporaryPathFor(path);
  let handle: FileHandle;
  try {
    handle = await open(tmp, "wx", options.mode ?? 0o666);
  } catch (error) {
    throw ioError(path, "creating a temporary for", error);
  }
  return new AtomicFileImpl(path, tmp, handle, options.fsync !== false, options.exclusive === true);
}

/**
 * Write `data` (bytes, text as UTF-8, or chunks from a possibly asynchronous source) to `path`
 * atomically. When the source throws, its error is rethrown and nothing is left under `path`.
 * @returns the number of bytes written
 * @throws IoError `IO_NOT_FOUND`, `IO_FAILED`, or the source's own error
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: AtomicWriteOptions = {},
): Promise<number> {
  const file = await openAtomicFile(path, options);
  const chunks = typeof data === "string" ? [new TextEncoder().encode(data)] : data instanceof Uint8Array ? [data] : data;
  return pipeToSink(chunks, file);
}

/**
 * For writers that write by path (e.g. h5wasm): call `write(tempPath)`, which must create the file
 * (or directory) at `tempPath`; then fsync it and rename it over `path`. When `write` throws, its
 * error is rethrown unchanged and the temporary is removed. Returns what `write` returned.
 * @throws IoError `IO_FAILED` when `write` created nothing or the rename failed
 */
export async function withAtomicPath<T>(
  path: string,
  write: (tempPath: string) => Promise<T> | T,
  options: AtomicWriteOptions = {},
): Promise<T> {
  if (options.removeStale !== false) await removeStaleTemporaries(path, staleOptions(options));
  const tmp = temporaryPathFor(path);
  try {
    const result = await write(tmp);
    let handle: FileHandle | undefined;
    try {
      handle = await open(tmp, "r");
      if (options.fsync !== false)
        await handle.sync().catch((error: unknown) => {
          // A directory cannot be fsynced everywhere; a file can.
          if ((error as { code?: unknown }).code !== "EISDIR") throw error;
        });
    } catch (error) {
      throw ioError(path, "finishing", error);
    } finally {
      await handle?.close().catch(() => undefined);
    }
    try {
      await rename(tmp, path);
    } catch (error) {
      throw ioError(path, "renaming into place", error);
    }
    if (options.fsync !== false) await syncDirectory(dirname(path));
    return result;
  } catch (error) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
}
