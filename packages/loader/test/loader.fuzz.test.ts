/**
 * Fault suite of @daqkit/loader (issue 14): loader configs (0 bytes, not UTF-8, mutated JSON bytes,
 * values of the wrong type) and cut expressions (fast-check token soups and well-formed cuts on the
 * pygama-flow test data, per level, as list cuts, through the TCM). Every input runs in a worker
 * thread with a deadline; every outcome must be `ok` or a coded `LOADER_*`/`FILEDB_*`/`LH5_*` error.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BASE_SEED,
  bundleScript,
  finish,
  type IsolatedInput,
  mutations,
  newTally,
  prng,
  runIsolated,
  scaled,
} from "../../../test/support/fault.js";
import { CONFIGS, LH5_DATA } from "./paths.js";

const SETUP = {
  loaderConfig: join(CONFIGS, "pygama-flow/data-loader-config.json"),
  filedbConfig: join(CONFIGS, "pygama-flow/filedb-config.json"),
  dataDir: join(LH5_DATA, "prod-ref-l200/generated/tier"),
};

let bundled: Promise<string> | undefined;
/** The worker script, bundled once per file. */
function worker(): Promise<string> {
  bundled ??= bundleScript(join(import.meta.dirname, "fuzz-worker.ts"), join(import.meta.dirname, "../.vitest/loader-fuzz-worker.mjs"));
  return bundled;
}

function paths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const out: string[][] = prefix.length ? [prefix] : [];
  for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

const WRONG: unknown[] = [
  null,
  0,
  -1,
  true,
  "",
  "hit",
  "nope",
  "$_/missing.json",
  [],
  ["raw"],
  ["raw", "nope"],
  {},
  { tiers: [] },
  { a: 1 },
];

function expectCodes(coded: Record<string, number>): void {
  for (const code of Object.keys(coded)) expect(code).toMatch(/^(LOADER|FILEDB|LH5)_/);
}

describe("loader fault suite", () => {
  it("configs: empty, not UTF-8, mutated bytes, wrong types → ok or coded; no hang", async () => {
    const script = await worker();
    const text = readFileSync(SETUP.loaderConfig);
    const config = JSON.parse(text.toString("utf8")) as Record<string, unknown>;
    delete config.filedb; // the worker passes the FileDB
    const clean = Buffer.from(JSON.stringify(config));
    const inputs: IsolatedInput[] = [
      { label: "0 bytes", data: { kind: "config", bytes: new Uint8Array(0) } },
      { label: "not UTF-8", data: { kind: "config", bytes: new Uint8Array([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]) } },
      { label: "JSON null", data: { kind: "config", bytes: Buffer.from("null") } },
      { label: "JSON array", data: { kind: "config", bytes: Buffer.from("[]") } },
      { label: "unmutated", data: { kind: "config", bytes: clean } },
    ];
    for (const m of mutations(new Uint8Array(clean), { count: scaled(5), seed: BASE_SEED + 300 })) {
      inputs.push({ label: `bytes ${m.label}`, data: { kind: "config", bytes: m.bytes } });
    }
    const all = paths(config);
    const rnd = prng(BASE_SEED + 400);
    for (let i = 0; i < scaled(6); i++) {
      const path = all[Math.floor(rnd() * all.length)]!;
      const copy = structuredClone(config) as Record<string, unknown>;
      let node = copy;
      for (const k of path.slice(0, -1)) node = node[k] as Record<string, unknown>;
      const remove = rnd() < 0.2;
      const value = WRONG[Math.floor(rnd() * WRONG.length)];
      if (remove) delete node[path[path.length - 1]!];
      else node[path[path.length - 1]!] = value;
      inputs.push({
        label: `${remove ? "delete" : `set ${JSON.stringify(value)}`} at ${path.join(".")}`,
        data: { kind: "config", bytes: Buffer.from(JSON.stringify(copy)) },
      });
    }
    const tally = newTally("loader-configs");
    await runIsolated(script, inputs, tally, { deadlineMs: 20_000, workerData: SETUP });
    expect(finish(tally)).toEqual([]);
    expectCodes(tally.coded);
    expect(tally.ok).toBeGreaterThan(0);
  });

  it("cut expressions: token soups and well-formed cuts per level, as list cuts, through the TCM → ok or coded; no hang", async () => {
    const script = await worker();
    const tokens = [
      "trapEmax",
      "AoE",
      "is_valid_cal",
      "multiplicity",
      "coin_idx",
      "nope",
      ">",
      "<",
      "==",
      "and",
      "or",
      "not",
      "(",
      ")",
      "[",
      "]",
      "1000",
      "-1",
      "nan",
      "'x'",
      "+",
      "*",
      "**",
      ",",
    ];
    const soup = fc.array(fc.constantFrom(...tokens), { minLength: 1, maxLength: 8 }).map((t) => t.join(" "));
    const atom = fc
      .tuple(
        fc.constantFrom("trapEmax", "AoE", "is_valid_cal", "trapEmax * 2"),
        fc.constantFrom(">", "<", "==", "!="),
        fc.constantFrom("1000", "0", "-1", "5000.5", "True"),
      )
      .map((t) => t.join(" "));
    const cut = fc.array(atom, { minLength: 1, maxLength: 3 }).map((a) => a.join(" and "));
    const soups = fc.sample(soup, { seed: BASE_SEED + 10, numRuns: scaled(6) });
    const good = fc.sample(cut, { seed: BASE_SEED + 11, numRuns: scaled(5) });
    const levels = ["hit", "evt", "tcm", "nope"];
    const rnd = prng(BASE_SEED + 12);
    const inputs: IsolatedInput[] = [];
    [...soups, ...good].forEach((text, i) => {
      const mode = i % 3;
      const level = mode === 0 ? "hit" : levels[Math.floor(rnd() * levels.length)]!;
      const cuts = mode === 2 ? [text] : { [level]: text };
      const tcm = rnd() < 0.3;
      inputs.push({ label: `cut#${i} ${JSON.stringify(cuts)} tcm=${tcm}`, data: { kind: "cuts", cuts, tcm, columns: ["trapEmax"] } });
    });
    inputs.push({
      label: "deep",
      data: { kind: "cuts", cuts: { hit: `${"(".repeat(3000)}trapEmax${")".repeat(3000)} > 1` }, tcm: false, columns: ["trapEmax"] },
    });
    inputs.push({ label: "unknown column", data: { kind: "cuts", cuts: { hit: "trapEmax > 0" }, tcm: false, columns: ["nope"] } });
    const tally = newTally("loader-cuts");
    await runIsolated(script, inputs, tally, { deadlineMs: 20_000, workerData: SETUP });
    expect(finish(tally)).toEqual([]);
    expectCodes(tally.coded);
    expect(tally.ok).toBeGreaterThan(0);
  });
});
