import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIGS, TESTDATA } from "./paths.js";

// Worker threads run the built package (dist/load-worker.js, through @daqkit/loader/node); CI builds before testing.
const DIST = join(import.meta.dirname, "../dist/node.js");
const built = existsSync(join(import.meta.dirname, "../dist/load-worker.js"));

describe.skipIf(!built)("parallel load (worker threads, built package)", () => {
  it("gives the same table as the in-thread load, in both orientations and modes", async () => {
    const { openDataLoader } = (await import(DIST)) as typeof import("../src/node.js");
    const cfg = join(CONFIGS, "variants/data-loader-config-evt_synthetic.json");
    const one = await openDataLoader(cfg, { filedbOptions: { cwd: TESTDATA } });
    const two = await openDataLoader(cfg, { filedbOptions: { cwd: TESTDATA }, workers: 2 });
    for (const dl of [one, two]) {
      dl.setFiles("all");
      dl.setCuts({ hit: "trapEmax > 1000" });
      dl.setOutput({ columns: ["trapEmax", "energies", "multiplicity", "waveform"] });
    }
    for (const options of [{}, { tcmLevel: "tcm", mode: "any" as const }, { orientation: "evt" as const }]) {
      const a = await one.load(undefined, options);
      const b = await two.load(undefined, options);
      expect(b.numRows).toBe(a.numRows);
      expect(b.schema.fields.map(String)).toEqual(a.schema.fields.map(String));
      for (const f of a.schema.fields)
        expect(JSON.stringify([...(b.getChild(f.name) ?? [])].slice(0, 50))).toEqual(
          JSON.stringify([...(a.getChild(f.name) ?? [])].slice(0, 50)),
        );
    }
    // errors from a worker keep their code
    two.setCuts({ evt: "multiplicity > 1" });
    const bad = await openDataLoader(join(CONFIGS, "pygama-flow/data-loader-config.json"), {
      filedbOptions: { cwd: TESTDATA },
      workers: 2,
    });
    bad.setFiles("all");
    bad.setCuts({ evt: "x > 1" });
    bad.setOutput({ columns: ["trapEmax"] });
    await expect(bad.load()).rejects.toMatchObject({ code: "LOADER_FILE_MISSING" });
  });
});

describe("errors posted by a worker thread", () => {
  it("keep their class, code, category and daqkit marker (the CLI's exit code depends on them)", async () => {
    const { reviveWorkerError } = await import("../src/parallel.js");
    const { FileDbError } = await import("@daqkit/filedb");
    const marker = Symbol.for("daqkit.error");
    const { serializeError } = await import("@daqkit/io");
    // What a worker of @daqkit/io's pool posts for an error of another daqkit package:
    const source = new FileDbError("FILEDB_UNREADABLE", "filedb: cannot stat x", { path: "/x" });
    const foreign = reviveWorkerError(structuredClone(serializeError(source))) as Error & Record<string | symbol, unknown>;
    expect(foreign).toMatchObject({ code: "FILEDB_UNREADABLE", category: "not-found", name: "FileDbError", path: "/x" });
    expect(foreign[marker]).toBe(true);
    expect(foreign.stack).toBe(source.stack);
    const loader = reviveWorkerError({
      name: "LoaderError",
      code: "LOADER_TCM_OUT_OF_RANGE",
      message: "m",
      daqkit: true,
      context: { row: 3 },
    });
    expect(loader).toMatchObject({ name: "LoaderError", code: "LOADER_TCM_OUT_OF_RANGE", category: "data", row: 3 });
    // A bug in the worker stays a plain error, without the marker.
    const bug = reviveWorkerError({
      name: "TypeError",
      code: "ERR_INVALID_ARG_TYPE",
      message: "bad",
      daqkit: false,
      context: {},
    }) as Error & Record<symbol, unknown>;
    expect(bug[marker]).toBeUndefined();
    expect(bug.name).toBe("TypeError");
  });
});
