/**
 * A served night's scan sends the request for the file its whole-night bin reads first while the
 * headers are scanned (issue 16), when the listing the ref carries says which file that is.
 */
import { describe, expect, test } from "vitest";
import type { DirRef } from "../src/input.js";
import { firstFileOf } from "../src/worker/jobs/gen2.js";

const served = (entries: unknown[]): DirRef => ({
  kind: "http",
  name: "night",
  base: "http://h/data/t/",
  listingUrl: "http://h/api/t/list?path=",
  listingText: JSON.stringify({ format: "daqkit-listing", version: 1, entries }),
});
const file = (path: string, size = 800) => ({ path, kind: "file", size, mtimeMs: 0 });

describe("firstFileOf", () => {
  test("the only .bin file of the night, or the lowest of <unix second>.bin names", () => {
    expect(firstFileOf(served([file("a.bin"), file("notes.txt")]), "")).toEqual({ path: "a.bin", size: 800 });
    expect(firstFileOf(served([file("1602050065.bin", 16), file("1602050064.bin", 24), file("999.txt")]), "")).toEqual({
      path: "1602050064.bin",
      size: 24,
    });
    // a night below the input's root; files deeper down and files too short for a word are not the night's
    expect(firstFileOf(served([file("n/10.bin"), file("n/9.bin"), file("n/x/1.bin"), file("n/8.bin", 4)]), "n")).toEqual({
      path: "9.bin",
      size: 800,
    });
  });
  test("undefined when the scan decides (names not numbers: first-header time) or there is no listing", () => {
    expect(firstFileOf(served([file("a.bin"), file("b.bin")]), "")).toBeUndefined();
    expect(firstFileOf(served([]), "")).toBeUndefined();
    expect(firstFileOf({ kind: "http", name: "n", base: "http://h/", listingUrl: "http://h/l" }, "")).toBeUndefined();
    expect(firstFileOf({ ...served([]), listingText: "not json" } as DirRef, "")).toBeUndefined();
    expect(firstFileOf({ kind: "files", name: "n", files: [] }, "")).toBeUndefined();
  });
});
