/**
 * An exclusive, advisory, cross-process lock on a file path, for writers (Node has no flock).
 *
 * The lock is a sidecar file `.NAME.lock` in the same directory, holding `{"pid": …, "hostname": …}`:
 * written as `.NAME.lock.PID.new` and hard-linked to its name (which fails if it exists, as
 * `O_CREAT | O_EXCL` does), so it never exists without its holder. A lock whose holder is a dead process on
 * this host is stale: it is taken over (removed and re-created with O_EXCL, so two takers cannot
 * both win). A lock held by another host is never taken over.
 */
import { linkSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { processAlive } from "./atomic-file.js";
import { IoError } from "./errors.js";

/** Who holds a lock, as recorded in the lock file. */
export interface FileLockHolder {
  /** Process id of the holder. */
  readonly pid: number;
  /** Host name of the holder. */
  readonly hostname: string;
}

/** A held lock; {@link FileLock.release} it in `finally` (or `using lock = acquireFileLock(…)`). */
export interface FileLock {
  /** The locked target path. */
  readonly path: string;
  /** The lock file's path. */
  readonly lockPath: string;
  /** Remove the lock file (idempotent). */
  release(): void;
  [Symbol.dispose](): void;
}

/** Result of {@link tryAcquireFileLock} when a live process (or another host) holds the lock. */
export interface FileLockBusy {
  readonly busy: true;
  /** The holder, when the lock file could be read. */
  readonly holder: FileLockHolder | undefined;
}

/** The lock file used for `path`: `.NAME.lock` beside it. */
export function lockPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.lock`);
}

/** The holder recorded in a lock file, or undefined when it is missing or unreadable (being written). */
export function readFileLockHolder(lockPath: string): FileLockHolder | undefined {
  try {
    const v = JSON.parse(readFileSync(lockPath, "utf8")) as Partial<FileLockHolder>;
    if (typeof v.pid === "number" && typeof v.hostname === "string") return { pid: v.pid, hostname: v.hostname };
  } catch {
    // missing, or torn by a holder killed while writing it
  }
  return undefined;
}

function tryCreate(lockPath: string): boolean {
  // The holder is written in full under a name of this process first, then hard-linked into place
  // (link fails if the name exists, like O_EXCL): the lock file never exists without its holder,
  // even when the taker is killed midway (a torn lock would read as busy for seconds).
  const own = `${lockPath}.${process.pid}.new`;
  try {
    writeFileSync(own, JSON.stringify({ pid: process.pid, hostname: hostname() }));
    linkSync(own, lockPath);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "EEXIST") return false;
    throw new IoError("IO_FAILED", `io: cannot create the lock file ${lockPath}: ${(error as Error).message}`, {
      path: lockPath,
      cause: error,
    });
  } finally {
    rmSync(own, { force: true });
  }
}

/** Remove `.NAME.lock.PID.new` / `.stale` files that takers killed midway left (their pid is dead on this host). */
function removeDeadLeftovers(lockPath: string): void {
  const prefix = `${basename(lockPath)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(lockPath));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)\.(?:new|stale)$/.exec(name.slice(prefix.length));
    if (m && Number(m[1]) !== process.pid && !processAlive(Number(m[1]))) rmSync(join(dirname(lockPath), name), { force: true });
  }
}

/**
 * Take the exclusive write lock of `path` (the file itself need not exist), without waiting.
 * Returns the held lock, or `{ busy: true, holder }` when another live writer holds it (callers
 * turn that into their package's coded "busy" error).
 *
 * @throws IoError `IO_FAILED` when the lock file cannot be created (permissions, missing directory).
 */
export function tryAcquireFileLock(path: string): FileLock | FileLockBusy {
  const lockPath = lockPathFor(path);
  removeDeadLeftovers(lockPath);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(lockPath)) {
      let held = true;
      const release = (): void => {
        if (!held) return;
        held = false;
        rmSync(lockPath, { force: true });
      };
      return { path, lockPath, release, [Symbol.dispose]: release };
    }
    const holder = readFileLockHolder(lockPath);
    // Stale: the holder died on this host. A lock file without a readable holder (its writer was
    // killed between create and write) counts as stale once it is older than a few seconds.
    const stale = holder ? holder.hostname === hostname() && !processAlive(holder.pid) : tornAndOld(lockPath);
    if (!stale) return { busy: true, holder };
    // Take over by renaming the stale file to a name of our own: only one taker can move it.
    const grave = `${lockPath}.${process.pid}.stale`;
    try {
      renameSync(lockPath, grave);
    } catch {
      continue; // someone else took it over first: try again
    }
    const moved = readFileLockHolder(grave);
    if (moved && (moved.pid !== holder?.pid || moved.hostname !== holder?.hostname) && processAlive(moved.pid)) {
      // We moved a lock a faster taker had just created: put it back (link fails if the name is taken).
      try {
        linkSync(grave, lockPath);
      } catch {
        // the name was taken meanwhile: that holder wins
      }
      rmSync(grave, { force: true });
      return { busy: true, holder: moved };
    }
    rmSync(grave, { force: true });
  }
  return { busy: true, holder: readFileLockHolder(lockPath) };
}

function tornAndOld(lockPath: string): boolean {
  try {
    return Date.now() - statSync(lockPath).mtimeMs > 5_000;
  } catch {
    return true;
  }
}
