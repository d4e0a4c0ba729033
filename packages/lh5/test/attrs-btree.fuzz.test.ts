// Regression tests of two issue-14 defects of the h5wasm reader:
// - "An h5wasm abort while reading an LH5 object's attributes is taken as 'no attributes'": a failed
//   attribute read (injected as a wasm abort) is LH5_READ_IO naming the object, never a table listed
//   as "(no datatype)" or a column whose units silently vanished;
// - "64 zeroed bytes in a B-tree node spins": zeroing 64 bytes at B-tree nodes ("TREE") of real
//   files, open + list + read every object finishes within a per-input deadline with the complete
//   listing or a coded error (h5wasm alone lists some of these files silently short: 0 or 27 of 42).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, expect, test } from "vitest";
import { bundleScript, finish, newTally, runIsolated, scaled } from "../../../test/support/fault.js";
import { loadH5RuntimeNode as h5ready } from "@daqkit/io/node";
import { Lh5Error, createArray, createTable, openLh5, writeLh5 } from "../src/node.js";
import { RAW_CAL, TESTDATA } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "daqkit-lh5-regr-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type GetAttribute = (this: { path: string }, name: string, json?: boolean) => unknown;
let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

/** Make h5wasm's attribute read of `name` on the object at HDF5 path `objPath` abort, as a damaged header does. */
async function failAttributeRead(objPath: string, name: string): Promise<void> {
  const { h5 } = await h5ready();
  let proto = h5.Dataset.prototype as object;
  while (!Object.hasOwn(proto, "get_attribute")) proto = Object.getPrototypeOf(proto) as object;
  const owner = proto as { get_attribute: GetAttribute };
  const original = owner.get_attribute;
  owner.get_attribute = function (this: { path: string }, n: string, json?: boolean) {
    if (this.path === objPath && n === name) throw new WebAssembly.RuntimeError("Aborted(). Build with -sASSERTIONS for more info.");
    return original.call(this, n, json);
  };
  restore = () => {
    owner.get_attribute = original;
  };
}

// The injected abort is in h5wasm's attribute read, so these files are opened with `direct: false`: by default
// plain string attributes come from the object header without h5wasm (a damaged header is then a fast-links
// error and h5wasm reads, and reports, the attributes instead).
async function sample(): Promise<string> {
  const file = join(dir, "attrs.lh5");
  const e = new Float64Array([1, 2, 3]);
  await writeLh5(file, "t", createTable({ energy: createArray(e, { units: "keV" }), id: createArray(e) }), { mode: "w" });
  return file;
}

async function codedError(fn: () => unknown): Promise<Lh5Error> {
  try {
    await fn();
  } catch (error) {
    if (Lh5Error.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected an Lh5Error, the call succeeded");
}

test("a failed read of a column's units is LH5_READ_IO naming the column, not a table without units", async () => {
  const file = await sample();
  await failAttributeRead("/t/energy", "units");
  const f = await openLh5(file, { direct: false });
  try {
    const error = await codedError(() => f.readTable("t"));
    expect(error.code).toBe("LH5_READ_IO");
    expect(error.objectPath).toBe("t/energy");
    expect(error.message).toContain(`${file}:/t/energy`);
    expect(error.message).toContain("units");
  } finally {
    f.close();
  }
});

test("a failed read of a table's datatype is LH5_READ_IO naming it, not an object listed without datatype", async () => {
  const file = await sample();
  await failAttributeRead("/t", "datatype");
  const f = await openLh5(file, { direct: false });
  try {
    const listing = await codedError(() => f.listObjects());
    expect(listing.code).toBe("LH5_READ_IO");
    expect(listing.objectPath).toBe("t");
    expect((await codedError(() => f.readTable("t"))).code).toBe("LH5_READ_IO");
  } finally {
    f.close();
  }
  restore?.();
  // Without the injected failure the same file reads normally (the failure was not cached).
  const g = await openLh5(file);
  try {
    expect(g.readTable("t").columns.get("energy")?.attrs.units).toBe("keV");
  } finally {
    g.close();
  }
});

/** Offsets of the v1 B-tree nodes (signature "TREE") of a file. */
function btreeNodes(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i++) {
    if (bytes[i] === 0x54 && bytes[i + 1] === 0x52 && bytes[i + 2] === 0x45 && bytes[i + 3] === 0x45) out.push(i);
  }
  return out;
}

test("64 zeroed bytes at B-tree nodes: open, list and read finish within the deadline with the full listing or a coded error", async () => {
  const script = await bundleScript(join(import.meta.dirname, "btree-worker.ts"), join(dir, "btree-worker.mjs"));
  const tally = newTally("lh5-btree-zero64");
  // lgdo-histograms.lh5 is the file (42 objects; h5py lists them all); plus a raw tier file.
  const inputs = [join(TESTDATA, "lgdo-histograms.lh5"), RAW_CAL].flatMap((path) => {
    const bytes = new Uint8Array(readFileSync(path));
    const nodes = btreeNodes(bytes);
    expect(nodes.length).toBeGreaterThan(0);
    const expected = path === RAW_CAL ? 117 : 42;
    // Quick lane: up to 12 nodes per file, spread over the file; slow lane: every node.
    const keep = Math.min(nodes.length, scaled(12));
    const picked = Array.from({ length: keep }, (_, i) => nodes[Math.floor((i * nodes.length) / keep)] as number);
    // At the node (signature, type, level, entries, siblings) and 24 bytes in (keys and child pointers).
    return picked.flatMap((at) =>
      [at, at + 24].map((start) => {
        const m = bytes.slice();
        m.fill(0, start, Math.min(m.length, start + 64));
        return { label: `${path.split("/").pop()} zero64@${start}`, data: { bytes: m, expected } };
      }),
    );
  });
  await runIsolated(script, inputs, tally, { deadlineMs: 4000, workerData: { dir } });
  expect(tally.inputs).toBe(inputs.length);
  expect(finish(tally)).toEqual([]);
});
