import { join } from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { createProgram } from "../src/program.js";
import { daqkit } from "./run.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata");
const FLOW = join(TESTDATA, "lh5/configs/pygama-flow/data-loader-config.json");
const FILEDB = join(TESTDATA, "lh5/configs/pygama-flow/filedb-config.json");
const DATA_DIR = join(TESTDATA, "lh5/prod-ref-l200/generated/tier");

function* allCommands(command: Command, path: string[] = []): Generator<[string, Command]> {
  for (const sub of command.commands) {
    const p = [...path, sub.name()];
    yield [p.join(" "), sub];
    yield* allCommands(sub, p);
  }
}

describe("repeatable options take exactly one value per use", () => {
  it("no option of any command is variadic (a variadic option swallows the positionals after it)", async () => {
    const variadic: string[] = [];
    for (const [path, cmd] of allCommands(await createProgram())) {
      for (const o of cmd.options) if (o.variadic) variadic.push(`${path} ${o.long}`);
    }
    expect(variadic).toEqual([]);
  });

  it("`load --cut EXPR CONFIG` leaves CONFIG positional; --cut repeats and the cuts are AND-ed", async () => {
    const r = await daqkit(
      "--json",
      "load",
      "--cut",
      "hit:trapEmax > 5000",
      FLOW,
      "--data-dir",
      DATA_DIR,
      "--files",
      "all",
      "--channels",
      "1084803,1084804,1121600",
      "--columns",
      "trapEmax",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).rows).toBe(14);
    const two = await daqkit(
      "--json",
      "load",
      "--cut",
      "hit:trapEmax > 5000",
      "--cut",
      "hit:trapEmax < 0",
      FLOW,
      "--data-dir",
      DATA_DIR,
      "--files",
      "all",
      "--channels",
      "1084803,1084804,1121600",
      "--columns",
      "trapEmax",
    );
    expect(two.stderr).toBe("");
    expect(JSON.parse(two.stdout).rows).toBe(0);
  });

  it("`filedb scan --dirs DIR CONFIG` leaves CONFIG positional; --dirs repeats", async () => {
    const r = await daqkit("--json", "filedb", "scan", "--dirs", "cal/p03/r001", FILEDB, "--data-dir", DATA_DIR);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).cycles).toBe(2);
    const both = await daqkit(
      "--json",
      "filedb",
      "scan",
      "--dirs",
      "cal/p03/r001",
      "--dirs",
      "phy/p03/r001",
      FILEDB,
      "--data-dir",
      DATA_DIR,
    );
    expect(both.code).toBe(0);
    expect(JSON.parse(both.stdout).cycles).toBe(4);
  });
});
