/**
 * Fault suite of @daqkit/filedb (issue 14): FileDB configs (0 bytes, not UTF-8, mutated JSON bytes,
 * values of the wrong type) and query expressions (fast-check arbitrary strings and token soups).
 * Every input runs in a worker thread with a deadline; every outcome must be `ok` or a coded
 * `FILEDB_*` error (a parse error anywhere else, a raw TypeError, or a hang is a defect).
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
import { CONFIGS, PROD_REF } from "./helpers.js";

const CONFIG = join(CONFIGS, "pygama-flow/filedb-config.json");

let bundled: Promise<string> | undefined;
/** The worker script, bundled once per file. */
function worker(): Promise<string> {
  bundled ??= bundleScript(join(import.meta.dirname, "fuzz-worker.ts"), join(import.meta.dirname, "../.vitest/filedb-fuzz-worker.mjs"));
  return bundled;
}

/** Every JSON path of `value` (objects and arrays), for wrong-type replacements. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const out: (string | number)[][] = prefix.length ? [prefix] : [];
  for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, Array.isArray(value) ? Number(k) : k]));
  return out;
}

const WRONG: unknown[] = [null, 0, -1, 1.5, true, "", "{", "/", "{nope}", "{timestamp:%}", [], [1], {}, { a: 1 }, "x".repeat(300)];

function setPath(root: unknown, path: (string | number)[], value: unknown, remove: boolean): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove) delete node[last];
  else node[last] = value;
  return copy;
}

const TOKENS = [
  "timestamp",
  "type",
  "run",
  "period",
  "file_status",
  "raw_size",
  "dsp_tables",
  "x",
  "nope",
  "==",
  "!=",
  "<",
  "<=",
  ">",
  ">=",
  "and",
  "or",
  "not",
  "&",
  "|",
  "~",
  "in",
  "+",
  "-",
  "*",
  "/",
  "%",
  "**",
  "(",
  ")",
  "[",
  "]",
  ",",
  "'phy'",
  '"cal"',
  "'",
  '"',
  "0",
  "-1",
  "1e308",
  "1e-400",
  "0x10",
  "2**64",
  "30",
  "True",
  "None",
  "nan",
  "@",
  "`",
  "\\",
  ".",
];

describe("filedb fault suite", () => {
  it("configs: empty, not UTF-8, mutated bytes, wrong types → ok or FILEDB_*; no hang", async () => {
    const script = await worker();
    const text = readFileSync(CONFIG);
    const config = JSON.parse(text.toString("utf8")) as unknown;
    const inputs: IsolatedInput[] = [
      { label: "0 bytes", data: { kind: "config", bytes: new Uint8Array(0) } },
      { label: "not UTF-8", data: { kind: "config", bytes: new Uint8Array([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00, 0xc3, 0x28]) } },
      { label: "UTF-8 BOM", data: { kind: "config", bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text]) } },
      { label: "JSON null", data: { kind: "config", bytes: Buffer.from("null") } },
      { label: "JSON array", data: { kind: "config", bytes: Buffer.from("[1,2]") } },
      { label: "unmutated", data: { kind: "config", bytes: new Uint8Array(text) } },
    ];
    for (const m of mutations(new Uint8Array(text), { count: scaled(15), seed: BASE_SEED + 100 })) {
      inputs.push({ label: `bytes ${m.label}`, data: { kind: "config", bytes: m.bytes } });
    }
    const all = paths(config);
    const rnd = prng(BASE_SEED + 200);
    for (let i = 0; i < scaled(20); i++) {
      const path = all[Math.floor(rnd() * all.length)]!;
      const remove = rnd() < 0.2;
      const value = WRONG[Math.floor(rnd() * WRONG.length)];
      const mutated = setPath(config, path, value, remove);
      inputs.push({
        label: `${remove ? "delete" : `set ${JSON.stringify(value)?.slice(0, 20)}`} at ${path.join(".")}`,
        data: { kind: "config", bytes: Buffer.from(JSON.stringify(mutated)) },
      });
    }
    const tally = newTally("filedb-configs");
    await runIsolated(script, inputs, tally, { deadlineMs: 10_000, workerData: { configPath: CONFIG, dataDir: PROD_REF } });
    expect(finish(tally)).toEqual([]);
    for (const code of Object.keys(tally.coded)) expect(code).toMatch(/^FILEDB_/);
    expect(tally.ok).toBeGreaterThan(0);
  });

  it("query expressions: arbitrary strings and token soups → ok or FILEDB_*; no hang", async () => {
    const script = await worker();
    const soup = fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 12 }).map((t) => t.join(" "));
    const tight = fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 12 }).map((t) => t.join(""));
    const cols = ["timestamp", "type", "run", "period", "file_status", "raw_size", "hit_size"];
    const lits = ["'phy'", "'r001'", "30", "-1", "1.5e3", "['cal', 'phy']", "''"];
    const ops = ["==", "!=", "<", "<=", ">", ">=", "in", "not in"];
    const atom = fc.tuple(fc.constantFrom(...cols), fc.constantFrom(...ops), fc.constantFrom(...lits)).map((t) => t.join(" "));
    const valid = fc
      .tuple(fc.array(atom, { minLength: 1, maxLength: 4 }), fc.constantFrom(" and ", " or ", " & ", " | "), fc.boolean())
      .map(([atoms, joiner, negate]) => `${negate ? "not " : ""}(${atoms.join(joiner)})`);
    const deep = fc.integer({ min: 1, max: 5000 }).map((n) => `${"(".repeat(n)}run${")".repeat(n)} == 'r001'`);
    const texts = [
      ...fc.sample(fc.string({ maxLength: 40 }), { seed: BASE_SEED, numRuns: scaled(30) }),
      ...fc.sample(fc.string({ unit: "binary", maxLength: 40 }), { seed: BASE_SEED + 1, numRuns: scaled(20) }),
      ...fc.sample(soup, { seed: BASE_SEED + 2, numRuns: scaled(60) }),
      ...fc.sample(tight, { seed: BASE_SEED + 3, numRuns: scaled(20) }),
      ...fc.sample(valid, { seed: BASE_SEED + 5, numRuns: scaled(30) }),
      ...fc.sample(deep, { seed: BASE_SEED + 4, numRuns: scaled(4) }),
      "",
      " ",
      "all",
      "type == 'phy' and file_status == 30",
      "not not not type == 'cal'",
      "-".repeat(10000) + "1 > 0",
    ];
    const tally = newTally("filedb-queries");
    await runIsolated(
      script,
      texts.map((text, i) => ({ label: `query#${i} ${JSON.stringify(text).slice(0, 60)}`, data: { kind: "query", text } })),
      tally,
      { deadlineMs: 10_000, workerData: { configPath: CONFIG, dataDir: PROD_REF } },
    );
    expect(finish(tally)).toEqual([]);
    for (const code of Object.keys(tally.coded)) expect(code).toMatch(/^FILEDB_/);
    expect(tally.ok).toBeGreaterThan(0);
  });
});
