/**
 * Fuzz the strax reader (issue 14): metadata JSON, dtype strings, run documents, every codec over
 * the real chunks of shared/testdata/strax, and mutated whole DataDirectories (load a run, an
 * assembled superrun and a stored superrun). Every outcome must be ok or a coded `RUNS_*` error;
 * each input runs in a worker with a deadline (a spin becomes a recorded hang). Replay a failure
 * with `DAQKIT_FUZZ_SEED=<seed>`.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  BASE_SEED,
  bundleScript,
  finish,
  type IsolatedInput,
  mutations,
  newTally,
  runIsolated,
  scaled,
  type Tally,
} from "../../../test/support/fault.js";
import { type Compressor, decompressChunk } from "../src/node.js";
import type { FuzzInput } from "./children/fuzz-worker.js";
import { removeDir, STRAX, tempDir } from "./helpers.js";

let work: string;
let script: string;
beforeAll(async () => {
  work = await tempDir();
  script = await bundleScript(join(import.meta.dirname, "children/fuzz-worker.ts"), join(work, "fuzz-worker.mjs"), []);
});
afterAll(async () => {
  await removeDir(work);
});

const DEADLINE_MS = 10_000;

/** Only RUNS_* codes count as coded here (another package's code would be a leak). */
function assertOwnCodes(tally: Tally): void {
  expect(Object.keys(tally.coded).filter((c) => !c.startsWith("RUNS_"))).toEqual([]);
}

/** Offsets where JSON structure changes: quotes, brackets, colons, digits after a colon. */
function jsonBoundaries(text: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) if ('{}[]:,"'.includes(String.fromCharCode(text[i]!))) out.push(i);
  return out;
}

function* labelled(prefix: string, items: Iterable<{ label: string; data: FuzzInput }>): Generator<IsolatedInput> {
  for (const { label, data } of items) yield { label: `${prefix} ${label}`, data };
}

it("metadata JSON, dtype strings and run documents", async () => {
  const tally = newTally("runs-fuzz-json");
  const meta = await readFile(join(STRAX, "v2/main/0-records-j3nd2fjbiq/records-j3nd2fjbiq-metadata.json"));
  const superMeta = await readFile(join(STRAX, "v2/main/_superrun_test_xasmpdqviq-peaks-xia2iit6vb/peaks-xia2iit6vb-metadata.json"));
  const runDoc = await readFile(join(STRAX, "v2/main/_superrun_test-metadata.json"));
  const dtype = JSON.parse(meta.toString("utf8")).dtype as string;
  const inputs: { label: string; data: FuzzInput }[] = [];
  // Fixed hostile inputs: 0 bytes, non-UTF-8, wrong types in fields, huge declared lengths/counts.
  const text = meta.toString("utf8");
  const fixed: [string, string | Uint8Array][] = [
    ["empty", ""],
    ["non-utf8", Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
    ["not-object", "[1, 2, 3]"],
    ["chunks-string", text.replace(/"chunks": \[/, '"chunks": "x", "was": [')],
    ["n-string", text.replace('"n": 10', '"n": "10"')],
    ["n-huge", text.replace('"n": 10', '"n": 100000000000000000000')],
    ["n-negative", text.replace('"n": 10', '"n": -10')],
    ["n-float", text.replace('"n": 10', '"n": 10.5')],
    ["nbytes-huge", text.replace(/"nbytes": \d+/, '"nbytes": 9007199254740993')],
    ["start-float", text.replace(/"start": (\d+)/, '"start": $1.5')],
    ["subruns-list", text.replace('"subruns": null', '"subruns": [1]')],
    ["compressor-number", text.replace('"compressor": "blosc"', '"compressor": 7')],
    ["dtype-list", text.replace(/"dtype": "[^"]*"/, '"dtype": [1]')],
    ["dtype-huge-shape", text.replace("(110,)", "(1000000000000,)")],
    ["dtype-shape-overflow", text.replace("(110,)", "(99999999999999999999,)")],
  ];
  for (const [label, t] of fixed)
    inputs.push({ label: `metadata ${label}`, data: { kind: "metadata", bytes: typeof t === "string" ? new TextEncoder().encode(t) : t } });
  for (const m of mutations(meta, { count: scaled(40), seed: BASE_SEED, boundaries: jsonBoundaries(meta) }))
    inputs.push({ label: `metadata ${m.label}`, data: { kind: "metadata", bytes: m.bytes } });
  for (const m of mutations(superMeta, { count: scaled(20), seed: BASE_SEED + 1000, boundaries: jsonBoundaries(superMeta) }))
    inputs.push({ label: `superrun-metadata ${m.label}`, data: { kind: "metadata", bytes: m.bytes } });
  for (const m of mutations(runDoc, { count: scaled(20), seed: BASE_SEED + 2000, boundaries: jsonBoundaries(runDoc) }))
    inputs.push({ label: `rundoc ${m.label}`, data: { kind: "rundoc", bytes: m.bytes } });
  for (const t of [
    "",
    "[",
    "[('a', '<i8', (2147483648,))]",
    "[('a', '<i8', (65536, 65536))]",
    "[('a', '<i8'), ('a', '<i8')]",
    "[(1, 2)]",
    "[('a', '<U99999999999')]",
    "[('a', [('b', [('c', '<i8')])])]",
    "[".repeat(20000),
  ])
    inputs.push({ label: `dtype fixed ${JSON.stringify(t.slice(0, 30))}`, data: { kind: "dtype", text: t } });
  const dtypeBytes = new TextEncoder().encode(dtype);
  for (const m of mutations(dtypeBytes, { count: scaled(30), seed: BASE_SEED + 3000 }))
    inputs.push({ label: `dtype ${m.label}`, data: { kind: "dtype", text: new TextDecoder().decode(m.bytes) } });
  await runIsolated(script, labelled("json", inputs), tally, { deadlineMs: DEADLINE_MS });
  expect(finish(tally)).toEqual([]);
  assertOwnCodes(tally);
});

it("every codec over the real chunks", async () => {
  const tally = newTally("runs-fuzz-codecs");
  const sources: [Compressor, string][] = [
    ["blosc", "v2/main/0-records-j3nd2fjbiq/records-j3nd2fjbiq-000003"],
    ["blosc", "v2/main/0-peaks-xia2iit6vb/peaks-xia2iit6vb-000000"],
    ["zstd", "v2/compressors/zstd/0-records-j3nd2fjbiq/records-j3nd2fjbiq-000003"],
    ["zstd", "v2/compressors/zstd/0-peaks-xia2iit6vb/peaks-xia2iit6vb-000000"],
    ["lz4", "v2/compressors/lz4/0-records-j3nd2fjbiq/records-j3nd2fjbiq-000003"],
    ["lz4", "v2/compressors/lz4/0-peaks-xia2iit6vb/peaks-xia2iit6vb-000000"],
    ["bz2", "v2/compressors/bz2/0-records-j3nd2fjbiq/records-j3nd2fjbiq-000003"],
    ["bz2", "v2/compressors/bz2/0-peaks-xia2iit6vb/peaks-xia2iit6vb-000000"],
  ];
  const inputs: { label: string; data: FuzzInput }[] = [];
  for (const [k, [compressor, rel]] of sources.entries()) {
    const bytes = new Uint8Array(await readFile(join(STRAX, rel)));
    const original = await decompressChunk(compressor, bytes);
    // bzip2 has block and stream CRCs; zstd frames written by strax carry no checksum, blosc and LZ4 frames none.
    const checksummed = compressor === "bz2";
    const boundaries = compressor === "blosc" ? [0, 4, 8, 12, 16, 20, 24] : [0, 4, 5, 6, 8, 12, bytes.length - 4];
    for (const m of mutations(bytes, { count: scaled(20), seed: BASE_SEED + 10_000 * (k + 1), boundaries })) {
      inputs.push({
        label: `${compressor} ${rel.split("/").pop()} ${m.label}`,
        data: { kind: "codec", compressor, bytes: m.bytes, expected: original.byteLength, original, checksummed },
      });
    }
    // Huge declared lengths: refused from the header, before the output is allocated.
    const huge = bytes.slice();
    const view = new DataView(huge.buffer);
    if (compressor === "blosc") {
      view.setUint32(4, 0xfffffff0, true); // nbytes
      view.setUint32(8, 0xfffffff0, true); // blocksize: one block, so the block table fits
    } else if (compressor === "lz4")
      view.setBigUint64(6, 1n << 40n, true); // frame content size
    else if (compressor === "zstd")
      huge.set([0xe0 | (huge[4]! & 0x1f)], 4); // 8-byte content size from the following bytes
    else huge.set([0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59], 0); // bzip2 block magic kept
    inputs.push({
      label: `${compressor} huge-declared-length ${rel.split("/").pop()}`,
      data: { kind: "codec", compressor, bytes: huge, expected: original.byteLength, original, checksummed },
    });
    if (compressor === "blosc") {
      inputs.push({
        label: `blosc huge-declared-length (no expected size) ${rel.split("/").pop()}`,
        data: { kind: "codec", compressor, bytes: huge, expected: -1, original, checksummed: false },
      });
    }
    // The same bytes under every other codec name (wrong compressor in the metadata).
    for (const other of ["blosc", "zstd", "lz4", "bz2"] as const) {
      if (other !== compressor)
        inputs.push({
          label: `${compressor}-as-${other} ${rel.split("/").pop()}`,
          data: { kind: "codec", compressor: other, bytes, expected: original.byteLength, original, checksummed: false },
        });
    }
  }
  await runIsolated(script, labelled("codec", inputs), tally, { deadlineMs: DEADLINE_MS });
  expect(finish(tally)).toEqual([]);
  assertOwnCodes(tally);
});

it("mutated whole data directories: load a run, a superrun assembled from subruns, a stored superrun", async () => {
  const tally = newTally("runs-fuzz-directories");
  const source = join(STRAX, "v2/main");
  const files: string[] = [];
  for (const e of await readdir(source, { withFileTypes: true })) {
    if (e.isDirectory()) for (const f of await readdir(join(source, e.name))) files.push(join(e.name, f));
    else files.push(e.name);
  }
  files.sort();
  const loads: [string, string, boolean][] = [
    ["0", "records", false],
    ["_superrun_test", "peaks", true],
    ["_superrun_test", "peaks", false],
    ["_superrun_ranges", "peaks", true],
  ];
  const inputs: { label: string; data: FuzzInput }[] = [];
  const perFile = Math.max(1, Math.ceil(scaled(30) / files.length));
  // Files that the loads above read.
  const read = files.filter((f) => /^(0-records|[012]-peaks|_superrun_(test|ranges))/.test(f));
  for (const [i, file] of read.entries()) {
    const bytes = await readFile(join(source, file));
    const boundaries = file.endsWith(".json") ? jsonBoundaries(bytes) : [0, 4, 8, 12, 16];
    for (const m of mutations(bytes, { count: perFile, seed: BASE_SEED + 100_000 + i * 100, boundaries })) {
      inputs.push({ label: `${file} ${m.label}`, data: { kind: "dir", source, file, bytes: m.bytes, loads } });
    }
  }
  await runIsolated(script, labelled("dir", inputs), tally, { deadlineMs: DEADLINE_MS });
  expect(finish(tally)).toEqual([]);
  assertOwnCodes(tally);
});
