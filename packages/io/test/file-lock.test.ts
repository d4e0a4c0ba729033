import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { type FileLock, lockPathFor, readFileLockHolder, tryAcquireFileLock } from "../src/node.js";

const dir = mkdtempSync(join(tmpdir(), "daqkit-io-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function held(r: ReturnType<typeof tryAcquireFileLock>): FileLock {
  if ("busy" in r) throw new Error("expected the lock");
  return r;
}

test("the lock is exclusive, records pid and host, and is released", () => {
  const target = join(dir, "a.lh5");
  const lock = held(tryAcquireFileLock(target));
  expect(lock.lockPath).toBe(lockPathFor(target));
  expect(readFileLockHolder(lock.lockPath)).toEqual({ pid: process.pid, hostname: hostname() });
  // A second taker (here the same live process) is refused and told who holds it.
  expect(tryAcquireFileLock(target)).toEqual({ busy: true, holder: { pid: process.pid, hostname: hostname() } });
  lock.release();
  lock.release();
  expect(existsSync(lock.lockPath)).toBe(false);
  held(tryAcquireFileLock(target)).release();
});

test("a lock left by a dead process on this host is taken over; another host's lock is not", () => {
  const target = join(dir, "b.lh5");
  const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  writeFileSync(lockPathFor(target), JSON.stringify({ pid: Number(dead.stdout), hostname: hostname() }));
  const lock = held(tryAcquireFileLock(target));
  expect(readFileLockHolder(lock.lockPath)?.pid).toBe(process.pid);
  lock.release();
  writeFileSync(lockPathFor(target), JSON.stringify({ pid: Number(dead.stdout), hostname: `not-${hostname()}` }));
  expect(tryAcquireFileLock(target)).toMatchObject({ busy: true, holder: { hostname: `not-${hostname()}` } });
  rmSync(lockPathFor(target));
});

test("a missing directory is a coded IoError", () => {
  expect(() => tryAcquireFileLock(join(dir, "no/such/dir/c.lh5"))).toThrow(expect.objectContaining({ code: "IO_FAILED" }));
});

test("the lock file never exists without its holder; a taker's leftovers of a dead pid are removed by the next taker", () => {
  const target = join(dir, "c.lh5");
  const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
  // What a taker killed between writing its private copy and linking it (or mid-takeover) leaves.
  const leftovers = [`${lockPathFor(target)}.${dead}.new`, `${lockPathFor(target)}.${dead}.stale`];
  for (const p of leftovers) writeFileSync(p, JSON.stringify({ pid: dead, hostname: hostname() }));
  const lock = held(tryAcquireFileLock(target));
  expect(readFileLockHolder(lock.lockPath)).toEqual({ pid: process.pid, hostname: hostname() });
  expect(leftovers.filter((p) => existsSync(p))).toEqual([]);
  expect(existsSync(`${lockPathFor(target)}.${process.pid}.new`)).toBe(false);
  lock.release();
});
