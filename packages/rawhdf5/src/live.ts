/**
 * Live raw files (spec §6): a long-lived appending writer that flushes the whole file after every
 * batch, and a follower that yields messages as they are appended.
 */
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { File as H5File } from "h5wasm";
import { RawHdf5Error } from "./errors.js";
import { loadH5, withQuietHdf5 } from "./h5/node-runtime.js";
import type { H5Runtime } from "./h5/runtime.js";
import { appendRawBatch, closeQuietly } from "./h5/raw-layout.js";
import { fromRawfile, lenRawfile, type RawfileRetryOptions } from "./from-rawfile.js";
import { parseRawfileVersion } from "./layout.js";
import {
  checkExistingForWrite,
  checkNewFileVersions,
  createRawfileAtomically,
  removeStaleRawTemporaries,
  openForAppend,
  prepareBatch,
  type RawfileHeaderInput,
} from "./to-rawfile.js";

/** Options of {@link openRawfileWriter}. */
export interface RawfileWriterOptions {
  /** File-format version, as for {@link toRawfile}. */
  version?: string | null;
  /** Message-encoding version, as for {@link toRawfile}. */
  ioVersion?: string | null;
}

/**
 * An open raw file in SWMR-write mode. Each {@link RawfileWriter.append} resizes both datasets,
 * writes the rows, updates `meta@modified` and flushes the whole file, so SWMR readers (ours or
 * h5py) that open the file afterwards see every message complete (spec §6.3). Only one writer
 * may hold a file; other writers fail with `RAWHDF5_IO`/`RAWHDF5_UNREADABLE` until it is closed.
 */
export class RawfileWriter {
  readonly path: string;
  #rt: H5Runtime;
  #file: H5File | undefined;
  #version: string;
  #length: number;

  /** @internal use {@link openRawfileWriter} */
  constructor(rt: H5Runtime, path: string, file: H5File, version: string, length: number) {
    this.#rt = rt;
    this.path = path;
    this.#file = file;
    this.#version = version;
    this.#length = length;
  }

  /** Messages in the file. */
  get length(): number {
    return this.#length;
  }

  /**
   * Append one batch (validated completely before anything is written) and flush.
   * @returns the new file length
   * @throws RawHdf5Error the validation codes of {@link toRawfile}, `RAWHDF5_IO`
   */
  append(msgs: readonly Uint8Array[], msgHeaders?: RawfileHeaderInput | null): number {
    const file = this.#file;
    if (!file) throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${this.path}: the writer is closed`, { path: this.path });
    const batch = prepareBatch(msgs, msgHeaders, this.#version, this.path);
    this.#length = withQuietHdf5(this.#rt, (scope) =>
      appendRawBatch(this.#rt, scope, file, this.path, this.#length, batch.msgs, batch.ioGroups, Date.now() / 1000),
    );
    return this.#length;
  }

  /** Close the file. Safe to call more than once. */
  close(): void {
    const file = this.#file;
    this.#file = undefined;
    if (file) withQuietHdf5(this.#rt, () => closeQuietly(file));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}

/**
 * Open (creating if needed) a raw file for repeated appends, in SWMR-write mode.
 * @throws RawHdf5Error as {@link toRawfile}
 */
export async function openRawfileWriter(path: string, options: RawfileWriterOptions = {}): Promise<RawfileWriter> {
  const { version = null, ioVersion = null } = options;
  if (version != null) parseRawfileVersion(version, "requested version", path);
  if (ioVersion != null) parseRawfileVersion(ioVersion, "requested io_version", path);
  const rt = await loadH5();
  if (!existsSync(path)) await removeStaleRawTemporaries(path);
  return withQuietHdf5(rt, (scope) => {
    if (!existsSync(path)) {
      const v = checkNewFileVersions(version, ioVersion, path);
      createRawfileAtomically(rt, scope, path, v, ioVersion, null, Date.now() / 1000);
    }
    const state = checkExistingForWrite(rt, scope, path, version, ioVersion);
    const file = openForAppend(rt, scope, path, state.length);
    return new RawfileWriter(rt, path, file, state.version, state.length);
  });
}

/** One batch yielded by {@link followRawfile}. */
export interface FollowBatch {
  /** File row of `msgs[0]`. */
  start: number;
  msgs: Uint8Array[];
  ioGroups: Uint8Array;
}

/** Options of {@link followRawfile}. */
export interface FollowRawfileOptions extends RawfileRetryOptions {
  /** First row to yield (negative: from the end at the time of the first look). Default 0. */
  start?: number;
  /** Pause between polls when there is nothing new, ms. Default 200. */
  pollMs?: number;
  /** Most messages per yielded batch. Default 100 000. */
  batchMessages?: number;
  /** Stop when no new message arrived for this long, ms. Default: never. */
  idleTimeoutMs?: number;
  /** Wait for the file to appear instead of failing with `RAWHDF5_NOT_FOUND`. Default false. */
  waitForFile?: boolean;
  /** Stop following. */
  signal?: AbortSignal;
}

/**
 * Follow a raw file being written (by {@link RawfileWriter}, {@link toRawfile} or larpix-control's
 * `to_rawfile`): yields the existing messages from `start`, then new ones as they appear. Each poll
 * re-opens the file (SWMR-read; never `refresh`, spec §8.6); an unsynchronised look or a transient
 * HDF5 error just waits for the next poll. Ends on `signal` abort or after `idleTimeoutMs` without
 * news.
 *
 * @throws RawHdf5Error `RAWHDF5_NOT_FOUND` (unless `waitForFile`), `RAWHDF5_NOT_RAWFILE`, version errors
 */
export async function* followRawfile(path: string, options: FollowRawfileOptions = {}): AsyncGenerator<FollowBatch> {
  const pollMs = options.pollMs ?? 200;
  const batchMessages = Math.max(1, options.batchMessages ?? 100_000);
  const retry: RawfileRetryOptions = { attempts: options.attempts ?? 1, reattempts: options.reattempts ?? 5, maxWaitMs: options.maxWaitMs };
  let position: number | undefined;
  let lastNews = Date.now();
  const idle = (): boolean => options.idleTimeoutMs !== undefined && Date.now() - lastNews >= options.idleTimeoutMs;
  while (!options.signal?.aborted) {
    let length: number | null = null;
    try {
      length = await lenRawfile(path, retry);
    } catch (error) {
      const code = RawHdf5Error.isInstance(error) ? error.code : undefined;
      const waitable =
        code === "RAWHDF5_UNSYNCHRONIZED" || code === "RAWHDF5_UNREADABLE" || (code === "RAWHDF5_NOT_FOUND" && options.waitForFile);
      if (!waitable) throw error;
    }
    if (length !== null) {
      if (position === undefined) {
        const s = Math.trunc(options.start ?? 0);
        position = s < 0 ? Math.max(0, length + s) : Math.min(s, length);
      }
      if (length > position) {
        let data: Awaited<ReturnType<typeof fromRawfile>> | null = null;
        try {
          data = await fromRawfile(path, { ...retry, start: position, end: Math.min(length, position + batchMessages) });
        } catch (error) {
          const code = RawHdf5Error.isInstance(error) ? error.code : undefined;
          if (code !== "RAWHDF5_UNSYNCHRONIZED" && code !== "RAWHDF5_UNREADABLE") throw error;
        }
        if (data?.msgs && data.msgs.length > 0) {
          const batch: FollowBatch = { start: position, msgs: data.msgs, ioGroups: data.msgHeaders.io_groups };
          position += data.msgs.length;
          lastNews = Date.now();
          yield batch;
          continue;
        }
      }
    }
    if (idle()) return;
    try {
      await sleep(pollMs, undefined, { signal: options.signal });
    } catch {
      return; // aborted
    }
  }
}
