import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import type { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { createProgram } from "../src/program.js";
import { daqkit } from "./run.js";

const LH5 = join(import.meta.dirname, "../../../../shared/testdata/lh5");
const RAW = join(LH5, "prod-ref-l200/generated/tier/raw/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_raw.lh5");
const RAWHDF5 = join(import.meta.dirname, "../../../../shared/testdata/rawhdf5/raw_v0_0_two_iogroups.h5");
const tmp = mkdtempSync(join(tmpdir(), "daqkit-arrows-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function* allCommands(command: Command, path = ""): Generator<[string, Command]> {
  for (const sub of command.commands) {
    const p = `${path} ${sub.name()}`.trim();
    yield [p, sub];
    yield* allCommands(sub, p);
  }
}

const isStream = (path: string) => readFileSync(path).readUInt32LE(0) === 0xffffffff;
const isFile = (path: string) => readFileSync(path).subarray(0, 6).toString("latin1") === "ARROW1";

describe(".arrow is an Arrow IPC file, .arrows an Arrow IPC stream", () => {
  it("every --out that takes .arrow says it is an Arrow IPC file and also takes .arrows", async () => {
    const checked: string[] = [];
    for (const [path, cmd] of allCommands(await createProgram())) {
      const out = cmd.options.find((o) => o.long === "--out");
      if (!out?.description.includes(".arrow")) continue;
      checked.push(path);
      expect(out.description, path).toMatch(/\.arrow \(Arrow IPC file\)/);
      expect(out.description, path).toMatch(/\.arrows \(Arrow IPC stream\)/);
    }
    expect(checked.sort()).toEqual(["gen2 read", "lh5 export", "load", "merge", "rawhdf5 to-packets", "runs load"]);
  });

  it("lh5 export and rawhdf5 to-packets write both, with the same rows", async () => {
    for (const [args, name] of [
      [["lh5", "export", RAW, "ch1084803/raw", "--batch-rows", "4"], "raw"],
      [["rawhdf5", "to-packets", RAWHDF5], "packets"],
    ] as const) {
      const file = join(tmp, `${name}.arrow`);
      const stream = join(tmp, `${name}.arrows`);
      expect((await daqkit(...args, "--out", file)).code).toBe(0);
      const r = await daqkit(...args, "--out", stream);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(isFile(file)).toBe(true);
      expect(isStream(stream)).toBe(true);
      const a = tableFromIPC(readFileSync(file));
      const b = tableFromIPC(readFileSync(stream));
      expect(b.numRows).toBe(a.numRows);
      expect(b.numRows).toBeGreaterThan(0);
      expect(b.schema.fields.map((f) => f.name)).toEqual(a.schema.fields.map((f) => f.name));
    }
    const bad = await daqkit("lh5", "export", RAW, "ch1084803/raw", "--out", join(tmp, "x.feather"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(".arrows");
  });
});
