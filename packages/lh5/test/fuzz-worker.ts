// Worker script of lh5.fuzz.test.ts (bundled with bundleScript): each input is a mutated LH5 file,
// written to the worker's scratch directory and read through one of the two readers.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { serveInputs } from "../../../test/support/fault-worker.js";
import { type Lh5File, openLh5, openLh5Links } from "../src/node.js";

let n = 0;

/** List every group with the fast-links reader (no h5wasm). */
function walkLinks(path: string): string {
  using links = openLh5Links(path);
  let count = 0;
  const seen = new Set<string>();
  const visit = (group: string, depth: number): void => {
    if (depth > 16 || seen.has(group)) return;
    seen.add(group);
    for (const name of links.list(group) ?? []) {
      count++;
      visit(group === "" ? name : `${group}/${name}`, depth + 1);
    }
  };
  visit("", 0);
  return `${count} links`;
}

/** Open with h5wasm, list every object and read every LGDO (tables, arrays, VoVs, encoded waveforms, histograms). */
async function readAll(path: string): Promise<string> {
  const f: Lh5File = await openLh5(path);
  try {
    const objects = f.listObjects();
    let read = 0;
    for (const o of objects) {
      if (o.type === null) continue;
      f.readObject(o.path, { decodeWaveforms: o.type === "ArrayOfEncodedEqualSizedArrays" || o.type === "VectorOfEncodedVectors" });
      read++;
    }
    f.listTables();
    return `${objects.length} objects, ${read} read`;
  } finally {
    f.close();
  }
}

serveInputs(async (data, _label, workerData) => {
  const { bytes, reader } = data as { bytes: Uint8Array; reader: "links" | "h5" };
  const path = join((workerData as { dir: string }).dir, `in-${process.pid}-${n++}.lh5`);
  writeFileSync(path, bytes);
  return reader === "links" ? walkLinks(path) : await readAll(path);
});
