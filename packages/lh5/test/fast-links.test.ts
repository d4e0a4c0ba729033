import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { blobSource, bytesSource } from "@daqkit/io";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Lh5Links, Lh5Error, createTable, listGroupMembers, openLh5, openLh5Links, openLh5LinksAsync, writeLh5 } from "../src/node.js";
import { PROD, RAW_CAL, TESTDATA, tempDir } from "./helpers.js";

function lh5Files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...lh5Files(p));
    else if (p.endsWith(".lh5")) out.push(p);
  }
  return out.sort();
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isUnsupported(e: unknown): boolean {
  return Lh5Error.isInstance(e) && e.code === "LH5_UNSUPPORTED";
}

const FILES = lh5Files(TESTDATA);
const unsupported: string[] = [];
const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe("openLh5Links (fast link lister) agrees with h5wasm on every test file", () => {
  it("has test files", () => expect(FILES.length).toBeGreaterThan(30));

  for (const file of FILES) {
    it(relative(TESTDATA, file), async () => {
      let links: Lh5Links;
      try {
        links = openLh5Links(file);
      } catch (e) {
        expect(isUnsupported(e), String(e)).toBe(true);
        return;
      }
      const f = await openLh5(file);
      try {
        const groups = [
          "",
          ...f
            .listObjects("")
            .filter((o) => o.kind === "group")
            .map((o) => o.path),
        ];
        let compared = 0;
        for (const g of groups) {
          let names: string[] | undefined;
          try {
            names = links.list(g);
          } catch (e) {
            if (isUnsupported(e)) {
              unsupported.push(`${relative(TESTDATA, file)}:/${g}: ${(e as Error).message}`);
              continue; // callers fall back to openLh5 for such files
            }
            throw e;
          }
          const expected = f
            .listObjects(g, { recursive: false })
            .map((o) => o.name)
            .sort(byteOrder);
          expect(names, `${g}`).toEqual(expected);
          compared++;
        }
        expect(compared).toBeGreaterThan(0);
      } finally {
        f.close();
        links.close();
      }
    });
  }

  it("reads every group of every test file (no fallback needed)", () => {
    expect(unsupported).toEqual([]);
  });

  it("lists the same from bytes, and asynchronously from a Blob source (no readSync) fetched in spans", async () => {
    let checked = 0;
    for (const file of FILES) {
      let links: Lh5Links;
      try {
        links = openLh5Links(file);
      } catch {
        continue;
      }
      const bytes = new Uint8Array(readFileSync(file));
      const fromBytes = openLh5Links(bytes);
      let reads = 0;
      const blob = blobSource(new Blob([bytes]), file);
      const counting = {
        ...blob,
        read: (o: number, n: number) => {
          reads++;
          return blob.read(o, n);
        },
      };
      const slow = await openLh5LinksAsync(counting);
      try {
        expect(fromBytes.path).toBe("bytes");
        expect(slow.path).toBe(file);
        for (const g of ["", ...(links.glob("*") ?? [])]) {
          const expected = links.list(g);
          expect(fromBytes.list(g), `${file}:/${g}`).toEqual(expected);
          expect(await slow.list(g), `${file}:/${g}`).toEqual(expected);
        }
        expect(await slow.glob("*/*")).toEqual(links.glob("*/*"));
        expect(reads).toBeLessThanOrEqual(Math.ceil(bytes.length / 65536));
        checked++;
      } finally {
        links.close();
        fromBytes.close();
        slow.close();
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it("listers open at the same time never see each other's blocks (closed listers' buffers are reused)", () => {
    // Expected listings from bytes in memory (views of the bytes, no pooled buffers).
    const expected = new Map<string, Map<string, string[] | undefined>>();
    for (const file of FILES) {
      let links: Lh5Links;
      try {
        links = openLh5Links(new Uint8Array(readFileSync(file)));
      } catch {
        continue;
      }
      try {
        const groups = ["", ...links.glob("*"), ...links.glob("*/*")];
        expected.set(file, new Map(groups.map((g) => [g, links.list(g)])));
      } finally {
        links.close();
      }
    }
    expect(expected.size).toBeGreaterThan(30);
    // Paths (pooled block buffers): three listers open at a time, each group listed only after the
    // next file was opened and the previous one closed, so blocks are read into reused buffers while
    // other listers still hold theirs.
    const open: { file: string; links: Lh5Links; pending: string[] }[] = [];
    const step = (entry: (typeof open)[number]): void => {
      const g = entry.pending.shift();
      if (g !== undefined) expect(entry.links.list(g), `${entry.file}:/${g}`).toEqual(expected.get(entry.file)!.get(g));
    };
    let listed = 0;
    for (const [file, groups] of expected) {
      open.push({ file, links: openLh5Links(file), pending: [...groups.keys()] });
      for (const entry of open) step(entry);
      if (open.length > 3) {
        const done = open.shift()!;
        while (done.pending.length > 0) step(done);
        done.links.close();
        listed++;
      }
    }
    for (const entry of open) {
      while (entry.pending.length > 0) step(entry);
      entry.links.close();
      listed++;
    }
    expect(listed).toBe(expected.size);
  });

  it("a source without readSync is LH5_UNSUPPORTED for the synchronous lister; async errors are coded", async () => {
    const blob = blobSource(new Blob([new Uint8Array(100)]), "zeros.lh5");
    expect(() => openLh5Links(blob)).toThrowError(expect.objectContaining({ code: "LH5_UNSUPPORTED", path: "zeros.lh5" }));
    await expect(openLh5LinksAsync(blob)).rejects.toMatchObject({ code: "LH5_UNSUPPORTED", path: "zeros.lh5" });
    const failing = { ...bytesSource(new Uint8Array(100), "bad"), read: async () => Promise.reject(new Error("boom")) };
    await expect(openLh5LinksAsync(failing)).rejects.toMatchObject({ name: "Lh5Error" });
  });

  it("globs groups like pygama's table discovery", () => {
    const links = openLh5Links(join(PROD, "dsp/phy/p03/r001/l200-p03-r001-phy-20230322T160139Z-tier_dsp.lh5"));
    try {
      expect(links.glob("ch*/dsp")).toEqual([
        "ch1057600/dsp",
        "ch1059201/dsp",
        "ch1062405/dsp",
        "ch1084803/dsp",
        "ch1084804/dsp",
        "ch1121600/dsp",
      ]);
      expect(links.glob("ch*/raw")).toEqual([]);
      expect(links.glob("ch1057600/dsp/timestamp")).toEqual([]); // a dataset, not a group
      expect(links.list("nope")).toBeUndefined();
      expect(links.list("ch1057600/dsp/timestamp")).toBeUndefined(); // a dataset
      expect(links.list("/ch1057600//dsp/")).toEqual(links.list("ch1057600/dsp"));
    } finally {
      links.close();
    }
  });

  it("listGroupMembers opens, lists one group and closes", async () => {
    const f = await openLh5(RAW_CAL);
    try {
      const root = f
        .listObjects("", { recursive: false })
        .map((o) => o.name)
        .sort(byteOrder);
      expect(listGroupMembers(RAW_CAL)).toEqual(root);
      expect(listGroupMembers(RAW_CAL, "ch1084803/raw")).toEqual(
        f
          .listObjects("ch1084803/raw", { recursive: false })
          .map((o) => o.name)
          .sort(byteOrder),
      );
      expect(listGroupMembers(RAW_CAL, "ch1084803/raw/nope")).toBeUndefined();
    } finally {
      f.close();
    }
  });

  it("close is idempotent, use after close is a TypeError, and `using` closes", () => {
    const links = openLh5Links(RAW_CAL);
    links.close();
    links.close();
    expect(() => links.list("")).toThrow(TypeError);
    {
      using scoped = openLh5Links(RAW_CAL);
      expect(scoped.path).toBe(RAW_CAL);
      expect(scoped.list("")?.length).toBeGreaterThan(0);
    }
  });
});

describe("openLh5Links errors", () => {
  it("LH5_UNSUPPORTED for files without an HDF5 signature at byte 0 (the fallback signal)", () => {
    const text = join(tmp.dir, "not.lh5");
    writeFileSync(text, "not an HDF5 file at all, just some text");
    for (const path of [text, join(TESTDATA, "README.md")]) {
      const e = catchError(() => openLh5Links(path));
      expect(Lh5Error.isInstance(e) && e.code, String(e)).toBe("LH5_UNSUPPORTED");
      expect((e as Lh5Error).path).toBe(path);
    }
  });

  it("LH5_UNSUPPORTED for an HDF5 file with a user block (signature at byte 512)", async () => {
    const path = join(tmp.dir, "userblock.lh5");
    const { readFileSync } = await import("node:fs");
    writeFileSync(path, Buffer.concat([Buffer.alloc(512), readFileSync(RAW_CAL)]));
    expect((catchError(() => openLh5Links(path)) as Lh5Error).code).toBe("LH5_UNSUPPORTED");
  });

  it("LH5_UNSUPPORTED for truncated metadata", async () => {
    const path = join(tmp.dir, "short.lh5");
    const { readFileSync } = await import("node:fs");
    writeFileSync(path, readFileSync(RAW_CAL).subarray(0, 40));
    const e = catchError(() => {
      const links = openLh5Links(path);
      try {
        return links.list("ch1084803/raw");
      } finally {
        links.close();
      }
    });
    expect((e as Lh5Error).code).toBe("LH5_UNSUPPORTED");
  });

  it("LH5_FILE_NOT_FOUND for a missing path or a directory", () => {
    for (const path of [join(tmp.dir, "missing.lh5"), tmp.dir]) {
      const e = catchError(() => listGroupMembers(path));
      expect(Lh5Error.isInstance(e) && e.code, String(e)).toBe("LH5_FILE_NOT_FOUND");
    }
  });
});

describe("openLh5Links on files written by h5wasm (libver v110: compact and dense groups)", () => {
  it.each([3, 9, 40, 300, 2000])("lists a table with %i columns like h5wasm", async (n) => {
    const path = join(tmp.dir, `wide-${n}.lh5`);
    const columns: Record<string, Float64Array> = {};
    for (let i = 0; i < n; i++) columns[`column_${String(i).padStart(4, "0")}_${"x".repeat(i % 23)}`] = Float64Array.of(i);
    await writeLh5(path, "grp/tbl", createTable(columns), { mode: "w", compression: "none" });
    const links = openLh5Links(path);
    try {
      expect(links.list("grp/tbl")).toEqual(Object.keys(columns).sort(byteOrder));
      expect(links.glob("g*/tbl")).toEqual(["grp/tbl"]);
    } finally {
      links.close();
    }
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}
