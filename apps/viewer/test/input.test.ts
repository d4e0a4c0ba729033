/**
 * A served input's ref carries the listing the page fetched (issue 16): a worker opening the ref
 * answers the listing request with it, so it lists and opens files without asking the server for
 * the listing again. Nothing listens at the URLs below: any request made fails.
 */
import { describe, expect, test } from "vitest";
import { type DirRef, openDirRef } from "../src/input.js";

const listing = {
  format: "daqkit-listing",
  version: 1,
  entries: [
    { path: "a.bin", kind: "file", size: 16, mtimeMs: 0 },
    { path: "sub", kind: "directory", size: 0, mtimeMs: 0 },
    { path: "sub/b.bin", kind: "file", size: 8, mtimeMs: 0 },
  ],
};
const ref = (listingText?: string): DirRef => ({
  kind: "http",
  name: "night",
  base: "http://127.0.0.1:1/data/t0k3n/",
  listingUrl: "http://127.0.0.1:1/api/t0k3n/list?path=",
  ...(listingText === undefined ? {} : { listingText }),
});

describe("openDirRef of a served input", () => {
  test("with the page's listing: lists and opens files with no request", async () => {
    const source = await openDirRef(structuredClone(ref(JSON.stringify(listing))));
    expect((await source.list({ recursive: true })).map((e) => e.path)).toEqual(["a.bin", "sub", "sub/b.bin"]);
    const file = await source.open("sub/b.bin");
    expect(file.size).toBe(8);
    // reading needs the server
    await expect(file.read(0, 8)).rejects.toMatchObject({ code: "IO_FAILED" });
  });
  test("without it: the listing is fetched (and here fails)", async () => {
    await expect(openDirRef(ref())).rejects.toMatchObject({ code: "IO_FAILED" });
  });
});
