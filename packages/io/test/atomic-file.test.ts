import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { open } from "node:fs/promises";
import { afterAll, describe, expect, it, vi } from "vitest";
import {
  openAtomicFile,
  parseTemporaryName,
  removeStaleTemporaries,
  temporaryPathFor,
  withAtomicPath,
  writeFileAtomic,
} from "../src/node.js";

const root = mkdtempSync(join(tmpdir(), "daqkit-io-atomic-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => {
  const d = join(root, `d${n++}`);
  mkdirSync(d);
  return d;
};

/** A pid that is certainly not alive: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("temporary names", () => {
  it("name the final file and the writer, in the same directory", () => {
    const tmp = temporaryPathFor("/data/out/run 1.parquet");
    expect(dirname(tmp)).toBe("/data/out");
    expect(basename(tmp)).toMatch(/^\.run 1\.parquet\.daqkit-\d+-[0-9a-z]+-[0-9a-z]+\.tmp$/);
    const info = parseTemporaryName(basename(tmp));
    expect(info).toMatchObject({ namePart: "run 1.parquet", pid: process.pid });
    expect(temporaryPathFor("/x/a")).not.toBe(temporaryPathFor("/x/a"));
    expect(parseTemporaryName("a.parquet")).toBeNull();
    expect(parseTemporaryName(".a.parquet.123.tmp")).toBeNull();
  });

  it("stay within NAME_MAX for long names", () => {
    const long = `${"x".repeat(250)}.parquet`;
    expect(basename(temporaryPathFor(join("/d", long))).length).toBeLessThan(255);
  });
});

describe("writeFileAtomic", () => {
  it("writes bytes, text and chunk sources, replacing the old file", async () => {
    const d = freshDir();
    const out = join(d, "a.bin");
    writeFileSync(out, "old");
    expect(await writeFileAtomic(out, new Uint8Array([1, 2, 3]))).toBe(3);
    expect([...readFileSync(out)]).toEqual([1, 2, 3]);
    await writeFileAtomic(out, "héllo");
    expect(readFileSync(out, "utf8")).toBe("héllo");
    async function* chunks() {
      for (let i = 0; i < 5; i++) yield new Uint8Array(1000).fill(i);
    }
    expect(await writeFileAtomic(out, chunks())).toBe(5000);
    expect(statSync(out).size).toBe(5000);
    expect(readdirSync(d)).toEqual(["a.bin"]);
  });

  it("a source that throws half way leaves nothing under the final name and no temporary", async () => {
    const d = freshDir();
    const out = join(d, "b.bin");
    async function* failing() {
      yield new Uint8Array(100);
      throw new Error("source broke");
    }
    await expect(writeFileAtomic(out, failing())).rejects.toThrow("source broke");
    expect(readdirSync(d)).toEqual([]);
    // and an existing file stays as it was
    writeFileSync(out, "keep");
    await expect(writeFileAtomic(out, failing())).rejects.toThrow("source broke");
    expect(readFileSync(out, "utf8")).toBe("keep");
    expect(readdirSync(d)).toEqual(["b.bin"]);
  });

  it("a missing directory is IO_NOT_FOUND naming the file", async () => {
    const out = join(root, "no-such-dir", "c.bin");
    await expect(writeFileAtomic(out, "x")).rejects.toMatchObject({ code: "IO_NOT_FOUND", path: out });
  });
});

describe("openAtomicFile", () => {
  it("shows nothing under the final name until commit; abort leaves nothing", async () => {
    const d = freshDir();
    const out = join(d, "h.bin");
    const f = await openAtomicFile(out);
    await f.write(new Uint8Array([7, 8]));
    expect(readdirSync(d)).toEqual([basename(f.tempPath)]);
    await f.commit();
    expect([...readFileSync(out)]).toEqual([7, 8]);
    expect(readdirSync(d)).toEqual(["h.bin"]);
    await expect(f.write(new Uint8Array(1))).rejects.toMatchObject({ code: "IO_FAILED" });

    const g = await openAtomicFile(out);
    await g.write(new Uint8Array([9]));
    await g.abort();
    await g.abort();
    expect([...readFileSync(out)]).toEqual([7, 8]);
    expect(readdirSync(d)).toEqual(["h.bin"]);
  });
});

describe("write-back of a large atomic file", () => {
  it("flushes its data in the background while it is written (every byte lands; abort under a write-back leaves nothing)", async () => {
    const d = freshDir();
    const probe = await open(join(d, "probe"), "w");
    const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    rmSync(join(d, "probe"));
    const spy = vi.spyOn(proto, "datasync");
    try {
      const chunk = (i: number) => new Uint8Array(1 << 20).fill(i & 0xff);
      const out = join(d, "big.bin");
      const f = await openAtomicFile(out);
      for (let i = 0; i < 20; i++) await f.write(chunk(i));
      await f.commit();
      expect(spy.mock.calls.length).toBeGreaterThanOrEqual(1);
      const bytes = readFileSync(out);
      expect(bytes.length).toBe(20 << 20);
      for (let i = 0; i < 20; i++) expect(bytes[(i << 20) + 12345]).toBe(i);

      const g = await openAtomicFile(join(d, "gone.bin"));
      for (let i = 0; i < 9; i++) await g.write(chunk(i));
      await g.abort();
      expect(readdirSync(d)).toEqual(["big.bin"]);

      spy.mockClear();
      const small = await openAtomicFile(join(d, "nosync.bin"), { fsync: false });
      for (let i = 0; i < 9; i++) await small.write(chunk(i));
      await small.commit();
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});

describe("stale temporaries", () => {
  it("the next writer of the same name removes those of dead writers, never a live one's or another name's", async () => {
    const d = freshDir();
    const out = join(d, "s.parquet");
    const dead = deadPid();
    const live = temporaryPathFor(out); // this process: alive
    const stale = join(d, basename(temporaryPathFor(out)).replace(/daqkit-\d+-/, `daqkit-${dead}-`));
    const staleDir = join(d, basename(temporaryPathFor(out)).replace(/daqkit-\d+-/, `daqkit-${dead}-`));
    const otherName = join(d, basename(temporaryPathFor(join(d, "t.parquet"))).replace(/daqkit-\d+-/, `daqkit-${dead}-`));
    const otherHost = join(d, basename(stale).replace(/-([0-9a-z]+)-([0-9a-z]+)\.tmp$/, "-zzzzzzz-$2.tmp"));
    for (const p of [live, stale, otherName, otherHost]) writeFileSync(p, "partial");
    mkdirSync(staleDir);
    writeFileSync(join(staleDir, "chunk"), "x");
    await writeFileAtomic(out, "new");
    const left = readdirSync(d).sort();
    expect(left).toEqual([basename(live), basename(otherHost), basename(otherName), "s.parquet"].sort());
    expect(await removeStaleTemporaries(join(d, "t.parquet"))).toEqual([otherName]);
  });

  it("cleans a writer's older scheme when asked (dead pids only)", async () => {
    const d = freshDir();
    const out = join(d, "l.parquet");
    const dead = deadPid();
    writeFileSync(join(d, `.l.parquet.${dead}-abc123.tmp`), "old scheme, dead");
    writeFileSync(join(d, `.l.parquet.${process.pid}-abc123.tmp`), "old scheme, alive");
    await writeFileAtomic(out, "x", { legacyTemporary: /^(\d+)-[0-9a-z]+\.tmp$/ });
    expect(readdirSync(d).sort()).toEqual([`.l.parquet.${process.pid}-abc123.tmp`, "l.parquet"]);
  });
});

describe("withAtomicPath", () => {
  it("renames what the writer made; a throwing writer leaves nothing", async () => {
    const d = freshDir();
    const out = join(d, "w.h5");
    expect(
      await withAtomicPath(out, (tmp) => {
        writeFileSync(tmp, "made");
        return 42;
      }),
    ).toBe(42);
    expect(readFileSync(out, "utf8")).toBe("made");
    await expect(
      withAtomicPath(out, async (tmp) => {
        writeFileSync(tmp, "half");
        throw new Error("writer broke");
      }),
    ).rejects.toThrow("writer broke");
    expect(readFileSync(out, "utf8")).toBe("made");
    expect(readdirSync(d)).toEqual(["w.h5"]);
    await expect(withAtomicPath(join(d, "none"), () => undefined)).rejects.toMatchObject({ code: "IO_NOT_FOUND" });
    expect(readdirSync(d)).toEqual(["w.h5"]);
  });
});
