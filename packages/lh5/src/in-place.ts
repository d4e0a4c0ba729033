/**
 * Coordination of in-place appends (writer.ts) with readers (openLh5), Node only.
 *
 * A writer that modifies an existing file in place holds the file's write lock and keeps an undo
 * journal (`.NAME.daqkit-journal`, @daqkit/io) for the whole session. Readers announce themselves
 * with a marker file (`.NAME.daqkit-reader.PID.HOST.RAND`) while the file is open. The two checks are
 * made in opposite orders — the writer creates its journal, then looks for readers; a reader
 * creates its marker, then looks for a journal — so at least one of them sees the other:
 * - a writer that sees a live reader drops its (still empty) journal and writes a copy that it
 *   renames over the file, as before, so the reader keeps reading the old file;
 * - a reader that sees a journal waits (bounded by `busyTimeoutMs`) until the writer commits; a
 *   journal whose writer is dead (its lock is stale) is rolled back first.
 * A file without write permission bits (`chmod a-w`, the usual state of archived data) is never
 * modified in place — writers copy it — so readers of such files skip the marker (no directory
 * writes on scans of read-only data). A reader that cannot create its marker (no write access to
 * the directory) is invisible to writers of other users: see the README.
 */
import { statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { hasUndoJournal, journalPathFor, type ReaderMark, recoverUndoJournal, registerReader, tryAcquireFileLock } from "@daqkit/io/node";
import { Lh5Error, hdf5Reason } from "./errors.js";

/** Default bound on how long {@link enterRead} waits for an in-place append to commit. */
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

/** Whether `path` has any write permission bit (in-place appends are made only to such files). */
export function mayModifyInPlace(path: string): boolean {
  try {
    return (statSync(path).mode & 0o222) !== 0;
  } catch {
    return false;
  }
}

/**
 * Roll back the undo journal of an interrupted in-place append (the caller holds the write lock).
 * @throws Lh5Error `LH5_WRITE_IO`
 */
export function recoverInterruptedAppend(path: string): void {
  try {
    recoverUndoJournal(path);
  } catch (error) {
    throw new Lh5Error(
      "LH5_WRITE_IO",
      `lh5: ${path}: an interrupted append left ${journalPathFor(path)} and rolling it back failed: ${hdf5Reason(error)}`,
      { path },
      { cause: error },
    );
  }
}

/**
 * Before a reader opens `path`: announce it (marker file) and make sure no in-place append is under
 * way — wait for a live writer's journal to go (at most `timeoutMs`), roll back a dead writer's.
 * Returns the marker to release when the file is closed (`undefined`: the file has no write bit, so
 * it is never modified in place, or the directory is not writable).
 * @throws Lh5Error `LH5_BUSY` (a live writer kept modifying the file for `timeoutMs`), `LH5_UNREADABLE` (a dead writer's journal cannot be rolled back, e.g. no write access)
 */
export async function enterRead(path: string, timeoutMs = DEFAULT_BUSY_TIMEOUT_MS): Promise<ReaderMark | undefined> {
  const deadline = Date.now() + Math.max(0, timeoutMs);
  const writable = mayModifyInPlace(path);
  for (;;) {
    const mark = writable ? registerReader(path) : undefined;
    if (!hasUndoJournal(path)) return mark;
    mark?.release();
    let taken: ReturnType<typeof tryAcquireFileLock>;
    try {
      taken = tryAcquireFileLock(path);
    } catch (error) {
      throw new Lh5Error(
        "LH5_UNREADABLE",
        `lh5: ${path}: an interrupted append left ${journalPathFor(path)}; open the file once with write access to its directory to roll it back (${hdf5Reason(error)})`,
        { path },
        { cause: error },
      );
    }
    if (!("busy" in taken)) {
      try {
        recoverInterruptedAppend(path);
      } catch (error) {
        throw new Lh5Error("LH5_UNREADABLE", (error as Error).message, { path }, { cause: error });
      } finally {
        taken.release();
      }
      continue;
    }
    if (Date.now() >= deadline) {
      const pid = taken.holder?.pid;
      throw new Lh5Error(
        "LH5_BUSY",
        `lh5: ${path}: file is busy: a writer${pid === undefined ? "" : ` (pid ${pid})`} is appending to it in place; waited ${timeoutMs} ms (raise busyTimeoutMs, or try again)`,
        { path, ...(pid === undefined ? {} : { holderPid: pid }) },
      );
    }
    await sleep(25);
  }
}
