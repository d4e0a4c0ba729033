/** Issue 15 (strax 2.2.3 parity): run documents' sub_run_spec order and isStored's errors. */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DataDirectory, defineRun, parseRunDoc } from "../src/node.js";
import { formatRunDoc } from "../src/run-doc.js";
import { copyFolder, removeDir, STRAX } from "./helpers.js";

const cleanup: string[] = [];
afterEach(async () => {
  while (cleanup.length) await removeDir(cleanup.pop()!);
});

async function copy(folder: string): Promise<DataDirectory> {
  const path = await copyFolder(join(STRAX, folder));
  cleanup.push(path);
  return new DataDirectory(path);
}

describe("RunDoc.subRunSpec keeps document order", () => {
  it("for integer-like run ids, and writes it back in that order", () => {
    const text = '{"name": "_s", "sub_run_spec": {"10": "all", "9": [5, 7], "_a": "all", "2": "all"}}';
    const doc = parseRunDoc(text, "_s");
    expect(doc.subRunSpec!.map((e) => e.runId)).toEqual(["10", "9", "_a", "2"]);
    const written = formatRunDoc(doc);
    const keys = [...written.matchAll(/^ {8}"([^"]+)":/gm)].map((m) => m[1]);
    expect(keys).toEqual(["10", "9", "_a", "2"]);
    // The other keys stay sorted (strax 2.x writes sort_keys=True).
    expect([...written.matchAll(/^ {4}"([^"]+)":/gm)].map((m) => m[1])).toEqual(["name", "sub_run_spec"]);
    // Round trip: same order again, and a document in ascending order stays ascending.
    expect(parseRunDoc(written, "_s").subRunSpec!.map((e) => e.runId)).toEqual(["10", "9", "_a", "2"]);
    const ascending = parseRunDoc('{"name": "_t", "sub_run_spec": {"9": "all", "10": "all"}}', "_t");
    expect([...formatRunDoc(ascending).matchAll(/^ {8}"([^"]+)":/gm)].map((m) => m[1])).toEqual(["9", "10"]);
  });

  it("strax 2.x documents (sorted keys) are read in their on-disk order and rewritten byte-identically", async () => {
    for (const [folder, name] of [
      ["v2/main", "_superrun_test"],
      ["v2/main", "_superrun_ranges"],
      ["v2/epoch", "_superrun_epoch_ranges"],
    ] as const) {
      const path = join(STRAX, folder, `${name}-metadata.json`);
      const text = await readFile(path, "utf8");
      const doc = parseRunDoc(text, name, path);
      expect(doc.subRunSpec!.map((e) => e.runId)).toEqual(Object.keys(JSON.parse(text).sub_run_spec).sort());
    }
  });

  it("a superrun of runs '9' and '10' is written in time order and read back in it from the store", async () => {
    const dir = await copy("v2/main");
    // Give runs 0, 1 the names 9 and 10 (run 0 is earlier).
    for (const [from, to] of [
      ["0", "9"],
      ["1", "10"],
    ]) {
      const text = (await readFile(dir.runDocPath(from), "utf8")).replace(`"name": "${from}"`, `"name": "${to}"`);
      await writeFile(dir.runDocPath(to), text);
    }
    const { doc } = await defineRun(dir, "_nine_ten", ["10", "9"]);
    expect(doc.subRunSpec!.map((e) => e.runId)).toEqual(["9", "10"]);
    const onDisk = await readFile(dir.runDocPath("_nine_ten"), "utf8");
    expect(onDisk.indexOf('"9": "all"')).toBeLessThan(onDisk.indexOf('"10": "all"'));
    expect((await dir.readRunDoc("_nine_ten")).subRunSpec!.map((e) => e.runId)).toEqual(["9", "10"]);
  });
});

describe("isStored", () => {
  it("raises the coded error for an invalid run id or data type (strax raises) instead of returning false", async () => {
    const dir = new DataDirectory(join(STRAX, "v2/main"), { readonly: true });
    expect(await dir.isStored("0", "peaks")).toBe(true);
    expect(await dir.isStored("0", "nothing")).toBe(false);
    expect(await dir.isStored("42", "peaks")).toBe(false);
    for (const bad of ["", "0-peaks", "a/b", ".."]) {
      await expect(dir.isStored(bad, "peaks")).rejects.toMatchObject({ code: "RUNS_BAD_RUN_ID", runId: bad });
    }
    for (const bad of ["", "peaks-x", "pe/aks", "peaks x"]) {
      await expect(dir.isStored("0", bad)).rejects.toMatchObject({ code: "RUNS_BAD_RUN_ID", dataType: bad });
    }
  });
});
