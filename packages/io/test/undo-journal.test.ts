import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import {
  type EmscriptenFsLike,
  beginUndoJournal,
  guardEmscriptenWrites,
  hasUndoJournal,
  journalPathFor,
  liveReaders,
  recoverUndoJournal,
  registerReader,
} from "../src/node.js";

const dir = mkdtempSync(join(tmpdir(), "daqkit-io-journal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function original(path: string, n = 4096): Uint8Array {
  const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
  writeFileSync(path, bytes);
  return bytes;
}

function pwrite(path: string, at: number, bytes: Uint8Array): void {
  const fd = openSync(path, "r+");
  try {
    writeSync(fd, bytes, 0, bytes.length, at);
  } finally {
    closeSync(fd);
  }
}

test("overwrites and extensions are rolled back byte for byte; commit keeps them and removes the journal", () => {
  const path = join(dir, "a.bin");
  const old = original(path);
  const j = beginUndoJournal(path);
  expect(j.originalLength).toBe(4096);
  expect(hasUndoJournal(path)).toBe(true);
  // Overlapping overwrites: only the first save of a byte counts (later ones would save new bytes).
  for (const [at, n] of [
    [100, 50],
    [120, 100],
    [4000, 200],
    [0, 8],
  ] as const) {
    j.beforeWrite(at, n);
    pwrite(path, at, new Uint8Array(n).fill(0xee));
  }
  expect(j.savedBytes).toBe(8 + (220 - 100) + 96);
  // Past the original end: nothing to save (truncating undoes it).
  j.beforeWrite(5000, 1000);
  pwrite(path, 5000, new Uint8Array(1000).fill(1));
  expect(j.savedBytes).toBe(224);
  j.rollback();
  expect(new Uint8Array(readFileSync(path))).toEqual(old);
  expect(existsSync(journalPathFor(path))).toBe(false);

  const k = beginUndoJournal(path);
  k.beforeWrite(10, 10);
  pwrite(path, 10, new Uint8Array(10).fill(9));
  k.commit();
  expect(existsSync(journalPathFor(path))).toBe(false);
  expect(readFileSync(path)[15]).toBe(9);
  expect(recoverUndoJournal(path)).toEqual({ action: "none", ranges: 0 });
});

test("recovery after a crash: saved ranges restored, file truncated, a torn last record ignored, idempotent", () => {
  const path = join(dir, "b.bin");
  const old = original(path);
  const j = beginUndoJournal(path);
  j.beforeWrite(1000, 100);
  pwrite(path, 1000, new Uint8Array(100).fill(0xaa));
  j.beforeTruncate(2000); // what truncating would cut is saved first
  truncateSync(path, 2000);
  pwrite(path, 3000, new Uint8Array(3000).fill(0xbb));
  // "Crash": the journal stays open and is not committed. A torn record at its end (its write never happened).
  const jp = journalPathFor(path);
  const size = statSync(jp).size;
  writeFileSync(jp, Buffer.concat([readFileSync(jp), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9])]));
  expect(statSync(jp).size).toBe(size + 9);
  const copy = readFileSync(jp);
  expect(recoverUndoJournal(path)).toEqual({ action: "rolled-back", ranges: 2 });
  expect(new Uint8Array(readFileSync(path))).toEqual(old);
  // A recovery interrupted half way is simply redone.
  writeFileSync(jp, copy);
  pwrite(path, 1000, new Uint8Array(10).fill(0xcc));
  expect(recoverUndoJournal(path).action).toBe("rolled-back");
  expect(new Uint8Array(readFileSync(path))).toEqual(old);
});

test("a journal without a complete header guarded no write; a journal of another file at that path is discarded", () => {
  const path = join(dir, "c.bin");
  const old = original(path);
  writeFileSync(journalPathFor(path), "DQKJRN");
  expect(recoverUndoJournal(path).action).toBe("discarded");
  expect(new Uint8Array(readFileSync(path))).toEqual(old);

  const j = beginUndoJournal(path);
  j.beforeWrite(0, 10);
  // The file was replaced (renamed over) while the journal stayed: it is not about the new file.
  const other = join(dir, "c.other");
  writeFileSync(other, "new file");
  renameSync(other, path);
  expect(recoverUndoJournal(path).action).toBe("discarded");
  expect(readFileSync(path, "utf8")).toBe("new file");
  expect(() => beginUndoJournal(join(dir, "missing.bin"))).toThrow(/cannot open the file/);
});

test("a second journal on the same file is refused until the first is recovered", () => {
  const path = join(dir, "d.bin");
  original(path);
  const j = beginUndoJournal(path);
  expect(() => beginUndoJournal(path)).toThrow(expect.objectContaining({ code: "IO_FAILED" }));
  j.rollback();
  beginUndoJournal(path).commit();
});

test("the Emscripten FS guard journals writes and truncations of the guarded file only", () => {
  const path = join(dir, "e.bin");
  const old = original(path);
  const otherPath = join(dir, "e.other");
  original(otherPath);
  const fds = new Map<number, string>();
  const fs: EmscriptenFsLike = {
    write(stream, buffer, offset, length, position) {
      const fd = openSync(stream.path as string, "r+");
      try {
        return writeSync(fd, buffer as Uint8Array, offset, length, position ?? stream.position ?? 0);
      } finally {
        closeSync(fd);
      }
    },
    ftruncate(fd, length) {
      truncateSync(fds.get(fd) as string, length);
    },
    truncate(p, length) {
      truncateSync(p, length);
    },
    getStreamChecked(fd) {
      return { path: fds.get(fd) };
    },
  };
  fds.set(3, path);
  const j = beginUndoJournal(path);
  const unguard = guardEmscriptenWrites(fs, j);
  expect(() => guardEmscriptenWrites(fs, j)).toThrow(/already journaled/);
  fs.write({ path }, new Uint8Array(64).fill(5), 0, 64, 32);
  fs.write({ path: otherPath }, new Uint8Array(64).fill(5), 0, 64, 32);
  fs.ftruncate(3, 1024);
  expect(j.savedBytes).toBe(64 + (4096 - 1024));
  unguard();
  fs.write({ path }, new Uint8Array(8).fill(6), 0, 8, 2000); // unguarded: not saved
  expect(j.savedBytes).toBe(64 + 3072);
  j.rollback();
  expect(new Uint8Array(readFileSync(path))).toEqual(old);
  expect(readFileSync(otherPath)[40]).toBe(5);
});

test("reader markers: live readers are counted, dead ones removed", () => {
  const path = join(dir, "f.bin");
  original(path, 16);
  expect(liveReaders(path)).toBe(0);
  const a = registerReader(path);
  const b = registerReader(path);
  expect(a && b).toBeTruthy();
  expect(liveReaders(path)).toBe(2);
  a?.release();
  a?.release();
  expect(liveReaders(path)).toBe(1);
  b?.release();
  // A marker of a process that no longer exists (pid 2^22 + 1 is above Linux's pid_max default).
  const host = (a?.markPath ?? "").split(".daqkit-reader.")[1]?.split(".")[1];
  const dead = join(dir, `.f.bin.daqkit-reader.${2 ** 22 + 1}.${host}.zz`);
  writeFileSync(dead, "");
  expect(liveReaders(path)).toBe(0);
  expect(existsSync(dead)).toBe(false);
});
