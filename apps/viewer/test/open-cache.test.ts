/**
 * The worker's caches of opened inputs (src/worker/jobs/files.ts `OpenCache`, gen2's `openNight`):
 * every job receives a fresh structured-clone copy of the input's ref, so the caches must hit on an
 * equal ref, not only on the same object, miss on a changed one, and stay bounded (LRU, evicted
 * values closed).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { DirRef } from "../src/input.js";
import { OpenCache, refKey } from "../src/worker/jobs/files.js";
import { openNight } from "../src/worker/jobs/gen2.js";

const http = (): DirRef & { kind: "http" } => ({
  kind: "http",
  name: "night",
  base: "http://127.0.0.1:1/t0k3n/data/",
  listingUrl: "http://127.0.0.1:1/t0k3n/list",
});

/** A picked-files ref as a job sees it: new `File` objects each time, equal name/size/lastModified. */
function picked(bytes: Uint8Array<ArrayBuffer>, lastModified = 1_700_000_000_000, name = "night"): DirRef {
  return {
    kind: "files",
    name,
    files: [
      { path: "a/extremes.bin", file: new File([bytes], "extremes.bin", { lastModified }) },
      { path: "b/other.bin", file: new File([new Uint8Array(8)], "other.bin", { lastModified }) },
    ],
  };
}

const bytes = new Uint8Array(readFileSync(join(import.meta.dirname, "../../../../shared/testdata/gen2-bin/extremes.bin")));

class Thing {
  closed = 0;
  close(): void {
    this.closed++;
  }
}

describe("OpenCache", () => {
  test("an equal (cloned) ref hits; the opener runs once", async () => {
    const cache = new OpenCache<Thing>(4);
    let opened = 0;
    const open = async () => {
      opened++;
      return new Thing();
    };
    const a = cache.get(structuredClone(http()), "x.lh5", open);
    const b = cache.get(structuredClone(http()), "x.lh5", open);
    expect(b).toBe(a);
    const c = cache.get(picked(bytes), "a/extremes.bin", open);
    const d = cache.get(picked(bytes), "a/extremes.bin", open);
    expect(d).toBe(c);
    expect(opened).toBe(2);
  });

  test("a changed file, another folder of the same name, or another path misses", () => {
    expect(refKey(picked(bytes), "a/extremes.bin")).toBe(refKey(picked(bytes), "a/extremes.bin"));
    expect(refKey(picked(bytes, 1), "a/extremes.bin")).not.toBe(refKey(picked(bytes), "a/extremes.bin"));
    expect(refKey(picked(bytes.subarray(8)), "a")).not.toBe(refKey(picked(bytes), "a"));
    // a change below another folder does not matter to this one
    expect(refKey(picked(bytes.subarray(8)), "b")).toBe(refKey(picked(bytes), "b"));
    expect(refKey(picked(bytes), "a")).not.toBe(refKey(picked(bytes), "b"));
    expect(refKey(picked(bytes), "")).not.toBe(refKey(picked(bytes, 1_700_000_000_000, "other"), ""));
    expect(refKey(http(), "x")).not.toBe(refKey({ ...http(), base: "http://127.0.0.1:1/other/data/" }, "x"));
  });

  test("bounded: least recently used evicted and closed", async () => {
    const cache = new OpenCache<Thing>(2);
    const things = new Map<string, Thing>();
    const open = (p: string) => async () => {
      const t = new Thing();
      things.set(p, t);
      return t;
    };
    await cache.get(http(), "a", open("a"));
    await cache.get(http(), "b", open("b"));
    await cache.get(structuredClone(http()), "a", open("a2")); // a is now the most recent
    await cache.get(http(), "c", open("c")); // evicts b
    await new Promise((r) => setTimeout(r, 0));
    expect(cache.size).toBe(2);
    expect(things.has("a2")).toBe(false);
    expect(things.get("b")!.closed).toBe(1);
    expect(things.get("a")!.closed).toBe(0);
    expect(things.get("c")!.closed).toBe(0);
  });

  test("a failed open is not cached", async () => {
    const cache = new OpenCache<Thing>(2);
    let n = 0;
    const open = async () => {
      n++;
      if (n === 1) throw new Error("boom");
      return new Thing();
    };
    await expect(cache.get(http(), "a", open)).rejects.toThrow("boom");
    await cache.get(http(), "a", open);
    expect(n).toBe(2);
  });
});

describe("gen2 openNight", () => {
  test("a fresh copy of the same picked night reuses the scanned night", async () => {
    const first = openNight(picked(bytes), "a");
    const second = openNight(picked(bytes), "a");
    expect(second).toBe(first);
    const night = await second;
    expect(night.files.map((f) => f.path)).toEqual(["extremes.bin"]);
    // the same folder with a changed file is scanned again
    expect(openNight(picked(bytes, 5), "a")).not.toBe(first);
  });
});
