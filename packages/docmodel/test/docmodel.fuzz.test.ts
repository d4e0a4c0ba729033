import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type Mutation,
  bundleScript,
  finish,
  mutations,
  newTally,
  outcomeOf,
  prng,
  record,
  runIsolated,
  scaled,
} from "../../../test/support/fault.js";
import { decodeMsgpack } from "../src/index.js";
import { MsgpackDecoder } from "../src/msgpack/decoder.js";
import { differential } from "./fuzz/differential.js";
import { ALL_UIDS, TESTDATA } from "./helpers.js";

/*
 * Fault suite of the msgpack reader (issue 14): garbage, and mutated Python-written run files (bit flips, truncation
 * at record boundaries, huge declared str/bin/array/map lengths, invalid UTF-8), through the codec (differential
 * against msgpackr), decodeMsgpackRecords + loadRun, the fast loader, the directory catalog and stream().read().
 * Acceptable outcomes: ok or a coded DocModelError. Quick lane: 60 inputs per file; DAQKIT_SLOW=1: 600.
 */

const tmp = mkdtempSync(join(tmpdir(), "daqkit-docmodel-fuzz-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const FILES = ALL_UIDS.map((uid) => ({ uid, bytes: new Uint8Array(readFileSync(join(TESTDATA, `${uid}.msgpack`))) }));

/** Start offsets of every value (records, keys, values) of a file: where truncations and edits hurt most. */
function boundaries(bytes: Uint8Array): number[] {
  const out: number[] = [];
  const d = new MsgpackDecoder(bytes);
  // Record starts, then every value start inside: skip() one value at a time from each offset.
  while (d.pos < bytes.length) {
    out.push(d.pos);
    d.skip();
  }
  const records = [...out];
  for (let i = 0; i < records.length; i++) {
    const end = records[i + 1] ?? bytes.length;
    const v = new MsgpackDecoder(bytes, records[i] as number, end);
    // Step over headers: a value start is any offset from which skip() lands exactly on the record end.
    for (let p = (records[i] as number) + 1; p < end; p++) {
      const b = bytes[p] as number;
      if ((b >= 0x80 && b <= 0x9f) || (b >= 0xa0 && b <= 0xbf) || (b >= 0xc4 && b <= 0xc6) || (b >= 0xd9 && b <= 0xdf)) {
        v.pos = p;
        try {
          v.skip();
          if (v.pos <= end) out.push(p);
        } catch {
          // not a value start
        }
      }
    }
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/** Length headers set to huge values (str32/bin32/array32/map32 with 0xffffffff / 0x7fffffff) at value starts. */
function hugeLengths(bytes: Uint8Array, starts: number[], count: number, seed: number): Mutation[] {
  const rnd = prng(seed);
  const out: Mutation[] = [];
  const heads = [0xdb, 0xc6, 0xdd, 0xdf];
  for (let i = 0; i < count; i++) {
    const at = starts[Math.floor(rnd() * starts.length)] as number;
    const head = heads[Math.floor(rnd() * heads.length)] as number;
    const len = rnd() < 0.5 ? 0xffffffff : 0x7fffffff;
    const m = new Uint8Array(bytes.length + 4);
    m.set(bytes.subarray(0, at));
    m[at] = head;
    new DataView(m.buffer).setUint32(at + 1, len);
    m.set(bytes.subarray(at + 1), at + 5);
    out.push({
      label: `huge-header 0x${head.toString(16)}@${at} len=${len} seed=${seed}+${i}`,
      seed: seed + i,
      bytes: m.subarray(0, bytes.length + 4),
    });
  }
  return out;
}

/** Invalid UTF-8 spliced into str values: stray continuation, overlong, surrogate, cut sequence, > U+10FFFF. */
function badUtf8(bytes: Uint8Array, count: number, seed: number): Mutation[] {
  const rnd = prng(seed);
  const strs: number[] = [];
  for (let p = 0; p < bytes.length; p++) {
    const b = bytes[p] as number;
    if (b >= 0xa2 && b <= 0xbf && p + 1 + (b & 0x1f) <= bytes.length) strs.push(p);
  }
  const seqs = [[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0xff]];
  const out: Mutation[] = [];
  for (let i = 0; i < count; i++) {
    const at = strs[Math.floor(rnd() * strs.length)] as number;
    const n = (bytes[at] as number) & 0x1f;
    const seq = seqs[Math.floor(rnd() * seqs.length)] as number[];
    const m = bytes.slice();
    const into = at + 1 + Math.floor(rnd() * Math.max(1, n - seq.length + 1));
    for (let j = 0; j < seq.length && j < n; j++) m[into + j] = seq[j] as number;
    out.push({ label: `bad-utf8@${into} seq=${seq.map((x) => x.toString(16)).join("")} seed=${seed}+${i}`, seed: seed + i, bytes: m });
  }
  return out;
}

function inputsOf(file: { uid: string; bytes: Uint8Array }, fileIndex: number): Mutation[] {
  const starts = boundaries(file.bytes);
  const seed = 0x5eed + fileIndex * 100_000;
  const n = scaled(40);
  return [
    ...mutations(file.bytes, { count: n, seed, boundaries: starts }),
    ...mutations(file.bytes, { count: scaled(8), seed: seed + 50_000, boundaries: starts, kinds: ["truncate"] }),
    ...hugeLengths(file.bytes, starts, scaled(6), seed + 60_000),
    ...badUtf8(file.bytes, scaled(6), seed + 70_000),
  ].map((m) => ({ ...m, label: `${file.uid.slice(0, 8)} ${m.label}` }));
}

function garbage(count: number, seed: number): Mutation[] {
  const rnd = prng(seed);
  return Array.from({ length: count }, (_, i) => {
    const bytes = Uint8Array.from({ length: 1 + Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256));
    // Half of them look like a record: [str, map…].
    if (i % 2 === 0 && bytes.length > 8) bytes.set([0x92, 0xa5, 0x73, 0x74, 0x61, 0x72, 0x74]);
    return { label: `garbage#${i} seed=${seed}`, seed, bytes };
  });
}

const INPUTS = [...FILES.flatMap(inputsOf), ...garbage(scaled(30), 0xbad)];

describe("docmodel msgpack fault suite", () => {
  it("the codec agrees with msgpackr (or refuses with a documented code) on every mutated input", async () => {
    const tally = newTally("docmodel-msgpack-differential");
    const classes: Record<string, number> = {};
    for (const m of INPUTS) {
      const outcome = await outcomeOf(() => differential(m.bytes));
      if (outcome.kind === "ok" && outcome.detail) classes[outcome.detail] = (classes[outcome.detail] ?? 0) + 1;
      record(tally, m.label, outcome);
    }
    expect(finish(tally)).toEqual([]);
    // Every class of the oracle occurs (the suite really compares values and sees refusals).
    expect(classes.same).toBeGreaterThan(0);
    expect(classes["refused:DOCS_MSGPACK_BAD_UTF8"]).toBeGreaterThan(0);
    console.info(`docmodel differential (${INPUTS.length} inputs): ${JSON.stringify(classes)}`);
  });

  it("every reader gives ok or a coded error (isolated, with a deadline)", async () => {
    // apache-arrow is bundled too (a script in the temp dir cannot resolve it; docmodel loads it lazily).
    const script = await bundleScript(join(import.meta.dirname, "fuzz/fuzz-worker.ts"), join(tmp, "fuzz-worker.mjs"), []);
    const tally = newTally("docmodel-msgpack-readers");
    await runIsolated(
      script,
      INPUTS.map((m) => ({ label: m.label, data: m.bytes })),
      tally,
      { deadlineMs: 10_000, workerData: { dir: tmp } },
    );
    expect(finish(tally)).toEqual([]);
    console.info(`docmodel readers (${tally.inputs} inputs): ok ${tally.ok}, coded ${JSON.stringify(tally.coded)}`);
  });

  it("a declared length larger than the input is refused before allocating", () => {
    for (const head of [
      [0xdb, 0xff, 0xff, 0xff, 0xff], // str32
      [0xc6, 0x7f, 0xff, 0xff, 0xff], // bin32
      [0xdd, 0xff, 0xff, 0xff, 0xff], // array32
      [0xdf, 0xff, 0xff, 0xff, 0xff], // map32
      [0xdc, 0xff, 0xff], // array16
    ]) {
      const bytes = Uint8Array.from([...head, 0x01, 0x02, 0x03]);
      // Array and map headers are checked against the remaining bytes: no element is decoded and no
      // 4-billion-slot array is created (the decoder stops at the header, cursor unchanged past it).
      const d = new MsgpackDecoder(bytes);
      let decoded = 0;
      const original = d.decode.bind(d);
      d.decode = () => {
        decoded++;
        return original();
      };
      expect(() => d.decode()).toThrow();
      expect(decoded).toBe(1);
      expect(() => decodeMsgpack(bytes)).toThrow(expect.objectContaining({ code: "DOCS_MSGPACK_TRUNCATED" }));
    }
  });
});
