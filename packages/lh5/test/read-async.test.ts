/**
 * `Lh5File.readObjectAsync`: the windowed read (numeric arrays, one row range) gives exactly what
 * `readObject` gives, yields to the event loop between windows, and falls back to `readObject` for
 * everything else; bad windows and aborts are reported.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Lgdo, type LgdoArray, createArray, createArrayOfEqualSizedArrays, createTable, openLh5, writeLh5 } from "../src/node.js";
import { RAW_CAL } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "lh5-read-async-"));
const FILE = join(tmp, "arrays.lh5");
const N = 10_007;
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

beforeAll(async () => {
  const f64 = Float64Array.from({ length: N }, (_, i) => i * 0.25 - 17);
  const u16 = Uint16Array.from({ length: N }, (_, i) => (i * 7919) & 0xffff);
  const i64 = BigInt64Array.from({ length: N }, (_, i) => BigInt(i) * 1_000_000_007n - 5n);
  const wf = Int32Array.from({ length: N * 3 }, (_, i) => i - 4);
  await writeLh5(
    FILE,
    "t",
    createTable({ f64: createArray(f64), u16: createArray(u16), i64: createArray(i64), wf: createArrayOfEqualSizedArrays(wf, 3) }),
    { mode: "w", chunkRows: 1000 },
  );
});

function plain(o: Lgdo): unknown {
  return JSON.parse(JSON.stringify(o, (_k, v) => (typeof v === "bigint" ? `${v}n` : ArrayBuffer.isView(v) ? Array.from(v as never) : v)));
}

describe("readObjectAsync", () => {
  test("numeric arrays in small windows equal readObject (all rows and a row range), with event-loop turns between windows", async () => {
    const f = await openLh5(FILE);
    try {
      for (const c of ["f64", "u16", "i64", "wf"]) {
        for (const rows of [undefined, { start: 0, stop: N }, { start: 993, stop: 5011 }, { start: 17, stop: 17 }, { start: N - 1 }]) {
          const options = rows ? { rows } : {};
          const sync = f.readObject(`t/${c}`, options) as LgdoArray;
          let turns = 0;
          const ticker = setInterval(() => turns++, 0);
          const windowed = (await f.readObjectAsync(`t/${c}`, { ...options, windowBytes: 1024 })) as LgdoArray;
          clearInterval(ticker);
          expect(windowed.data.constructor, c).toBe(sync.data.constructor);
          expect(plain(windowed), `${c} ${JSON.stringify(rows)}`).toEqual(plain(sync));
          // The output is one buffer of its own (transferable without copying).
          const data = windowed.data as Float64Array;
          expect(data.byteOffset).toBe(0);
          expect(data.buffer.byteLength).toBe(data.byteLength);
          const rowsRead = windowed.shape[0] as number;
          const rowBytes = data.BYTES_PER_ELEMENT * (c === "wf" ? 3 : 1);
          if (rowsRead * rowBytes > 4 * 1024) expect(turns, `${c}: event loop turned between windows`).toBeGreaterThan(0);
        }
      }
    } finally {
      f.close();
    }
  });

  test("tables, index selections and other objects are read as readObject reads them", async () => {
    const f = await openLh5(FILE);
    try {
      expect(plain(await f.readObjectAsync("t", { windowBytes: 512 }))).toEqual(plain(f.readObject("t")));
      const pick = [5, 3, 9000, 4];
      expect(plain(await f.readObjectAsync("t/f64", { rows: pick, windowBytes: 512 }))).toEqual(
        plain(f.readObject("t/f64", { rows: pick })),
      );
    } finally {
      f.close();
    }
    const raw = await openLh5(RAW_CAL);
    try {
      const table = raw.listTables("")[0] as string;
      expect(plain(await raw.readObjectAsync(table, { windowBytes: 512 }))).toEqual(plain(raw.readObject(table)));
    } finally {
      raw.close();
    }
  });

  test("bad window, bad rows, a missing object and an abort are reported", async () => {
    const f = await openLh5(FILE);
    try {
      await expect(f.readObjectAsync("t/f64", { windowBytes: 0 })).rejects.toMatchObject({ code: "LH5_BAD_ROWS" });
      for (const rows of [{ start: -3 }, { start: 2.5 }, [N]]) {
        let code: string | undefined;
        try {
          f.readObject("t/f64", { rows });
        } catch (error) {
          code = (error as { code?: string }).code;
        }
        expect(code, JSON.stringify(rows)).toMatch(/^LH5_/);
        await expect(f.readObjectAsync("t/f64", { rows }), JSON.stringify(rows)).rejects.toMatchObject({ code });
      }
      await expect(f.readObjectAsync("t/nope")).rejects.toMatchObject({ code: "LH5_OBJECT_NOT_FOUND" });
      const ac = new AbortController();
      const pending = f.readObjectAsync("t/f64", { windowBytes: 64, signal: ac.signal });
      ac.abort(new Error("stop"));
      await expect(pending).rejects.toThrow("stop");
    } finally {
      f.close();
    }
  });
});
