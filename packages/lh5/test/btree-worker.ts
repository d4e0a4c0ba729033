// Worker script of attrs-btree.fuzz.test.ts (bundled with bundleScript): open a damaged LH5 file,
// list every object and read every LGDO. A listing that is not the undamaged file's (`expected`
// objects) is a silent wrong answer: reported as an uncaught (non-daqkit) error, i.e. a defect.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { serveInputs } from "../../../test/support/fault-worker.js";
import { openLh5 } from "../src/node.js";

let n = 0;

serveInputs(async (data, _label, workerData) => {
  const { bytes, expected } = data as { bytes: Uint8Array; expected: number };
  const path = join((workerData as { dir: string }).dir, `btree-${process.pid}-${n++}.lh5`);
  writeFileSync(path, bytes);
  const f = await openLh5(path);
  try {
    const objects = f.listObjects();
    if (objects.length !== expected) throw new Error(`silently partial listing: ${objects.length} of ${expected} objects`);
    for (const o of objects) if (o.type !== null) f.readObject(o.path);
    return `${objects.length} objects`;
  } finally {
    f.close();
  }
});
