/**
 * Coded errors name where the problem is (issue 14): store path, run, data type and the file or
 * metadata field involved.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tableFromArrays } from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { DataDirectory, iterateChunks, loadTable, putArrow, type RunsError } from "../src/node.js";
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

async function caught(p: Promise<unknown>): Promise<RunsError> {
  try {
    await p;
  } catch (error) {
    return error as RunsError;
  }
  throw new Error("expected a RunsError");
}

describe("RUNS_BAD_DTYPE names store, run, data type and field", () => {
  it("a damaged dtype in the data metadata", async () => {
    const dir = await copy("v2/main");
    const meta = join(dir.path, "0-peaks-xia2iit6vb", "peaks-xia2iit6vb-metadata.json");
    await writeFile(meta, (await readFile(meta, "utf8")).replace("'<i8'", "'<q9'"));
    const e = await caught(loadTable(dir, "0", "peaks"));
    expect(e).toMatchObject({ code: "RUNS_BAD_DTYPE", path: meta, runId: "0", dataType: "peaks", field: "dtype" });
    expect(e.message).toContain(meta);
    expect(e.message).toContain("run 0");
    expect(e.message).toContain("peaks");
    expect(e.message).toContain('"dtype"');
    expect(e.message).toContain('"<q9"');
  });

  it("a dtype without time", async () => {
    const dir = await copy("v2/main");
    const meta = join(dir.path, "1-records-j3nd2fjbiq", "records-j3nd2fjbiq-metadata.json");
    await writeFile(meta, (await readFile(meta, "utf8")).replace("'time'), '<i8'", "'time'), '<f8'"));
    const e = await caught(
      (async () => {
        for await (const _ of iterateChunks(dir, "1", "records")) void _;
      })(),
    );
    expect(e).toMatchObject({ code: "RUNS_BAD_DTYPE", runId: "1", dataType: "records", field: "time", chunkIndex: 0 });
    expect(e.path).toContain("records-j3nd2fjbiq-metadata.json");
    expect(e.message).toContain('"<f8"');
  });

  it("a stored superrun's dtype names the superrun", async () => {
    const dir = await copy("v2/main");
    const meta = join(dir.path, "_superrun_test_xasmpdqviq-peaks-xia2iit6vb", "peaks-xia2iit6vb-metadata.json");
    await writeFile(meta, (await readFile(meta, "utf8")).replace("'<i8'", "'<i9'"));
    const e = await caught(loadTable(dir, "_superrun_test", "peaks"));
    expect(e).toMatchObject({ code: "RUNS_BAD_DTYPE", runId: "_superrun_test", dataType: "peaks", path: meta, field: "dtype" });
  });

  it("put of a table without an end names the store, run and type", async () => {
    const dir = await copy("v2/empty");
    const e = await caught(putArrow(dir, "3", "hits", tableFromArrays({ time: new BigInt64Array(3) })));
    expect(e).toMatchObject({ code: "RUNS_BAD_DTYPE", path: dir.path, runId: "3", dataType: "hits", field: "endtime" });
    expect(e.message).toContain(dir.path);
    expect(e.message).toContain("hits of run 3");
  });
});

describe("chunk errors name the run and data type", () => {
  it("a corrupt chunk file", async () => {
    const dir = await copy("v2/main");
    const chunk = join(dir.path, "2-records-j3nd2fjbiq", "records-j3nd2fjbiq-000004");
    const bytes = await readFile(chunk);
    bytes[40] = (bytes[40] ?? 0) ^ 0xff;
    bytes.fill(0, 20, 60);
    await writeFile(chunk, bytes);
    const e = await caught(loadTable(dir, "2", "records"));
    expect(e).toMatchObject({ code: "RUNS_CORRUPT_CHUNK", path: chunk, runId: "2", dataType: "records", chunkIndex: 4 });
  });
});

describe("JSON files are strict UTF-8, as Python's json.load", () => {
  it("an invalid byte in the data metadata is RUNS_BAD_JSON with its offset, not a U+FFFD title", async () => {
    const dir = await copy("v2/main");
    const meta = join(dir.path, "0-records-j3nd2fjbiq", "records-j3nd2fjbiq-metadata.json");
    const bytes = await readFile(meta);
    const at = bytes.indexOf("Start time");
    bytes[at] = 0xff;
    await writeFile(meta, bytes);
    await expect(dir.findData("0", "records", { allowIncomplete: true })).rejects.toMatchObject({
      code: "RUNS_BAD_JSON",
      path: meta,
      byteOffset: at,
    });
  });

  it("an invalid byte in a run document is RUNS_BAD_RUN_DOC naming the run", async () => {
    const dir = await copy("v2/main");
    const bytes = await readFile(dir.runDocPath("1"));
    bytes[bytes.indexOf("name") + 1] = 0xc3;
    await writeFile(dir.runDocPath("1"), bytes);
    await expect(dir.readRunDoc("1")).rejects.toMatchObject({ code: "RUNS_BAD_RUN_DOC", runId: "1", path: dir.runDocPath("1") });
  });
});
