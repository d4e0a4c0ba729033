// A host path is opened in h5wasm only when a read needs h5wasm (src/reader.ts `lazyOpened`):
// direct reads never open it, the first read that needs it opens it once, and a file renamed over
// the path in between is refused rather than read half from each file.
import { renameSync } from "node:fs";
import { join } from "node:path";
import type { H5Runtime } from "@daqkit/io";
import { loadH5RuntimeNode } from "@daqkit/io/node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type LgdoArray, type Scalar, createArray, createScalar, createStruct, createTable, openLh5, writeLh5 } from "../src/node.js";
import { tempDir } from "./helpers.js";

/** The Node runtime, counting the files it opens by path. */
async function countingRuntime(): Promise<{ rt: H5Runtime; opens: () => number }> {
  const base = await loadH5RuntimeNode();
  let n = 0;
  const rt: H5Runtime = Object.create(base);
  Object.defineProperty(rt, "openPath", {
    value: (path: string) => {
      n++;
      return base.openPath(path);
    },
  });
  return { rt, opens: () => n };
}

describe("lazy h5wasm open of host paths", () => {
  const tmp = tempDir();
  const n = 3000;
  const energy = Float64Array.from({ length: n }, (_, i) => 1000 + Math.sin(i) * 300);
  const channel = Int32Array.from({ length: n }, (_, i) => i % 7);
  let path: string;
  beforeAll(async () => {
    path = join(tmp.dir, "lazy.lh5");
    await writeLh5(path, "hit", createTable({ energy: createArray(energy), channel: createArray(channel) }), {
      mode: "w",
      chunkRows: 1000,
    });
    await writeLh5(path, "info", createStruct({ run: createScalar(42) }), { mode: "a" });
  });
  afterAll(() => tmp.cleanup());

  test("numeric table reads never open the file in h5wasm; a scalar read opens it once", async () => {
    const { rt, opens } = await countingRuntime();
    const f = await openLh5(path, { runtime: rt });
    try {
      const t = f.readTable("hit", { rows: { start: 100, stop: 2500 } });
      expect((t.columns.get("energy") as LgdoArray).data).toEqual(energy.slice(100, 2500));
      expect((t.columns.get("channel") as LgdoArray).data).toEqual(channel.slice(100, 2500));
      expect(f.directReads).toBeGreaterThan(0);
      expect(opens()).toBe(0);
      expect((f.readObject("info/run") as Scalar).value).toBe(42);
      expect((f.readObject("info/run") as Scalar).value).toBe(42);
      expect(opens()).toBe(1);
    } finally {
      f.close();
    }
    const eager = await openLh5(path, { runtime: rt, direct: false });
    try {
      expect(opens()).toBe(2); // without direct reads the file is opened in h5wasm at once
      expect((eager.readTable("hit").columns.get("energy") as LgdoArray).data).toEqual(energy);
    } finally {
      eager.close();
    }
  });

  test("a file renamed over the path before h5wasm opens it: LH5_READ_IO naming the file, direct reads still from the opened file", async () => {
    const { rt, opens } = await countingRuntime();
    const f = await openLh5(path, { runtime: rt });
    const other = join(tmp.dir, "other.lh5");
    try {
      expect((f.readTable("hit").columns.get("energy") as LgdoArray).data).toEqual(energy);
      await writeLh5(other, "info", createStruct({ run: createScalar(7) }), { mode: "w" });
      renameSync(path, join(tmp.dir, "old.lh5"));
      renameSync(other, path);
      let error: unknown;
      try {
        f.readObject("info/run");
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: "LH5_READ_IO", path });
      expect(String((error as Error).message)).toContain("replaced or changed since it was opened");
      expect(opens()).toBe(0);
      // the data read directly is the opened file's, not the new one's
      expect((f.readTable("hit").columns.get("channel") as LgdoArray).data).toEqual(channel);
    } finally {
      f.close();
      renameSync(path, other);
      renameSync(join(tmp.dir, "old.lh5"), path);
    }
  });
});
