import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { hdf5Error, IoError, loadH5Runtime, summarizeHdf5Diagnostic } from "../src/index.js";
import { loadH5RuntimeNode } from "../src/node.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata");
const FILE = join(TESTDATA, "lh5/l200-p03-r000-phy-20230312T055349Z-tier_psp.lh5");

/** The first numeric dataset found walking the file (deterministic: sorted keys). */
function firstDataset(file: any, path = "/"): string | undefined {
  const g = file.get(path);
  for (const k of [...g.keys()].sort()) {
    const p = path === "/" ? `/${k}` : `${path}/${k}`;
    const o = file.get(p);
    if (o?.type === "Dataset" && typeof o.dtype === "string" && /[<>][iufd]/.test(o.dtype) && o.shape?.length === 1) return p;
    if (o?.type === "Group") {
      const inner = firstDataset(file, p);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** A 1-D dataset's values as numbers. */
function values(file: any, path: string): number[] {
  return Array.from(file.get(path).value as ArrayLike<number>, Number);
}

describe("h5wasm runtime", () => {
  test("Node (path, bytes) and browser build (bytes) read the same dataset", async () => {
    const node = await loadH5RuntimeNode();
    const byPath = node.openPath(FILE);
    const path = firstDataset(byPath.file)!;
    expect(path).toBeDefined();
    const expected = values(byPath.file, path);
    byPath.close();
    const bytes = new Uint8Array(readFileSync(FILE));
    const nodeBytes = node.openBytes(bytes, "psp.lh5");
    expect(values(nodeBytes.file, path)).toEqual(expected);
    nodeBytes.close();
    expect(node.pluginFilters.has(32015)).toBe(true);
    const browser = await loadH5Runtime({ pluginBaseUrl: "file:///nonexistent" });
    expect(browser.kind).toBe("browser");
    const mem = browser.openBytes(bytes, "psp.lh5");
    expect(values(mem.file, path)).toEqual(expected);
    mem.close();
    expect(() => browser.openPath(FILE)).toThrow(expect.objectContaining({ code: "IO_UNSUPPORTED" }));
  });

  test("garbage and missing files give coded errors with a one-line reason and the full text as cause", async () => {
    const node = await loadH5RuntimeNode();
    let error: unknown;
    try {
      node.openBytes(new Uint8Array(4096).fill(7), "junk.h5");
    } catch (e) {
      error = e;
    }
    expect(IoError.isInstance(error)).toBe(true);
    expect((error as IoError).code).toBe("IO_HDF5_FAILED");
    expect((error as IoError).message).toMatch(/^io: junk\.h5: opening as HDF5: /);
    expect((error as IoError).message.split("\n")).toHaveLength(1);
    expect(String(((error as IoError).cause as Error).message)).toContain("HDF5");
    expect(() => node.openPath(join(TESTDATA, "missing.lh5"))).toThrow(expect.objectContaining({ code: "IO_NOT_FOUND" }));
  });

  test("summarizeHdf5Diagnostic keeps the innermost record", () => {
    const diag = [
      "HDF5-DIAG: Error detected in HDF5 (2.0.0):",
      "  #000: /src/H5F.c line 836 in H5Fopen(): unable to synchronously open file",
      "    major: File accessibility",
      "    minor: Unable to open file",
      "  #001: /src/H5Fint.c line 2000 in H5F_open(): file signature not found",
      "    major: File accessibility",
      "    minor: Not an HDF5 file",
    ].join("\n");
    expect(summarizeHdf5Diagnostic(diag)).toBe("H5F_open(): file signature not found (Not an HDF5 file)");
    expect(summarizeHdf5Diagnostic("plain failure\nmore")).toBe("plain failure");
    expect(hdf5Error(new Error(diag), "a.h5", "reading").code).toBe("IO_HDF5_FAILED");
  });
});
