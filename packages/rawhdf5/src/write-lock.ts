/**
 * The write lock of a raw file (Node): every daqkit writer (`toRawfile`, `RawfileWriter`,
 * `repairRawfile`) holds io's advisory lock `.NAME.lock` for its whole session. It is what tells a
 * crashed daqkit writer (lock left behind by a dead process on this host) from a live one (lock
 * held by a live process) when the superblock says "open for writing".
 */
import { hostname } from "node:os";
import { type FileLock, type FileLockHolder, lockPathFor, processAlive, readFileLockHolder, tryAcquireFileLock } from "@daqkit/io/node";
import { RawHdf5Error } from "./errors.js";

/** A held write lock, and the daqkit writer that had crashed holding it before, if any. */
export interface RawfileWriteLock {
  readonly lock: FileLock;
  /**
   * The holder recorded in the lock this session took over: a daqkit writer on this host whose
   * process is dead. Undefined when there was no lock (or it was released normally).
   */
  readonly crashedHolder: FileLockHolder | undefined;
}

/**
 * Take the write lock of `path` without waiting.
 * @throws RawHdf5Error `RAWHDF5_BUSY` (a live writer holds it; `holderPid` names it), `RAWHDF5_IO`
 *   (the lock file cannot be created)
 */
export function acquireRawfileLock(path: string): RawfileWriteLock {
  // Who held the lock before we look: a recorded holder that is dead on this host crashed
  // (a lock released normally is gone, and a live holder makes the acquisition below fail).
  const before = readFileLockHolder(lockPathFor(path));
  const crashed = before && before.hostname === hostname() && before.pid !== process.pid && !processAlive(before.pid) ? before : undefined;
  let taken: ReturnType<typeof tryAcquireFileLock>;
  try {
    taken = tryAcquireFileLock(path);
  } catch (error) {
    throw new RawHdf5Error(
      "RAWHDF5_IO",
      `rawhdf5: ${path}: cannot create the write lock ${lockPathFor(path)}: ${(error as Error).message}`,
      { path, cause: error },
    );
  }
  if ("busy" in taken) {
    const pid = taken.holder?.pid;
    throw new RawHdf5Error(
      "RAWHDF5_BUSY",
      `rawhdf5: ${path}: file is busy: another daqkit writer${pid === undefined ? "" : ` (pid ${pid} on ${taken.holder!.hostname})`} holds its write lock ${lockPathFor(path)}; nothing was written`,
      { path, ...(pid === undefined ? {} : { holderPid: pid }) },
    );
  }
  return { lock: taken, crashedHolder: crashed };
}
