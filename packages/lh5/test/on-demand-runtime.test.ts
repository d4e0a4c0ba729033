// `openLh5(path, { runtime: "on-demand" })` (src/reader.ts): reads served straight from the file never
// load h5wasm; a synchronous read that needs it throws LH5_RUNTIME_NOT_LOADED until
// `ensureRuntime()`; `readObjectAsync` loads it itself; `readsDirectly` says which reads need it.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import type { H5Runtime } from "@daqkit/io";
import { loadH5RuntimeNode, openFileSourceSync } from "@daqkit/io/node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DirectReader } from "../src/direct-read.js";
import { openLh5Links } from "../src/fast-links.js";
import { enterRead } from "../src/in-place.js";
import {
  type LgdoArray,
  type Lh5Error,
  type Scalar,
  type VectorOfVectors,
  createArray,
  createScalar,
  createStruct,
  createTable,
  createVectorOfVectors,
  openLh5,
  writeLh5,
} from "../src/node.js";
import { type Lh5OpenPlatform, openLh5On } from "../src/reader.js";
import { tempDir } from "./helpers.js";

/** A Node platform whose runtime loader counts its calls (the io runtime itself is shared by the writer). */
function spyPlatform(): { platform: Lh5OpenPlatform; loads: () => number } {
  let n = 0;
  const platform: Lh5OpenPlatform = {
    loadRuntime: (): Promise<H5Runtime> => {
      n++;
      return loadH5RuntimeNode();
    },
    openFileSync: openFileSourceSync,
    enterRead,
    inflate: (input, size) => inflateSync(input, { maxOutputLength: Math.max(1, size) }),
    fileIdentity: (path) => {
      const st = statSync(path, { bigint: true });
      return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    },
  };
  return { platform, loads: () => n };
}

function codeOf(fn: () => unknown): { code?: string; message?: string } {
  try {
    fn();
  } catch (error) {
    return error as Lh5Error;
  }
  return {};
}

describe("on-demand h5wasm runtime", () => {
  const tmp = tempDir();
  const n = 5000;
  const energy = Float64Array.from({ length: n }, (_, i) => 1000 + Math.sin(i) * 300);
  const channel = Int32Array.from({ length: n }, (_, i) => i % 7);
  const ends: number[] = [];
  for (let i = 0, end = 0; i < 50; i++) ends.push((end += i % 4));
  const flat = Float32Array.from({ length: ends.at(-1) ?? 0 }, (_, i) => i / 4);
  let path: string;
  beforeAll(async () => {
    path = join(tmp.dir, "on-demand.lh5");
    await writeLh5(path, "hit", createTable({ energy: createArray(energy), channel: createArray(channel) }), {
      mode: "w",
      chunkRows: 1000,
    });
    await writeLh5(path, "wf", createTable({ hits: createVectorOfVectors(ends, flat) }), { mode: "a" });
    const label = Array.from({ length: 20 }, (_, i) => `ev${i}`);
    const num = Float64Array.from({ length: 20 }, (_, i) => i * 1.5);
    await writeLh5(path, "mixed", createTable({ num: createArray(num), label: createArray(label) }), { mode: "a" });
    await writeLh5(path, "mixed2", createTable({ label: createArray(label), num: createArray(num) }), { mode: "a" });
    await writeLh5(path, "info", createStruct({ run: createScalar(42), name: createScalar("cal") }), { mode: "a" });
  });
  afterAll(() => tmp.cleanup());

  test("numeric tables and VoVs read with no runtime loaded; results equal the default open's", async () => {
    const { platform, loads } = spyPlatform();
    const f = await openLh5On(platform, path, { runtime: "on-demand" });
    const ref = await openLh5(path);
    try {
      expect(f.runtimeLoaded).toBe(false);
      expect(f.readsDirectly("hit")).toBe(true);
      expect(f.readsDirectly("hit", { columns: ["energy"] })).toBe(true);
      expect(f.readsDirectly("wf")).toBe(true);
      expect(f.countRows("hit")).toBe(n);
      expect(f.tableColumns("hit")).toEqual(["energy", "channel"]);
      expect(f.has("hit/energy")).toBe(true);
      const t = f.readTable("hit", { rows: { start: 100, stop: 4500 } });
      expect((t.columns.get("energy") as LgdoArray).data).toEqual(energy.slice(100, 4500));
      expect(t).toEqual(ref.readTable("hit", { rows: { start: 100, stop: 4500 } }));
      expect(f.readObject("wf")).toEqual(ref.readObject("wf"));
      expect(await f.readObjectAsync("hit/channel")).toEqual(ref.readObject("hit/channel"));
      expect(f.directReads).toBeGreaterThan(0);
      expect(loads()).toBe(0);
      expect(f.runtimeLoaded).toBe(false);
    } finally {
      f.close();
      ref.close();
    }
  });

  test("a chunk that fails to inflate: the on-demand error says so, with the chunk and its file offset", async () => {
    // Where chunk 2 of hit/energy lies, from the file's own headers; then a copy with that chunk's stream damaged.
    const bytes = new Uint8Array(readFileSync(path));
    const src = openFileSourceSync(path);
    const inflate = (input: Uint8Array, n: number): Uint8Array => inflateSync(input, { maxOutputLength: Math.max(1, n) });
    const layout = new DirectReader(openLh5Links(bytes), src, inflate).describe("hit/energy")?.layout;
    src.closeSync();
    expect(layout?.filters).toContain(1); // deflate
    const at = layout?.addresses[2] as number;
    const size = layout?.sizes[2] as number;
    for (let i = 8; i < Math.min(size - 4, 48); i++) bytes[at + i] = (bytes[at + i] as number) ^ 0x5a;
    const bad = join(tmp.dir, "bad-chunk.lh5");
    writeFileSync(bad, bytes);
    const { platform, loads } = spyPlatform();
    const f = await openLh5On(platform, bad, { runtime: "on-demand" });
    try {
      expect(f.readsDirectly("hit")).toBe(true); // the headers are fine; only the data is not
      expect((f.readObject("hit/channel") as LgdoArray).data).toEqual(channel);
      const e = codeOf(() => f.readObject("hit/energy"));
      // A read error of the object (LH5_READ_IO), whose message says what the direct read found.
      expect(e.code).toBe("LH5_READ_IO");
      expect(e.message).toContain(`${bad}:/hit/energy`);
      expect(e.message).toMatch(new RegExp(`direct read failed \\(chunk 2 of ${size} bytes at file offset ${at} failed to inflate\\)`));
      // Another object's read afterwards does not inherit that reason.
      expect(codeOf(() => f.readObject("info/name")).message).not.toContain("direct read failed");
      expect(loads()).toBe(0);
    } finally {
      f.close();
    }
  });

  test("a read needing h5wasm throws LH5_RUNTIME_NOT_LOADED naming file and object; after ensureRuntime it works", async () => {
    const { platform, loads } = spyPlatform();
    const f = await openLh5On(platform, path, { runtime: "on-demand" });
    try {
      expect(f.readsDirectly("info")).toBe(false);
      expect(f.readsDirectly("info/name")).toBe(false);
      expect(f.readsDirectly("nope")).toBe(false);
      const e = codeOf(() => f.readObject("info/name"));
      expect(e.code).toBe("LH5_RUNTIME_NOT_LOADED");
      expect(e.message).toContain(`${path}:/info/name`);
      expect(e.message).toContain("ensureRuntime");
      expect(codeOf(() => f.readObject("info")).code).toBe("LH5_RUNTIME_NOT_LOADED");
      expect(loads()).toBe(0);
      await Promise.all([f.ensureRuntime(), f.ensureRuntime()]);
      expect(loads()).toBe(1);
      expect(f.runtimeLoaded).toBe(true);
      expect((f.readObject("info/name") as Scalar).value).toBe("cal");
      expect((f.readObject("info/run") as Scalar).value).toBe(42);
      expect(((f.readTable("wf").columns.get("hits") as VectorOfVectors).flattened as LgdoArray).data).toEqual(flat);
      await f.ensureRuntime();
      expect(loads()).toBe(1);
    } finally {
      f.close();
    }
  });

  test("readsDirectly follows the column mask, and a row selection's count from the first column", async () => {
    const { platform, loads } = spyPlatform();
    const f = await openLh5On(platform, path, { runtime: "on-demand" });
    const ref = await openLh5(path);
    try {
      expect(f.readsDirectly("mixed")).toBe(false);
      expect(f.readsDirectly("mixed", { columns: ["num"] })).toBe(true);
      expect(f.readsDirectly("mixed", { columns: ["label"] })).toBe(false);
      const rows = { start: 3, stop: 17 };
      expect(f.readTable("mixed", { columns: ["num"], rows })).toEqual(ref.readTable("mixed", { columns: ["num"], rows }));
      // "mixed2" counts its rows from `label` (a string column): h5wasm needed even for `num` alone.
      expect(f.readsDirectly("mixed2", { columns: ["num"] })).toBe(false);
      expect(codeOf(() => f.readTable("mixed2", { columns: ["num"], rows })).code).toBe("LH5_RUNTIME_NOT_LOADED");
      expect(codeOf(() => f.readTable("mixed", { columns: ["label"] })).code).toBe("LH5_RUNTIME_NOT_LOADED");
      expect(loads()).toBe(0);
      expect(await f.readObjectAsync("mixed2", { columns: ["num"], rows })).toEqual(ref.readTable("mixed2", { columns: ["num"], rows }));
      expect(loads()).toBe(1);
    } finally {
      f.close();
      ref.close();
    }
  });

  test("readObjectAsync of a read needing h5wasm loads the runtime itself", async () => {
    const { platform, loads } = spyPlatform();
    const f = await openLh5On(platform, path, { runtime: "on-demand" });
    try {
      expect(((await f.readObjectAsync("info/run")) as Scalar).value).toBe(42);
      expect(loads()).toBe(1);
      expect(f.runtimeLoaded).toBe(true);
    } finally {
      f.close();
    }
  });

  test("default open loads the runtime at open, as before; direct: false with on-demand loads it too", async () => {
    const { platform, loads } = spyPlatform();
    const f = await openLh5On(platform, path);
    try {
      expect(loads()).toBe(1);
      expect(f.runtimeLoaded).toBe(true);
      expect((f.readObject("info/name") as Scalar).value).toBe("cal");
    } finally {
      f.close();
    }
    const g = await openLh5On(platform, path, { runtime: "on-demand", direct: false });
    try {
      expect(loads()).toBe(2);
      expect(g.runtimeLoaded).toBe(true);
      expect(g.readsDirectly("hit")).toBe(false);
      expect((g.readTable("hit").columns.get("channel") as LgdoArray).data).toEqual(channel);
    } finally {
      g.close();
    }
  });

  test("bytes opened on demand load the runtime at open (h5wasm opens them)", async () => {
    const { platform, loads } = spyPlatform();
    const { readFileSync } = await import("node:fs");
    const f = await openLh5On(platform, new Uint8Array(readFileSync(path)), { runtime: "on-demand" });
    try {
      expect(loads()).toBe(1);
      expect((f.readObject("info/name") as Scalar).value).toBe("cal");
    } finally {
      f.close();
    }
  });
});
