import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type StaticServer, startStaticServer } from "../../../test/support/static-server.js";
import { type DirectorySource, fileListDirectory, type FileLike, openHttpDirectory, parseDirectoryListing, readAll } from "../src/index.js";
import { directoryListing, openDirectorySource } from "../src/node.js";

let dir: string;
let server: StaticServer;
const FILES: Record<string, string> = { "a.bin": "AAAA", "sub/b.bin": "BB", "sub/deep/c d.bin": "C", "z.txt": "zzz" };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "daqkit-io-dir-"));
  for (const [p, text] of Object.entries(FILES)) {
    await mkdir(join(dir, p, ".."), { recursive: true });
    await writeFile(join(dir, p), text);
  }
  await symlink(join(dir, "a.bin"), join(dir, "link.bin"));
  await symlink(join(dir, "sub"), join(dir, "linkdir"));
  server = await startStaticServer({ "/d/": dir });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const EXPECTED_FILES = ["a.bin", "link.bin", "sub/b.bin", "sub/deep/c d.bin", "z.txt"];

function filesOf(): FileLike[] {
  return [...EXPECTED_FILES].map((p) => {
    const text = p === "link.bin" ? FILES["a.bin"]! : FILES[p]!;
    return Object.assign(new File([text], p.split("/").pop()!, { lastModified: 1000 }), { webkitRelativePath: `picked/${p}` });
  });
}

const sources: Record<string, () => Promise<DirectorySource>> = {
  node: () => openDirectorySource(dir),
  http: () => openHttpDirectory(`${server.origin}/d/`),
  files: async () => fileListDirectory(filesOf()),
};

describe.each(Object.keys(sources))("%s directory source", (kind) => {
  test("lists one level, recursively and below a folder; opens files", async () => {
    const s = await sources[kind]!();
    const top = await s.list();
    expect(top.map((e) => [e.path, e.kind])).toEqual([
      ["a.bin", "file"],
      ["link.bin", "file"],
      ["sub", "directory"],
      ["z.txt", "file"],
    ]);
    expect(top[0]!.size).toBe(4);
    const all = await s.list({ recursive: true });
    expect(all.filter((e) => e.kind === "file").map((e) => e.path)).toEqual(EXPECTED_FILES);
    expect(all.map((e) => e.path)).toContain("sub/deep");
    expect((await s.list({ under: "sub" })).map((e) => e.path)).toEqual(["sub/b.bin", "sub/deep"]);
    const f = await s.open("sub/deep/c d.bin");
    expect(new TextDecoder().decode(await readAll(f))).toBe("C");
    await f.close?.();
    if (kind === "node") expect(all.find((e) => e.path === "a.bin")!.mtimeMs).toBeGreaterThan(0);
  });

  test("bad paths are coded", async () => {
    const s = await sources[kind]!();
    await expect(s.open("../etc/passwd")).rejects.toMatchObject({ code: "IO_INVALID_PATH" });
    await expect(s.open("/a.bin")).rejects.toMatchObject({ code: "IO_INVALID_PATH" });
    await expect(s.open("nope.bin")).rejects.toMatchObject({ code: "IO_NOT_FOUND" });
    await expect(s.list({ under: "nope" })).rejects.toMatchObject({ code: "IO_NOT_FOUND" });
  });
});

describe("listing", () => {
  test("directoryListing round-trips through parseDirectoryListing", async () => {
    const listing = await directoryListing(dir);
    expect(parseDirectoryListing(JSON.parse(JSON.stringify(listing)), "l.json").entries).toEqual(listing.entries);
  });
  test("malformed listings are IO_BAD_LISTING naming the entry", () => {
    const bad = [
      { format: "other" },
      { format: "daqkit-listing", version: 1, entries: {} },
      { format: "daqkit-listing", version: 1, entries: [{ path: "a", kind: "file", size: -1, mtimeMs: 0 }] },
      { format: "daqkit-listing", version: 1, entries: [{ path: "../a", kind: "file", size: 1, mtimeMs: 0 }] },
      {
        format: "daqkit-listing",
        version: 1,
        entries: [
          { path: "a", kind: "file", size: 1, mtimeMs: 0 },
          { path: "a", kind: "file", size: 1, mtimeMs: 0 },
        ],
      },
    ];
    for (const b of bad) expect(() => parseDirectoryListing(b, "l.json")).toThrow(expect.objectContaining({ code: "IO_BAD_LISTING" }));
  });
  test("an HTTP directory opens a file with the listing's size: no request until the first read", async () => {
    const s = await openHttpDirectory(`${server.origin}/d/`);
    const before = server.requests();
    const f = await s.open("sub/b.bin");
    expect(f.size).toBe(2);
    expect(server.requests() - before).toBe(0);
    expect(new TextDecoder().decode(await f.read(0, 2))).toBe("BB");
    expect(server.requests() - before).toBe(1);
  });
  test("a missing Node directory is IO_NOT_FOUND", async () => {
    await expect(openDirectorySource(join(dir, "missing"))).rejects.toMatchObject({ code: "IO_NOT_FOUND" });
    await expect(openHttpDirectory(`${server.origin}/nothing/`)).rejects.toMatchObject({ code: "IO_NOT_FOUND" });
  });
});
