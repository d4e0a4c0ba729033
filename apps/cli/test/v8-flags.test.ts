import { describe, expect, it } from "vitest";
import { NO_INLINING_COMMANDS, v8FlagsFor, WASM_TIERING_BUDGET } from "../src/v8-flags.js";

describe("the daqkit process's V8 flags", () => {
  const budget = `--wasm-tiering-budget=${WASM_TIERING_BUDGET}`;

  it("load runs TurboFan without inlining, with or without the global --json before it", () => {
    expect(NO_INLINING_COMMANDS).toContain("load");
    expect(v8FlagsFor(["load", "cfg.json", "--files", "all"], {})).toEqual([budget, "--no-turbo-inlining"]);
    expect(v8FlagsFor(["--json", "load", "cfg.json"], {})).toEqual([budget, "--no-turbo-inlining"]);
  });

  it("other commands keep inlining (gen2's loops are slower without it); an option value named load is not the command", () => {
    expect(v8FlagsFor(["gen2", "convert-all", "in", "out"], {})).toEqual([budget]);
    expect(v8FlagsFor(["filedb", "scan", "load"], {})).toEqual([budget]);
    expect(v8FlagsFor([], {})).toEqual([budget]);
  });

  it("DAQKIT_V8_DEFAULTS=1 sets no flag at all", () => {
    expect(v8FlagsFor(["load", "cfg.json"], { DAQKIT_V8_DEFAULTS: "1" })).toEqual([]);
    expect(v8FlagsFor(["gen2", "convert-all"], { DAQKIT_V8_DEFAULTS: "1" })).toEqual([]);
    expect(v8FlagsFor(["load"], { DAQKIT_V8_DEFAULTS: "0" })).toEqual([budget, "--no-turbo-inlining"]);
  });
});
