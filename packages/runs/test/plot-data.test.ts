import { join } from "node:path";
import { openDirectorySource } from "@daqkit/io/node";
import { Field, FixedSizeList, Int16, Int32, Int64, makeData, makeVector, RecordBatch, Schema, Struct, Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataDirectory, loadTable, readStraxWaveforms } from "../src/index.js";
import { DataDirectory as NodeDataDirectory, putArrow } from "../src/node.js";
import { removeDir, STRAX, tempDir } from "./helpers.js";

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => removeDir(tmp));

describe("strax records as waveforms", () => {
  it("rows [first, first+count) across chunks equal loadTable's time and channel (v2/main, v1/main)", async () => {
    for (const folder of ["v2/main", "v1/main", "v2/epoch"]) {
      const dir = new DataDirectory(await openDirectorySource(join(STRAX, folder)));
      const table = await loadTable(dir, "0", "records");
      const w = await readStraxWaveforms(dir, "0", "records", { first: 7, count: 6 });
      const time = table.getChild("time")!.toArray() as BigInt64Array;
      const channel = table.getChild("channel")!.toArray() as Int16Array;
      expect(w.waveforms.map((s) => s.row)).toEqual([7, 8, 9, 10, 11, 12]);
      expect(w.originNs).toBe(time[7]);
      for (const s of w.waveforms) {
        expect(s.timeNs).toBe(time[s.row]);
        expect(s.channel).toBe(channel[s.row]);
        expect(Array.from(s.x)).toEqual([Number(time[s.row]! - time[7]!)]); // length 1, dt 1
        expect(Array.from(s.y)).toEqual([0]);
      }
    }
  });

  it("samples are dt-scaled at each record's own time; channel filter; data[0:length] only", async () => {
    const root = join(tmp, "synthetic");
    const dir = new NodeDataDirectory(root);
    const n = 4;
    const samples = 5;
    const values = Int16Array.from({ length: n * samples }, (_, i) => i * 3 - 7);
    const dataType = new FixedSizeList(samples, new Field("item", new Int16(), false));
    const data = makeData({ type: dataType, length: n, nullCount: 0, child: makeVector(values).data[0]! });
    const batch = new RecordBatch(
      new Schema([
        new Field("time", new Int64(), false),
        new Field("length", new Int32(), false),
        new Field("dt", new Int16(), false),
        new Field("channel", new Int16(), false),
        new Field("data", dataType, false),
      ]),
      makeData({
        type: new Struct([
          new Field("time", new Int64(), false),
          new Field("length", new Int32(), false),
          new Field("dt", new Int16(), false),
          new Field("channel", new Int16(), false),
          new Field("data", dataType, false),
        ]),
        length: n,
        nullCount: 0,
        children: [
          makeVector(BigInt64Array.from([1000n, 2000n, 3000n, 4000n])).data[0]!,
          makeVector(Int32Array.from([5, 3, 5, 2])).data[0]!,
          makeVector(Int16Array.from([10, 10, 20, 10])).data[0]!,
          makeVector(Int16Array.from([1, 2, 1, 2])).data[0]!,
          data,
        ],
      }),
    );
    await putArrow(dir, "7", "raw_records", new Table(batch));
    const w = await readStraxWaveforms(dir, "7", "raw_records", { count: 10 });
    expect(w.waveforms.length).toBe(4);
    expect(Array.from(w.waveforms[1]!.x)).toEqual([1000, 1010, 1020]);
    expect(Array.from(w.waveforms[1]!.y)).toEqual([8, 11, 14]);
    expect(Array.from(w.waveforms[2]!.x)).toEqual([2000, 2020, 2040, 2060, 2080]);
    const ch2 = await readStraxWaveforms(dir, "7", "raw_records", { channel: 2, first: 1 });
    expect(ch2.waveforms.map((s) => [s.row, s.channel, s.timeNs])).toEqual([[1, 2, 4000n]]);
    expect(Array.from(ch2.waveforms[0]!.x)).toEqual([0, 10]);
  });

  it("coded errors: no such data, a row beyond the data, a data type without waveforms", async () => {
    const dir = new DataDirectory(await openDirectorySource(join(STRAX, "v2/main")));
    await expect(readStraxWaveforms(dir, "9", "records")).rejects.toMatchObject({ code: "RUNS_DATA_NOT_FOUND" });
    await expect(readStraxWaveforms(dir, "0", "records", { first: 100 })).rejects.toMatchObject({ code: "RUNS_BAD_CHUNK" });
    await expect(readStraxWaveforms(dir, "0", "records", { count: 0 })).rejects.toMatchObject({ code: "RUNS_BAD_CHUNK" });
  });
});
