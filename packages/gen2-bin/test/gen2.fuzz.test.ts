/**
 * Fault suite of @daqkit/gen2-bin (issue 14): mutated word streams and mutated bin directories.
 *
 * - Word streams (in-process: the decoder is one bounded loop and cannot spin): the two test vectors of
 *   shared/testdata/gen2-bin and a gen2_make.py file, with bit flips, zeroed runs, truncations at word
 *   and frame boundaries, huge values, duplicated and deleted slices. Every outcome must be `ok` or a
 *   coded `GEN2_*` error, and every `ok` decode must equal an independent reference decode written
 *   from the spec (§2.4, §2.5, §4.3): the format's checks are the word classes, so any other result is
 *   silent garbage. The streaming reader must agree with the whole-buffer decoder.
 * - Directories (each in a worker thread with a deadline: conversion runs parquet-wasm): a small
 *   gen2_make.py night with one file mutated, truncated, emptied, renamed, or an extra odd file.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BASE_SEED,
  bundleScript,
  finish,
  type IsolatedInput,
  mutateOnce,
  mutations,
  newTally,
  outcomeOf,
  prng,
  record,
  runIsolated,
  scaled,
} from "../../../test/support/fault.js";
import { decodeGen2Arrays, iterateGen2Batches } from "../src/node.js";
import { gen2Make, TESTDATA, tempDir } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let night: { name: string; bytes: Uint8Array }[];

beforeAll(() => {
  tmp = tempDir("gen2-fuzz-");
  const dir = join(tmp.path, "night");
  gen2Make(dir, "--photons", "3000", "--seconds", "3", "--split-frame", "--boards", "220,221");
  night = readdirSync(dir)
    .filter((n) => n.endsWith(".bin"))
    .sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(dir, name))) }));
});
afterAll(() => tmp.cleanup());

/** Reference decode (spec §2.4/§2.5): photons in file order; photon words before the first header are orphans. */
function referenceDecode(bytes: Uint8Array): {
  xy: number[];
  ts: number[];
  phase: number[];
  baseline: number[];
  board: number[];
  wide: number;
  orphans: number;
  headers: number;
  paddings: number;
} {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = {
    xy: [] as number[],
    ts: [] as number[],
    phase: [] as number[],
    baseline: [] as number[],
    board: [] as number[],
    wide: 0,
    orphans: 0,
    headers: 0,
    paddings: 0,
  };
  let headerTs = -1;
  let board = -1;
  for (let at = 0; at + 8 <= bytes.length; at += 8) {
    const hi = view.getUint32(at, false);
    const lo = view.getUint32(at + 4, false);
    if (hi >>> 24 === 0xff) {
      headerTs = (hi & 0xf) * 4294967296 + lo;
      board = (hi >>> 16) & 0xff;
      out.headers++;
    } else if (hi === 0x7fffffff && lo === 0xffffffff) out.paddings++;
    else if (headerTs < 0) out.orphans++;
    else {
      const x = hi >>> 22;
      const y = (hi >>> 12) & 0x3ff;
      if (x > 255 || y > 255) {
        out.wide++;
        continue;
      }
      out.xy.push((x << 8) | y);
      out.ts.push(headerTs * 500 + ((hi >>> 3) & 0x1ff));
      out.phase.push(((((hi & 0x7) << 15) | (lo >>> 17)) << 14) >> 14);
      out.baseline.push(((lo & 0x1ffff) << 15) >> 15);
      out.board.push(board);
    }
  }
  return out;
}

/** Decode `bytes` whole and streamed; throw a plain Error (an `uncaught` defect) on any disagreement. */
async function checkWords(bytes: Uint8Array): Promise<string> {
  const r = decodeGen2Arrays(bytes, { board: true });
  const ref = referenceDecode(bytes);
  const got = r.photons;
  const same =
    got.xy.length === ref.xy.length &&
    ref.xy.every(
      (v, i) =>
        got.xy[i] === v &&
        got.timestamp[i] === BigInt(ref.ts[i]!) &&
        got.phase[i] === ref.phase[i] &&
        got.baseline[i] === ref.baseline[i] &&
        got.board![i] === ref.board[i],
    );
  if (
    !same ||
    r.stats.widePhotons !== ref.wide ||
    r.stats.orphanWords !== ref.orphans ||
    r.stats.headers !== ref.headers ||
    r.stats.paddings !== ref.paddings
  ) {
    throw new Error(
      `silent garbage: decoder gave ${got.xy.length} photons/${r.stats.widePhotons} wide/${r.stats.orphanWords} orphans, reference ${ref.xy.length}/${ref.wide}/${ref.orphans}`,
    );
  }
  let streamed = 0;
  let stats = r.stats;
  for await (const b of iterateGen2Batches(bytes, { batchBytes: Math.max(64, bytes.length >> 3) })) {
    streamed += b.photons.numRows;
    stats = b.stats;
  }
  if (streamed !== got.xy.length || JSON.stringify(stats) !== JSON.stringify(r.stats)) {
    throw new Error(`streamed decode differs: ${streamed} photons ${JSON.stringify(stats)} vs ${got.xy.length} ${JSON.stringify(r.stats)}`);
  }
  return `${got.xy.length} photons`;
}

/** Byte offsets of every word and of every header word (frame starts). */
function boundaries(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = 0; at < bytes.length; at += 8) if (bytes[at] === 0xff || at % 64 === 0) out.push(at);
  out.push(bytes.length);
  return out;
}

function expectGen2Only(tally: ReturnType<typeof newTally>): void {
  for (const code of Object.keys(tally.coded)) expect(code).toMatch(/^GEN2_/);
}

describe("gen2 fault suite", () => {
  it("mutated word streams decode exactly like the reference, or fail with a GEN2_* code", async () => {
    const tally = newTally("gen2-bin-words");
    const bases: [string, Uint8Array][] = [
      ["binney_test_packet", new Uint8Array(readFileSync(join(TESTDATA, "binney_test_packet.bin")))],
      ["extremes", new Uint8Array(readFileSync(join(TESTDATA, "extremes.bin")))],
      ["night0", night[0]!.bytes],
      ["night1", night[1]!.bytes],
    ];
    for (const [name, base] of bases) {
      record(tally, `${name} unmutated`, await outcomeOf(() => checkWords(base)));
      const n = name.startsWith("night") ? scaled(30) : scaled(50);
      for (const m of mutations(base, { count: n, seed: BASE_SEED + name.length * 1000, boundaries: boundaries(base) })) {
        record(tally, `${name} ${m.label}`, await outcomeOf(() => checkWords(m.bytes)));
      }
    }
    for (const [label, bytes] of [
      ["empty", new Uint8Array(0)],
      ["one byte", new Uint8Array([0xff])],
      ["seven bytes", new Uint8Array(7).fill(0xff)],
      ["one padding word", new Uint8Array([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
      ["all-ones header", new Uint8Array(8).fill(0xff)],
      ["zeros", new Uint8Array(4096)],
    ] as const) {
      record(tally, label, await outcomeOf(() => checkWords(bytes)));
    }
    expect(finish(tally)).toEqual([]);
    expectGen2Only(tally);
    expect(tally.ok).toBeGreaterThan(tally.inputs / 4);
  });

  it("mutated bin directories convert and read back, or fail with a GEN2_* code; no hang", async () => {
    const script = await bundleScript(
      join(import.meta.dirname, "fuzz-dir-worker.ts"),
      join(import.meta.dirname, "../.vitest/gen2-fuzz-dir-worker.mjs"),
    );
    const tally = newTally("gen2-bin-directories");
    const inputs: IsolatedInput[] = [];
    const rnd = prng(BASE_SEED);
    const count = scaled(3);
    for (let i = 0; i < count; i++) {
      const files = night.map((f) => ({ ...f }));
      const k = Math.floor(rnd() * files.length);
      const victim = files[k]!;
      const variant = i % 5;
      let label: string;
      if (variant === 0) {
        label = `empty ${victim.name}`;
        victim.bytes = new Uint8Array(0);
      } else if (variant === 1) {
        const at = Math.floor(rnd() * victim.bytes.length);
        label = `truncate ${victim.name}@${at}`;
        victim.bytes = victim.bytes.slice(0, at);
      } else if (variant === 2) {
        const name = ["x.bin", ".bin", `${victim.name.slice(0, -4)}.BIN`, "-1.bin", "1e3.bin", "00001.bin"][Math.floor(rnd() * 6)]!;
        label = `rename ${victim.name}→${name}`;
        victim.name = name;
      } else if (variant === 3) {
        label = `extra 3-byte and no-header files`;
        files.push({ name: "1.bin", bytes: new Uint8Array([1, 2, 3]) }, { name: "2.bin", bytes: new Uint8Array(800) });
      } else {
        const m = mutateOnce(victim.bytes, BASE_SEED + 7000 + i, { boundaries: boundaries(victim.bytes) });
        label = `${victim.name} ${m.label}`;
        victim.bytes = m.bytes;
      }
      inputs.push({ label, data: { files } });
    }
    await runIsolated(script, inputs, tally, { deadlineMs: 20_000 });
    expect(finish(tally)).toEqual([]);
    expectGen2Only(tally);
    expect(tally.ok).toBeGreaterThan(0);
  });
});
