import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { lockPathFor } from "@daqkit/io/node";
import { afterAll, beforeAll, expect, test } from "vitest";
import { fromRawfile, openRawfileWriter, RawHdf5Error, repairRawfile, toRawfile } from "../src/node.js";
import { loadH5 } from "../src/h5/node-runtime.js";
import { readSuperblock, writeSuperblockFlags } from "../src/h5/superblock-node.js";
import { copyPythonFile, EXPECTED, hex, tempDir } from "./helpers.js";
import { messageFor } from "./live/message-for.js";

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "none";
  } catch (error) {
    return RawHdf5Error.isInstance(error) ? error.code : `uncaught ${String(error)}`;
  }
}

/** The state a writer killed mid-append leaves: msgs grown past msg_headers, superblock flags still set. */
async function crashedCopy(name: string): Promise<string> {
  const path = copyPythonFile("raw_v0_0_two_iogroups.h5", dir);
  const target = `${dir}/${name}`;
  const rt = await loadH5();
  const f = new rt.h5.File(path, "a", { libver: ["v110", "latest"] });
  expect(rt.module.resize_dataset(f.file_id, "/msgs", [10n])).toBeGreaterThanOrEqual(0);
  f.close();
  expect(writeSuperblockFlags(path, 0x05)).toBe(0);
  renameSync(path, target);
  return target;
}

test("a crashed writer's file: reads and appends say how to repair; repair keeps every complete message and the file is appendable", async () => {
  const path = await crashedCopy("crashed.h5");
  const read = await fromRawfile(path).catch((e: unknown) => e as RawHdf5Error);
  expect(read).toMatchObject({ code: "RAWHDF5_UNSYNCHRONIZED" });
  expect((read as Error).message).toContain("daqkit rawhdf5 repair");
  const append = await toRawfile(path, { msgs: [new Uint8Array([1])] }).catch((e: unknown) => e as RawHdf5Error);
  expect(append).toMatchObject({ code: "RAWHDF5_NEEDS_REPAIR", superblockFlags: 5 });
  expect((append as Error).message).toContain(`daqkit rawhdf5 repair ${path}`);
  // The common prefix is readable without repairing.
  expect((await fromRawfile(path, { attempts: 0 })).length).toBe(8);

  const report = await repairRawfile(path);
  expect(report).toMatchObject({ changed: true, flagsBefore: 5, msgsRows: 10, headersRows: 8, kept: 8, recreated: [] });
  expect(readSuperblock(path)!.flags).toBe(0);
  const expected = EXPECTED["raw_v0_0_two_iogroups.h5"]!;
  const data = await fromRawfile(path);
  expect(data.msgs!.map(hex)).toEqual(expected.msgs_hex);
  expect(Array.from(data.msgHeaders.io_groups)).toEqual(expected.io_groups);
  expect(await toRawfile(path, { msgs: [new Uint8Array([7, 7])], msgHeaders: { io_groups: [3] } })).toEqual({ length: 9, created: false });
  expect((await fromRawfile(path, { start: -1 })).msgs!.map(hex)).toEqual(["0707"]);
  // A consistent file is left untouched.
  const before = readFileSync(path);
  expect(await repairRawfile(path)).toMatchObject({ changed: false, kept: 9 });
  expect(readFileSync(path).equals(before)).toBe(true);
});

test("repair: missing file and non-HDF5 file give coded errors", async () => {
  expect(await codeOf(repairRawfile(`${dir}/missing.h5`))).toBe("RAWHDF5_NOT_FOUND");
  writeFileSync(`${dir}/text.h5`, "not hdf5");
  expect(await codeOf(repairRawfile(`${dir}/text.h5`))).toBe("RAWHDF5_NOT_RAWFILE");
});

/** A pid that is certainly dead: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", ""]);
  expect(r.status).toBe(0);
  return r.pid!;
}

function writeLock(path: string, pid: number, host = hostname()): void {
  writeFileSync(lockPathFor(path), JSON.stringify({ pid, hostname: host }));
}

test("a crashed daqkit writer (flags set, its lock left by a dead pid): the next append repairs and goes on, keeping every complete message", async () => {
  const path = await crashedCopy("crashed-stale-lock.h5");
  writeLock(path, deadPid());
  expect(await toRawfile(path, { msgs: [new Uint8Array([7, 7])], msgHeaders: { io_groups: [3] } })).toEqual({ length: 9, created: false });
  expect(readSuperblock(path)!.flags).toBe(0);
  expect(existsSync(lockPathFor(path))).toBe(false);
  const expected = EXPECTED["raw_v0_0_two_iogroups.h5"]!;
  const data = await fromRawfile(path);
  expect(data.msgs!.map(hex)).toEqual([...expected.msgs_hex, "0707"]);
  expect(Array.from(data.msgHeaders.io_groups)).toEqual([...expected.io_groups, 3]);

  // The same for the long-lived writer.
  const other = await crashedCopy("crashed-stale-lock-writer.h5");
  writeLock(other, deadPid());
  const writer = await openRawfileWriter(other);
  try {
    expect(writer.length).toBe(8);
    expect(writer.append([new Uint8Array([1])], { io_groups: [1] })).toBe(9);
  } finally {
    writer.close();
  }
  expect(existsSync(lockPathFor(other))).toBe(false);
  expect((await fromRawfile(other)).length).toBe(9);
});

/**
 * The state a daqkit writer killed in SWMR-write mode can leave (slow-lane kill series, kill 6 of
 * seed 0x5eed): flags set and a stored end-of-file address that lags behind what the writer had
 * allocated, with objects the file references lying past it. Made here from a clean file whose
 * stored address is set back to what it was two appends earlier.
 */
async function staleEoaCopy(name: string): Promise<string> {
  const path = `${dir}/${name}`;
  const batch = (from: number, n: number) => ({
    msgs: Array.from({ length: n }, (_, k) => messageFor(from + k)),
    msgHeaders: { io_groups: Array.from({ length: n }, (_, k) => (from + k) % 7) },
  });
  await toRawfile(path, batch(0, 1));
  await toRawfile(path, batch(1, 500));
  const stale = readSuperblock(path)!.eofAddress;
  await toRawfile(path, batch(501, 500));
  expect(statSync(path).size).toBeGreaterThan(stale);
  expect(writeSuperblockFlags(path, 0x05, stale)).toBe(0);
  return path;
}

test("a crashed SWMR writer's stale end-of-file address: repair raises it (h5clear --increment) and keeps every message instead of truncating them away", async () => {
  const path = await staleEoaCopy("stale-eoa.h5");
  const report = await repairRawfile(path);
  expect(report).toMatchObject({ changed: true, flagsBefore: 5, msgsRows: 1001, headersRows: 1001, kept: 1001 });
  expect(report.eofRaisedBy).toBeGreaterThan(0);
  const sb = readSuperblock(path)!;
  expect(sb.flags).toBe(0);
  expect(statSync(path).size).toBeGreaterThanOrEqual(sb.eofAddress);
  expect(await toRawfile(path, { msgs: [messageFor(1001)], msgHeaders: { io_groups: [1001 % 7] } })).toEqual({
    length: 1002,
    created: false,
  });
  const data = await fromRawfile(path);
  expect(data.length).toBe(1002);
  for (const k of [0, 500, 501, 1000, 1001]) expect(hex(data.msgs![k]!)).toBe(hex(messageFor(k)));

  // The same through the automatic recovery of a resumed daqkit writer (its lock left by a dead pid).
  const other = await staleEoaCopy("stale-eoa-resumed.h5");
  writeLock(other, deadPid());
  expect(await toRawfile(other, { msgs: [messageFor(1001)], msgHeaders: { io_groups: [1001 % 7] } })).toEqual({
    length: 1002,
    created: false,
  });
  expect((await fromRawfile(other)).length).toBe(1002);
});

test("a live daqkit writer holds the lock: appends, writers and repair fail with RAWHDF5_BUSY naming its pid, and change nothing", async () => {
  const path = `${dir}/live-writer.h5`;
  await toRawfile(path, { msgs: [new Uint8Array([1])] });
  const writer = await openRawfileWriter(path);
  try {
    expect(readFileSync(lockPathFor(path), "utf8")).toContain(`"pid":${process.pid}`);
    const append = await toRawfile(path, { msgs: [new Uint8Array([2])] }).catch((e: unknown) => e as RawHdf5Error);
    expect(append).toMatchObject({ code: "RAWHDF5_BUSY", category: "data", holderPid: process.pid, path });
    expect((append as Error).message).toContain(`pid ${process.pid}`);
    expect(await codeOf(openRawfileWriter(path))).toBe("RAWHDF5_BUSY");
    expect(await codeOf(repairRawfile(path))).toBe("RAWHDF5_BUSY");
    expect(writer.append([new Uint8Array([3])])).toBe(2);
  } finally {
    writer.close();
  }
  // Flags set (as while that writer runs) and a lock of another live process: still busy, never repaired.
  const crashed = await crashedCopy("live-lock.h5");
  writeLock(crashed, process.ppid);
  expect(await toRawfile(crashed, { msgs: [new Uint8Array([1])] }).catch((e: unknown) => e)).toMatchObject({
    code: "RAWHDF5_BUSY",
    holderPid: process.ppid,
  });
  expect(readSuperblock(crashed)!.flags).toBe(5);
  // A lock of another host is never taken over, even if that pid is dead here.
  writeLock(crashed, deadPid(), `${hostname()}-elsewhere`);
  expect(await codeOf(toRawfile(crashed, { msgs: [new Uint8Array([1])] }))).toBe("RAWHDF5_BUSY");
  expect(readSuperblock(crashed)!.flags).toBe(5);
});

test("flags set and no lock (another program's writer, running or crashed): appends still refuse with RAWHDF5_NEEDS_REPAIR", async () => {
  const path = await crashedCopy("no-lock.h5");
  expect(existsSync(lockPathFor(path))).toBe(false);
  expect(await toRawfile(path, { msgs: [new Uint8Array([1])] }).catch((e: unknown) => e)).toMatchObject({
    code: "RAWHDF5_NEEDS_REPAIR",
    superblockFlags: 5,
  });
  expect(await codeOf(openRawfileWriter(path))).toBe("RAWHDF5_NEEDS_REPAIR");
  expect(readSuperblock(path)!.flags).toBe(5);
  // The refusing appender released its lock: nothing is left to make the next one think a daqkit writer crashed.
  expect(existsSync(lockPathFor(path))).toBe(false);
  expect(await codeOf(toRawfile(path, { msgs: [new Uint8Array([1])] }))).toBe("RAWHDF5_NEEDS_REPAIR");
});
