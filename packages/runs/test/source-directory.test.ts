import { join } from "node:path";
import { openDirectorySource } from "@daqkit/io/node";
import { describe, expect, it } from "vitest";
import { DataDirectory as SourceDataDirectory } from "../src/index.js";
import { DataDirectory } from "../src/node.js";
import { digestRead } from "./browser/digest.js";
import { STRAX } from "./helpers.js";

describe("the platform-neutral DataDirectory over a Node directory source", () => {
  it("reads runs and superruns exactly as the path-based Node DataDirectory", async () => {
    const path = join(STRAX, "v2/main");
    const bySource = new SourceDataDirectory(await openDirectorySource(path));
    const byPath = new DataDirectory(path);
    expect(await bySource.listRunIds()).toEqual(await byPath.listRunIds());
    for (const [runId, dataType, fromSubruns] of [
      ["0", "records", false],
      ["_superrun_test", "peaks", false],
      ["_superrun_test", "peaks", true],
      ["_superrun_ranges", "records", false],
    ] as const) {
      expect(await digestRead(bySource, runId, dataType, { fromSubruns })).toEqual(
        await digestRead(byPath, runId, dataType, { fromSubruns }),
      );
    }
    expect((await bySource.requireData("0", "records")).path).toBe(join(path, "0-records-j3nd2fjbiq"));
  });

  it("is read-only and names missing things with the same codes", async () => {
    const dir = new SourceDataDirectory(await openDirectorySource(join(STRAX, "v2/main")));
    expect(() => dir.assertWritable()).toThrow(expect.objectContaining({ code: "RUNS_READONLY" }));
    await expect(dir.readRunDoc("999")).rejects.toMatchObject({ code: "RUNS_RUN_DOC_NOT_FOUND" });
    await expect(dir.requireData("0", "nothing")).rejects.toMatchObject({ code: "RUNS_DATA_NOT_FOUND" });
    expect(await dir.hasRunDoc("0")).toBe(true);
    expect(await dir.hasRunDoc("999")).toBe(false);
  });
});
