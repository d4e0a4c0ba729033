import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Chunk, DataDirectory, defineRun, iterateChunks, loadTable, makeDtype, selectRuns, writeSuperrun } from "../src/node.js";
import { formatRunDoc } from "../src/run-doc.js";
import { copyFolder, removeDir, STRAX, sumBigInt, tempDir } from "./helpers.js";

const cleanup: string[] = [];
afterEach(async () => {
  while (cleanup.length) await removeDir(cleanup.pop()!);
});

async function copy(folder: string): Promise<DataDirectory> {
  const path = await copyFolder(join(STRAX, folder));
  cleanup.push(path);
  return new DataDirectory(path);
}

async function collect(it: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const out: Chunk[] = [];
  for await (const c of it) out.push(c);
  return out;
}

function bytesOf(chunks: Chunk[]): Buffer {
  return Buffer.concat(chunks.map((c) => c.data));
}

const ROWS = makeDtype([
  { name: "time", typestr: "<i8", title: "Start time since unix epoch [ns]" },
  { name: "length", typestr: "<i4" },
  { name: "dt", typestr: "<i2" },
  { name: "channel", typestr: "<i2" },
]);
const LINEAGE = { rows: ["Rows", "0.0.0", {}] };

/** Write run `runId` with rows at `times` (each 1 ns long), one chunk per `bounds` interval, plus a run doc. */
async function writeRun(dir: DataDirectory, runId: string, bounds: [bigint, bigint][], times: bigint[], docSeconds: [number, number]) {
  const w = await dir.openWriter({ key: { runId, dataType: "rows" }, dtype: ROWS, lineage: LINEAGE });
  for (const [start, end] of bounds) {
    const inside = times.filter((t) => t >= start && t < end);
    const data = new Uint8Array(inside.length * ROWS.itemsize);
    const view = new DataView(data.buffer);
    inside.forEach((t, i) => {
      view.setBigInt64(i * 16, t, true);
      view.setInt32(i * 16 + 8, 1, true);
      view.setInt16(i * 16 + 12, 1, true);
      view.setInt16(i * 16 + 14, i, true);
    });
    await w.write({ runId, dataType: "rows", dataKind: "rows", dtype: ROWS, start, end, n: inside.length, data, subruns: null });
  }
  await w.close();
  const t0 = Date.parse("2024-01-01T00:00:00Z");
  await dir.writeRunDoc({
    name: runId,
    start: new Date(t0 + docSeconds[0] * 1000),
    end: new Date(t0 + docSeconds[1] * 1000),
    mode: "m",
    source: "s",
    tags: [{ name: `t${runId}` }],
    extra: {},
  });
}

describe("loading unstored superruns equals strax's stored superruns", () => {
  it.each([
    ["v2/main", "_superrun_test", "peaks"],
    ["v2/main", "_superrun_ranges", "peaks"],
    ["v2/epoch", "_superrun_epoch", "peaks"],
    ["v2/epoch", "_superrun_epoch_ranges", "peaks"],
    ["v1/main", "_superrun_test", "records"],
    ["v1/main", "_superrun_ranges", "records"],
    ["v1/main", "_superrun_test", "peaks"],
  ])("%s %s %s", async (folder, name, type) => {
    const dir = new DataDirectory(join(STRAX, folder), { readonly: true });
    const stored = await collect(iterateChunks(dir, name, type));
    const assembled = await collect(iterateChunks(dir, name, type, { fromSubruns: true }));
    expect(assembled.every((c) => c.runId === name)).toBe(true);
    expect(Buffer.compare(bytesOf(assembled), bytesOf(stored))).toBe(0);
    // The per-subrun maps merge to the stored chunk's map.
    const merged = new Map<string, [bigint, bigint]>();
    for (const c of assembled) {
      for (const [id, r] of c.subruns!) {
        const m = merged.get(id);
        merged.set(id, m ? [m[0], r.end] : [r.start, r.end]);
      }
    }
    expect([...merged]).toEqual([...stored[0]!.subruns!].map(([id, r]) => [id, [r.start, r.end]]));
  });

  it("v2 superrun records (not stored) concatenate the subruns' records in time order", async () => {
    const dir = new DataDirectory(join(STRAX, "v2/main"));
    const table = await loadTable(dir, "_superrun_test", "records");
    expect(table.numRows).toBe(300);
    expect(sumBigInt(table, "time")).toBe(7350n);
    const ranged = await loadTable(dir, "_superrun_ranges", "records");
    expect(ranged.numRows).toBe(90);
    expect(sumBigInt(ranged, "time")).toBe(1900n);
  });

  it("an outer time range slices an assembled superrun", async () => {
    const dir = new DataDirectory(join(STRAX, "v2/main"));
    const table = await loadTable(dir, "_superrun_test", "records", { timeRange: { start: 5n, end: 25n } });
    expect(table.numRows).toBe(100); // rows 5..9 of run 0 and 20..24 of run 1
    expect(sumBigInt(table, "time")).toBe((5n + 6n + 7n + 8n + 9n + 20n + 21n + 22n + 23n + 24n) * 10n);
  });
});

describe("defineRun", () => {
  it("derives the strax fields and writes the document atomically (v2/main subruns)", async () => {
    const dir = await copy("v2/main");
    const { doc, warnings } = await defineRun(dir, "_mine", ["2", "0", "1"]);
    expect(warnings).toEqual([]);
    expect(doc.subRunSpec!.map((e) => e.runId)).toEqual(["0", "1", "2"]);
    expect(doc.start!.toISOString()).toBe("2021-07-14T12:30:00.000Z");
    expect(doc.end!.toISOString()).toBe("2021-07-14T12:30:50.000Z");
    expect(doc.livetime).toBe(30);
    const back = await dir.readRunDoc("_mine");
    expect(back.subRunSpec!.map((e) => e.runId)).toEqual(["0", "1", "2"]);
    expect(back.livetime).toBe(30);
    const strax = await dir.readRunDoc("_superrun_test");
    expect([...(back.mode as string[])].sort()).toEqual([...(strax.mode as string[])].sort());
    expect(back.tags!.map((t) => t.name).sort()).toEqual(strax.tags!.map((t) => t.name).sort());
    // Same JSON shape as strax 2.x writes (sorted keys, indent 4).
    const text = await readFile(dir.runDocPath("_mine"), "utf8");
    expect(text).toContain('    "livetime": 30.0,\n');
    expect(text).toContain('"start": {\n        "$date": 1626265800000\n    }');
  });

  it("runs '9' and '10' load in time order (strax 2.x fails: lexicographic order)", async () => {
    const path = await tempDir();
    cleanup.push(path);
    const dir = new DataDirectory(path);
    await writeRun(dir, "9", [[1000n, 2000n]], [1000n, 1500n], [0, 10]);
    await writeRun(dir, "10", [[3000n, 4000n]], [3000n, 3500n], [20, 30]);
    const { doc } = await defineRun(dir, "_nine_ten", ["10", "9"]);
    expect(doc.subRunSpec!.map((e) => e.runId)).toEqual(["9", "10"]);
    // On disk sub_run_spec is in time order ("9" first; strax 2.x sorts it, "10" first, and then loads
    // in that order), so strax reading our document loads the subruns in time order too.
    const text = await readFile(dir.runDocPath("_nine_ten"), "utf8");
    expect(text.indexOf('"9"')).toBeLessThan(text.indexOf('"10"'));
    const chunks = await collect(iterateChunks(dir, "_nine_ten", "rows"));
    expect(chunks.map((c) => [...c.subruns!.keys()][0])).toEqual(["9", "10"]);
    const table = await loadTable(dir, "_nine_ten", "rows");
    expect([...(table.getChild("time")!.toArray() as BigInt64Array)]).toEqual([1000n, 1500n, 3000n, 3500n]);
    const meta = await writeSuperrun(dir, "_nine_ten", "rows");
    expect(meta.chunks[0]!.subruns).toEqual(
      new Map([
        ["9", { start: 1000n, end: 2000n }],
        ["10", { start: 3000n, end: 4000n }],
      ]),
    );
  });

  it("supports the documented list-of-ranges form (strax crashes on it)", async () => {
    const dir = await copy("v2/main");
    await defineRun(dir, "_multi", {
      "0": [
        [6n, 8n],
        [2n, 4n],
      ],
      "2": [41n, 45n],
    });
    const doc = await dir.readRunDoc("_multi");
    expect(doc.subRunSpec).toEqual([
      {
        runId: "0",
        range: [
          { start: 2n, end: 4n },
          { start: 6n, end: 8n },
        ],
      },
      { runId: "2", range: { start: 41n, end: 45n } },
    ]);
    const table = await loadTable(dir, "_multi", "records");
    expect(table.numRows).toBe(80);
    expect(sumBigInt(table, "time")).toBe((2n + 3n + 6n + 7n + 41n + 42n + 43n + 44n) * 10n);
    const meta = await writeSuperrun(dir, "_multi", "records");
    expect(meta.chunks.length).toBe(1);
    expect(meta.chunks[0]!.subruns).toEqual(
      new Map([
        ["0", { start: 2n, end: 8n }],
        ["2", { start: 41n, end: 45n }],
      ]),
    );
    const stored = await loadTable(dir, "_multi", "records");
    expect(stored.numRows).toBe(80);
  });

  it.each([
    ["name without underscore", "mine", ["0", "1"], "RUNS_BAD_RUN_ID"],
    ["name with a dash", "_a-b", ["0"], "RUNS_BAD_RUN_ID"],
    ["missing subrun document", "_x", ["0", "7"], "RUNS_RUN_DOC_NOT_FOUND"],
    ["empty definition", "_x", [], "RUNS_BAD_SUPERRUN"],
    ["duplicate subrun", "_x", ["0", "0"], "RUNS_BAD_SUPERRUN"],
    ["empty range", "_x", { "0": [5n, 5n] }, "RUNS_BAD_SUPERRUN"],
    [
      "overlapping ranges of one subrun",
      "_x",
      {
        "0": [
          [1n, 5n],
          [4n, 8n],
        ],
      },
      "RUNS_BAD_SUPERRUN",
    ],
    ["overlapping ranges of two subruns", "_x", { "0": [1n, 5n], "1": [4n, 8n] }, "RUNS_SUBRUN_OVERLAP"],
    ["redefinition without overwrite", "_superrun_test", ["0"], "RUNS_DATA_EXISTS"],
  ] as const)("%s → %s, nothing written", async (_what, name, definition, code) => {
    const dir = await copy("v2/main");
    const before = (await readdir(dir.path)).sort();
    await expect(defineRun(dir, name, definition as never)).rejects.toMatchObject({ code });
    expect((await readdir(dir.path)).sort()).toEqual(before);
  });

  it("rejects subruns whose documents overlap in time, before writing", async () => {
    const dir = await copy("v2/main");
    const doc0 = await dir.readRunDoc("0");
    await dir.writeRunDoc({ ...doc0, name: "3", start: new Date(doc0.start!.getTime() + 5000), end: new Date(doc0.end!.getTime() + 5000) });
    await expect(defineRun(dir, "_o", ["0", "3"])).rejects.toMatchObject({ code: "RUNS_SUBRUN_OVERLAP" });
    expect(await dir.hasRunDoc("_o")).toBe(false);
  });

  it("a read-only directory refuses definitions", async () => {
    const dir = new DataDirectory(join(STRAX, "v2/main"), { readonly: true });
    await expect(defineRun(dir, "_x", ["0"])).rejects.toMatchObject({ code: "RUNS_READONLY" });
  });
});

describe("load-time checks", () => {
  it("subrun data overlapping in time is refused before any chunk is yielded", async () => {
    const path = await tempDir();
    cleanup.push(path);
    const dir = new DataDirectory(path);
    await writeRun(dir, "1", [[1000n, 2000n]], [1000n, 1900n], [0, 10]);
    await writeRun(dir, "2", [[1500n, 2500n]], [1600n], [20, 30]); // docs do not overlap, data does
    await defineRun(dir, "_bad", ["1", "2"]);
    const it = iterateChunks(dir, "_bad", "rows");
    await expect(it.next()).rejects.toMatchObject({ code: "RUNS_SUBRUN_OVERLAP" });
    await expect(writeSuperrun(dir, "_bad", "rows")).rejects.toMatchObject({ code: "RUNS_SUBRUN_OVERLAP" });
    expect((await readdir(path)).filter((f) => f.startsWith("_bad_"))).toEqual([]);
  });

  it("a superrun document written by a failed strax define_run (0 bytes) is a coded error", async () => {
    const dir = await copy("v2/main");
    await writeFile(dir.runDocPath("_broken"), "");
    await expect(dir.readRunDoc("_broken")).rejects.toMatchObject({ code: "RUNS_BAD_RUN_DOC" });
    // selectRuns lists it with a warning, as strax does, and the rest of the listing is intact.
    const warnings: string[] = [];
    const t = await selectRuns(dir, { checkAvailable: ["peaks"], onWarning: (m) => warnings.push(m) });
    expect(t.getChild("name")!.toArray()).toEqual(["0", "1", "2", "_broken", "_superrun_ranges", "_superrun_test"]);
    const row = t.get(3)!.toJSON();
    expect(row).toMatchObject({ name: "_broken", number: null, start: null, is_superrun: true, peaks_available: false });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/run _broken .*cannot be read.*empty/);
  });

  it("selectRuns never raises for the whole listing because of one run", async () => {
    const dir = await copy("v2/main");
    await writeFile(dir.runDocPath("7"), "{not json");
    await writeFile(dir.runDocPath("8"), new Uint8Array([0x7b, 0xff, 0x7d]));
    const warnings: { runId: string; code: unknown }[] = [];
    const t = await selectRuns(dir, {
      available: ["records"],
      onWarning: (_m, d) => warnings.push({ runId: d.runId, code: (d.error as { code?: unknown }).code }),
    });
    expect(t.getChild("name")!.toArray()).toEqual(["0", "1", "2"]);
    expect(warnings).toEqual([
      { runId: "7", code: "RUNS_BAD_RUN_DOC" },
      { runId: "8", code: expect.stringMatching(/^RUNS_BAD_(RUN_DOC|JSON)$/) },
    ]);
    const all = await selectRuns(dir, { onWarning: () => {} });
    expect([...all.getChild("number")!]).toEqual([0, 1, 2, 7, 8, null, null]);
  });
});

describe("writeSuperrun", () => {
  it("stores under the strax 2.x key, is listed and loaded back with the right subruns map", async () => {
    const dir = await copy("v2/main");
    await defineRun(dir, "_all", ["0", "1", "2"]);
    const meta = await writeSuperrun(dir, "_all", "records");
    expect(meta.chunks.length).toBe(1);
    expect(meta.chunks[0]!.runId).toBe("_all");
    expect(meta.chunks[0]!.subruns).toEqual(
      new Map([
        ["0", { start: 0n, end: 10n }],
        ["1", { start: 20n, end: 30n }],
        ["2", { start: 40n, end: 50n }],
      ]),
    );
    expect(await readdir(dir.path)).toContain("_all_xasmpdqviq-records-j3nd2fjbiq");
    const stored = await dir.findData("_all", "records");
    expect(stored?.layout).toBe(2);
    const fromStore = await collect(iterateChunks(dir, "_all", "records"));
    const fromSubruns = await collect(iterateChunks(dir, "_all", "records", { fromSubruns: true }));
    expect(Buffer.compare(bytesOf(fromStore), bytesOf(fromSubruns))).toBe(0);
    const sel = await selectRuns(dir, { available: ["records"] });
    expect(sel.getChild("name")!.toArray()).toEqual(["0", "1", "2", "_all"]);
    // Redefining the superrun changes the key: the stored data is no longer found (strax 2.x).
    await defineRun(dir, "_all", ["0", "1"], { overwrite: true });
    expect(await dir.isStored("_all", "records")).toBe(false);
    await expect(writeSuperrun(dir, "_all", "records", { overwrite: "never" })).resolves.toBeDefined();
    expect((await dir.findData("_all", "records"))!.folder).toBe("_all_dgoccabkea-records-j3nd2fjbiq");
  });

  it("rechunks at gaps to the target size with per-chunk subruns maps", async () => {
    const path = await tempDir();
    cleanup.push(path);
    const dir = new DataDirectory(path);
    // Rows every 2000 ns: every row is a cut candidate (gap 1999 > 1000).
    const t = (from: bigint, n: number) => Array.from({ length: n }, (_, i) => from + BigInt(i) * 2000n);
    await writeRun(
      dir,
      "1",
      [
        [0n, 20_000n],
        [20_000n, 40_000n],
      ],
      t(0n, 20),
      [0, 10],
    );
    await writeRun(dir, "2", [[100_000n, 140_000n]], t(100_000n, 20), [20, 30]);
    await defineRun(dir, "_re", ["1", "2"]);
    // 16-byte rows; target 0.00008 MB = 80 bytes = 5 rows.
    const meta = await writeSuperrun(dir, "_re", "rows", { targetSizeMb: 0.00008 });
    expect(meta.chunks.reduce((s, c) => s + c.n, 0)).toBe(40);
    expect(meta.chunks.length).toBeGreaterThan(4);
    for (let i = 1; i < meta.chunks.length; i++) {
      expect(meta.chunks[i]!.start).toBeGreaterThanOrEqual(meta.chunks[i - 1]!.end);
    }
    const first = meta.chunks[0]!;
    expect(first.start).toBe(0n);
    expect(first.end).toBe(first.lastTime! + 2000n - 500n);
    expect([...first.subruns!]).toEqual([["1", { start: 0n, end: first.end }]]);
    // Each chunk's interval is spanned by its map; the maps together cover both subruns' data.
    const union = new Map<string, [bigint, bigint]>();
    for (const c of meta.chunks) {
      const entries = [...c.subruns!];
      // strax's split keeps the chunk interval; the map may end earlier (a gap holds no rows).
      expect(c.start <= entries[0]![1].start && c.end >= entries.at(-1)![1].end).toBe(true);
      for (const [id, r] of entries) {
        const u = union.get(id);
        if (u) expect(r.start).toBe(u[1]);
        union.set(id, u ? [u[0], r.end] : [r.start, r.end]);
      }
    }
    expect([...union]).toEqual([
      ["1", [0n, 40_000n]],
      ["2", [100_000n, 140_000n]],
    ]);
    const back = await collect(iterateChunks(dir, "_re", "rows"));
    expect(back.length).toBe(meta.chunks.length);
    const all = await collect(iterateChunks(dir, "_re", "rows", { fromSubruns: true }));
    expect(Buffer.compare(bytesOf(back), bytesOf(all))).toBe(0);
  });

  it("epoch-time subruns: chunk boundaries are strax 2.2.3's (tie → earlier gap, cut at time − 500 ns)", async () => {
    // Real strax data: v2/epoch runs 0, 1, 2 (100 records each, itemsize 257, gaps of ~1 s between runs
    // only, so the gap rows of the assembled superrun are 100 and 200). Target 0.0386 MB = 150 rows,
    // exactly between the two gaps: strax's get_splits (np.argmin, first minimum) cuts at row 100, then
    // 100 + 150 is past the last gap, so the rest is one chunk.
    const dir = await copy("v2/epoch");
    const meta = await writeSuperrun(dir, "_superrun_epoch", "records", { targetSizeMb: 0.0386 });
    const T0 = 1626265800000000000n;
    expect(meta.chunks.map((c) => [c.n, c.start, c.end])).toEqual([
      [100, T0, T0 + 1_000_000_000n - 500n],
      [200, T0 + 1_000_000_000n - 500n, T0 + 2_000_000_010n],
    ]);
    expect([...meta.chunks[0]!.subruns!.keys()]).toEqual(["0"]);
    expect([...meta.chunks[1]!.subruns!.keys()]).toEqual(["1", "2"]);
  });

  it("refuses to store subruns of different lineages", async () => {
    const path = await tempDir();
    cleanup.push(path);
    const dir = new DataDirectory(path);
    await writeRun(dir, "1", [[0n, 100n]], [10n], [0, 10]);
    const w = await dir.openWriter({ key: { runId: "2", dataType: "rows" }, dtype: ROWS, lineage: { rows: ["Rows", "0.0.1", {}] } });
    await w.write({
      runId: "2",
      dataType: "rows",
      dataKind: "rows",
      dtype: ROWS,
      start: 200n,
      end: 300n,
      n: 0,
      data: new Uint8Array(0),
      subruns: null,
    });
    await w.close();
    const t0 = Date.parse("2024-01-01T00:00:00Z");
    await dir.writeRunDoc({ name: "2", start: new Date(t0 + 20_000), end: new Date(t0 + 30_000), extra: {} });
    await defineRun(dir, "_mixed", ["1", "2"]);
    expect((await loadTable(dir, "_mixed", "rows")).numRows).toBe(1);
    await expect(writeSuperrun(dir, "_mixed", "rows")).rejects.toMatchObject({ code: "RUNS_BAD_METADATA" });
  });

  it("a failure half way leaves nothing behind", async () => {
    const dir = await copy("v2/main");
    await defineRun(dir, "_half", ["0", "1", "2"]);
    // Corrupt the last subrun's last chunk: decompression fails after chunks were written.
    const stored = await dir.findData("2", "records");
    await writeFile(join(stored!.path, "records-j3nd2fjbiq-000009"), Buffer.alloc(313, 7));
    await expect(writeSuperrun(dir, "_half", "records", { targetSizeMb: 0.000001 })).rejects.toMatchObject({ code: "RUNS_CORRUPT_CHUNK" });
    expect((await readdir(dir.path)).filter((f) => f.startsWith("_half_"))).toEqual([]);
  });
});

describe("selectRuns", () => {
  it("filters by name, mode, tags and availability (strax semantics)", async () => {
    const dir = new DataDirectory(join(STRAX, "v2/main"));
    const all = await selectRuns(dir, { checkAvailable: ["peaks", "records"] });
    expect(all.getChild("name")!.toArray()).toEqual(["0", "1", "2", "_superrun_ranges", "_superrun_test"]);
    expect([...all.getChild("peaks_available")!]).toEqual([true, true, true, true, true]);
    expect([...all.getChild("records_available")!]).toEqual([true, true, true, false, false]);
    expect([...all.getChild("number")!]).toEqual([0, 1, 2, null, null]);
    expect(all.getChild("livetime")!.get(4)).toBe(30);
    expect(all.getChild("livetime")!.get(0)).toBe(10);
    const rec = await selectRuns(dir, { available: ["records"] });
    expect(rec.numRows).toBe(3);
    const sup = await selectRuns(dir, { runId: "_*" });
    expect(sup.getChild("name")!.toArray()).toEqual(["_superrun_ranges", "_superrun_test"]);
    const tag = await selectRuns(dir, { includeTags: "tag1" });
    expect(tag.getChild("name")!.toArray()).toEqual(["1", "_superrun_test"]);
    const ex = await selectRuns(dir, { includeTags: "tag*", excludeTags: ["tag0"] });
    expect(ex.getChild("name")!.toArray()).toEqual(["1", "2"]);
    const re = await selectRuns(dir, { runId: "[12]", patternType: "re" });
    expect(re.getChild("name")!.toArray()).toEqual(["1", "2"]);
    const mode = await selectRuns(dir, { mode: "mode_b" });
    expect(mode.getChild("name")!.toArray()).toEqual(["1"]);
  });

  it("adds extra run-document fields, flattened with dots", async () => {
    const dir = await copy("v2/main");
    const doc = await dir.readRunDoc("1");
    await dir.writeRunDoc({ ...doc, extra: { daq: { rate: 12.5, mode: "tpc" }, operator: "ana" } }, { overwrite: true });
    const t = await selectRuns(dir, { fields: ["daq.rate", "operator", "missing"] });
    expect([...t.getChild("daq.rate")!]).toEqual([null, "12.5", null, null, null]);
    expect([...t.getChild("operator")!]).toEqual([null, "ana", null, null, null]);
    expect(t.getChild("missing")!.nullCount).toBe(5);
  });

  it("ignores a leading underscore of tags unless the pattern has one", async () => {
    const dir = await copy("v2/main");
    const doc = await dir.readRunDoc("2");
    await dir.writeRunDoc({ ...doc, tags: [{ name: "_bad" }] }, { overwrite: true });
    expect((await selectRuns(dir, { includeTags: "bad" })).getChild("name")!.toArray()).toEqual(["2"]);
    expect((await selectRuns(dir, { includeTags: "_bad", ignoreUnderscore: false })).getChild("name")!.toArray()).toEqual(["2"]);
    expect((await selectRuns(dir, { includeTags: "bad", ignoreUnderscore: false })).numRows).toBe(0);
    expect(formatRunDoc(doc)).toContain('"name": "2"');
  });
});
