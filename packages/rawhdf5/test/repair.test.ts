import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, expect, test } from "vitest";
import { fromRawfile, RawHdf5Error, repairRawfile, toRawfile } from "../src/node.js";
import { loadH5 } from "../src/h5/node-runtime.js";
import { readSuperblock, writeSuperblockFlags } from "../src/h5/superblock-node.js";
import { copyPythonFile, EXPECTED, hex, tempDir } from "./helpers.js";

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
