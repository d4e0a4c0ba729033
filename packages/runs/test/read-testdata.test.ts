import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataDirectory, iterateChunks, loadTable, readChunkColumn, type Chunk } from "../src/node.js";
import { endtimes, STRAX, sumBigInt, sumNumber } from "./helpers.js";

interface Expected {
  folder: string;
  dir: string;
  runId: string;
  dataType: string;
  compressor: string;
  chunks: number;
  rows: number;
  itemsize: number;
  sumTime: bigint;
  minTime?: bigint;
  maxEnd?: bigint;
  other?: [string, number];
  layout?: 1 | 2;
}

// Every row of shared/testdata/strax/README.md "Expected values".
const E = (
  dir: string,
  folder: string,
  compressor: string,
  chunks: number,
  rows: number,
  itemsize: number,
  sumTime: bigint,
  minTime: bigint | undefined,
  maxEnd: bigint | undefined,
  other?: [string, number],
): Expected => {
  const [run, dataType] = folder.split("-") as [string, string];
  const runId = run.replace(/_[a-z0-9]{10}$/, (m) => (run.startsWith("_superrun") ? "" : m));
  return {
    folder,
    dir,
    runId,
    dataType,
    compressor,
    chunks,
    rows,
    itemsize,
    sumTime,
    ...(minTime !== undefined ? { minTime } : {}),
    ...(maxEnd !== undefined ? { maxEnd } : {}),
    ...(other ? { other } : {}),
  };
};

const EXPECTED: Expected[] = [
  E("v1/main", "0-peaks-xia2iit6vb", "blosc", 1, 100, 2235, 450n, 0n, 10n, ["area", 4200]),
  E("v1/main", "0-records-j3nd2fjbiq", "blosc", 10, 100, 257, 450n, 0n, 10n, ["channel", 450]),
  E("v1/main", "1-peaks-xia2iit6vb", "blosc", 1, 100, 2235, 2450n, 20n, 30n, ["area", 4200]),
  E("v1/main", "1-records-j3nd2fjbiq", "blosc", 10, 100, 257, 2450n, 20n, 30n, ["channel", 450]),
  E("v1/main", "2-peaks-xia2iit6vb", "blosc", 1, 100, 2235, 4450n, 40n, 50n, ["area", 4200]),
  E("v1/main", "2-records-j3nd2fjbiq", "blosc", 10, 100, 257, 4450n, 40n, 50n, ["channel", 450]),
  E("v1/main", "_superrun_ranges-peaks-xia2iit6vb", "blosc", 1, 90, 2235, 1900n, 2n, 45n, ["area", 3780]),
  E("v1/main", "_superrun_ranges-records-j3nd2fjbiq", "blosc", 1, 90, 257, 1900n, 2n, 45n, ["channel", 405]),
  E("v1/main", "_superrun_test-peaks-xia2iit6vb", "blosc", 1, 300, 2235, 7350n, 0n, 50n, ["area", 12600]),
  E("v1/main", "_superrun_test-records-j3nd2fjbiq", "blosc", 1, 300, 257, 7350n, 0n, 50n, ["channel", 1350]),
  ...["bz2", "lz4", "zstd"].flatMap((c) => [
    E(`v2/compressors/${c}`, "0-peaks-xia2iit6vb", c, 1, 100, 3055, 450n, 0n, 10n, ["area", 4200]),
    E(`v2/compressors/${c}`, "0-records-j3nd2fjbiq", c, 10, 100, 257, 450n, 0n, 10n, ["channel", 450]),
  ]),
  E("v2/empty", "5-peaks-xia2iit6vb", "blosc", 1, 0, 3055, 0n, undefined, undefined),
  E("v2/empty", "5-records-j3nd2fjbiq", "blosc", 10, 0, 257, 0n, undefined, undefined),
  E("v2/epoch", "0-peaks-xia2iit6vb", "blosc", 1, 100, 3055, 162626580000000000450n, 1626265800000000000n, 1626265800000000010n, [
    "area",
    4200,
  ]),
  E("v2/epoch", "0-records-j3nd2fjbiq", "blosc", 10, 100, 257, 162626580000000000450n, 1626265800000000000n, 1626265800000000010n, [
    "channel",
    450,
  ]),
  E("v2/epoch", "1-peaks-xia2iit6vb", "blosc", 1, 100, 3055, 162626580100000000450n, 1626265801000000000n, 1626265801000000010n, [
    "area",
    4200,
  ]),
  E("v2/epoch", "1-records-j3nd2fjbiq", "blosc", 10, 100, 257, 162626580100000000450n, 1626265801000000000n, 1626265801000000010n, [
    "channel",
    450,
  ]),
  E("v2/epoch", "2-peaks-xia2iit6vb", "blosc", 1, 100, 3055, 162626580200000000450n, 1626265802000000000n, 1626265802000000010n, [
    "area",
    4200,
  ]),
  E("v2/epoch", "2-records-j3nd2fjbiq", "blosc", 10, 100, 257, 162626580200000000450n, 1626265802000000000n, 1626265802000000010n, [
    "channel",
    450,
  ]),
  E(
    "v2/epoch",
    "_superrun_epoch_ranges_mqmcerj3mn-peaks-xia2iit6vb",
    "blosc",
    1,
    90,
    3055,
    146363922080000000300n,
    1626265800000000002n,
    1626265802000000005n,
    ["area", 3780],
  ),
  E(
    "v2/epoch",
    "_superrun_epoch_xasmpdqviq-peaks-xia2iit6vb",
    "blosc",
    1,
    300,
    3055,
    487879740300000001350n,
    1626265800000000000n,
    1626265802000000010n,
    ["area", 12600],
  ),
  E("v2/main", "0-peaks-xia2iit6vb", "blosc", 1, 100, 3055, 450n, 0n, 10n, ["area", 4200]),
  E("v2/main", "0-records-j3nd2fjbiq", "blosc", 10, 100, 257, 450n, 0n, 10n, ["channel", 450]),
  E("v2/main", "1-peaks-xia2iit6vb", "blosc", 1, 100, 3055, 2450n, 20n, 30n, ["area", 4200]),
  E("v2/main", "1-records-j3nd2fjbiq", "blosc", 10, 100, 257, 2450n, 20n, 30n, ["channel", 450]),
  E("v2/main", "2-peaks-xia2iit6vb", "blosc", 1, 100, 3055, 4450n, 40n, 50n, ["area", 4200]),
  E("v2/main", "2-records-j3nd2fjbiq", "blosc", 10, 100, 257, 4450n, 40n, 50n, ["channel", 450]),
  E("v2/main", "_superrun_ranges_4frlow26s7-peaks-xia2iit6vb", "blosc", 1, 90, 3055, 1900n, 2n, 45n, ["area", 3780]),
  E("v2/main", "_superrun_test_xasmpdqviq-peaks-xia2iit6vb", "blosc", 1, 300, 3055, 7350n, 0n, 50n, ["area", 12600]),
];

describe("every strax test folder reads with the README's expected values", () => {
  it.each(EXPECTED.map((e) => [`${e.dir}/${e.folder}`, e] as const))("%s", async (_name, e) => {
    const dir = new DataDirectory(join(STRAX, e.dir), { readonly: true });
    const stored = await dir.findData(e.runId, e.dataType);
    expect(stored?.folder).toBe(e.folder);
    expect(stored!.metadata.compressor).toBe(e.compressor);
    expect(stored!.metadata.chunks.length).toBe(e.chunks);
    expect(stored!.dtype.itemsize).toBe(e.itemsize);
    const chunks: Chunk[] = [];
    for await (const c of dir.iterateStored(stored!)) chunks.push(c);
    expect(chunks.length).toBe(e.chunks);
    const table = await loadTable(dir, e.runId, e.dataType);
    expect(table.numRows).toBe(e.rows);
    expect(sumBigInt(table, "time")).toBe(e.sumTime);
    if (e.minTime !== undefined) {
      const t = table.getChild("time")!.toArray() as BigInt64Array;
      expect(t.reduce((a, b) => (b < a ? b : a))).toBe(e.minTime);
      expect(endtimes(table).reduce((a, b) => (b > a ? b : a))).toBe(e.maxEnd);
    }
    if (e.other) expect(sumNumber(table, e.other[0])).toBe(e.other[1]);
  });
});

describe("details", () => {
  it("records are byte-identical across v1, v2 and all compressors", async () => {
    const bytes: Uint8Array[] = [];
    for (const d of ["v2/main", "v1/main", "v2/compressors/zstd", "v2/compressors/lz4", "v2/compressors/bz2"]) {
      const parts: Uint8Array[] = [];
      for await (const c of iterateChunks(new DataDirectory(join(STRAX, d)), "0", "records")) parts.push(c.data.slice());
      bytes.push(Buffer.concat(parts));
    }
    for (const b of bytes.slice(1)) expect(Buffer.compare(b, bytes[0]!)).toBe(0);
  });

  it("typed columns straight from chunks", async () => {
    const dir = new DataDirectory(join(STRAX, "v2/epoch"));
    let sum = 0n;
    let channels = 0;
    let samples = 0;
    for await (const c of iterateChunks(dir, "2", "records")) {
      for (const t of readChunkColumn(c, "time") as BigInt64Array) sum += t;
      for (const ch of readChunkColumn(c, "channel") as Int16Array) channels += ch;
      samples += readChunkColumn(c, "data").length;
    }
    expect(sum).toBe(162626580200000000450n);
    expect(channels).toBe(450);
    expect(samples).toBe(100 * 110);
    const peaks: Chunk[] = [];
    for await (const c of iterateChunks(dir, "2", "peaks")) peaks.push(c);
    expect([...(readChunkColumn(peaks[0]!, "area") as Float32Array)].reduce((a, b) => a + b, 0)).toBe(4200);
    expect(() => readChunkColumn(peaks[0]!, "nope")).toThrow(expect.objectContaining({ code: "RUNS_UNSUPPORTED_TYPE" }));
  });

  it("empty chunks keep their intervals", async () => {
    const dir = new DataDirectory(join(STRAX, "v2/empty"));
    const chunks: Chunk[] = [];
    for await (const c of iterateChunks(dir, "5", "records")) chunks.push(c);
    expect(chunks.map((c) => [c.start, c.end, c.n])).toEqual(Array.from({ length: 10 }, (_, i) => [100n + BigInt(i), 101n + BigInt(i), 0]));
    const peaks = await loadTable(dir, "5", "peaks");
    expect(peaks.numRows).toBe(0);
    expect(peaks.schema.fields.length).toBeGreaterThan(20);
  });

  it("stored superrun chunks carry the README's subruns maps", async () => {
    const cases: [string, string, string, bigint, bigint, [string, bigint, bigint][]][] = [
      [
        "v2/main",
        "_superrun_test",
        "peaks",
        0n,
        50n,
        [
          ["0", 0n, 10n],
          ["1", 20n, 30n],
          ["2", 40n, 50n],
        ],
      ],
      [
        "v1/main",
        "_superrun_test",
        "records",
        0n,
        50n,
        [
          ["0", 0n, 10n],
          ["1", 20n, 30n],
          ["2", 40n, 50n],
        ],
      ],
      [
        "v1/main",
        "_superrun_test",
        "peaks",
        0n,
        50n,
        [
          ["0", 0n, 10n],
          ["1", 20n, 30n],
          ["2", 40n, 50n],
        ],
      ],
      [
        "v2/main",
        "_superrun_ranges",
        "peaks",
        2n,
        45n,
        [
          ["0", 2n, 7n],
          ["2", 41n, 45n],
        ],
      ],
      [
        "v1/main",
        "_superrun_ranges",
        "records",
        2n,
        45n,
        [
          ["0", 2n, 7n],
          ["2", 41n, 45n],
        ],
      ],
      [
        "v2/epoch",
        "_superrun_epoch",
        "peaks",
        1626265800000000000n,
        1626265802000000010n,
        [
          ["0", 1626265800000000000n, 1626265800000000010n],
          ["1", 1626265801000000000n, 1626265801000000010n],
          ["2", 1626265802000000000n, 1626265802000000010n],
        ],
      ],
      [
        "v2/epoch",
        "_superrun_epoch_ranges",
        "peaks",
        1626265800000000002n,
        1626265802000000005n,
        [
          ["0", 1626265800000000002n, 1626265800000000007n],
          ["2", 1626265802000000001n, 1626265802000000005n],
        ],
      ],
    ];
    for (const [d, name, type, start, end, map] of cases) {
      const dir = new DataDirectory(join(STRAX, d));
      const stored = await dir.findData(name, type);
      expect(stored, `${d} ${name} ${type}`).toBeDefined();
      expect(stored!.layout).toBe(d.startsWith("v1") ? 1 : 2);
      const chunks: Chunk[] = [];
      for await (const c of iterateChunks(dir, name, type)) chunks.push(c);
      expect(chunks.length).toBe(1);
      const c = chunks[0]!;
      expect([c.runId, c.start, c.end]).toEqual([name, start, end]);
      expect([...c.subruns!].map(([id, r]) => [id, r.start, r.end])).toEqual(map);
    }
  });

  it("run documents: BSON dates, superrun fields, ns sub_run_spec beyond 2^53", async () => {
    const main = new DataDirectory(join(STRAX, "v2/main"));
    expect(await main.listRunIds()).toEqual(["0", "1", "2", "_superrun_ranges", "_superrun_test"]);
    const test = await main.readRunDoc("_superrun_test");
    expect(test.start!.toISOString()).toBe("2021-07-14T12:30:00.000Z");
    expect(test.end!.toISOString()).toBe("2021-07-14T12:30:50.000Z");
    expect(test.livetime).toBe(30);
    expect(test.subRunSpec).toEqual([
      { runId: "0", range: "all" },
      { runId: "1", range: "all" },
      { runId: "2", range: "all" },
    ]);
    const ranges = await main.readRunDoc("_superrun_ranges");
    expect(ranges.livetime).toBe(20);
    const epoch = new DataDirectory(join(STRAX, "v2/epoch"));
    const er = await epoch.readRunDoc("_superrun_epoch_ranges");
    expect(er.subRunSpec).toEqual([
      { runId: "0", range: { start: 1626265800000000002n, end: 1626265800000000007n } },
      { runId: "2", range: { start: 1626265802000000001n, end: 1626265802000000005n } },
    ]);
    expect(er.livetime).toBe(0.002);
    expect((await epoch.readRunDoc("_superrun_epoch")).end!.toISOString()).toBe("2021-07-14T12:30:02.001Z");
    expect((await epoch.readRunDoc("0")).number).toBe(0);
    const v1 = await new DataDirectory(join(STRAX, "v1/main")).readRunDoc("_superrun_test");
    expect(v1.tags!.map((t) => t.name).sort()).toEqual(["tag0", "tag1", "tag2"]);
  });

  it("metadata keeps ns integers beyond 2^53 exactly", async () => {
    const dir = new DataDirectory(join(STRAX, "v2/epoch"));
    const stored = await dir.findData("0", "records");
    expect(stored!.metadata.chunks[0]!.start).toBe(1626265800000000000n);
    expect(stored!.metadata.chunks[2]!.start).toBe(1626265800000000002n);
    expect(stored!.metadata.chunks[9]!.lastEndtime).toBe(1626265800000000010n);
  });
});
