// withHdf5StatusCalls: inside the scope HDF5 calls return statuses and their diagnostics are
// captured (nothing printed); outside it io's throwing handler is back.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { loadH5RuntimeNode, withHdf5StatusCalls } from "../src/node.js";

const dir = mkdtempSync(join(tmpdir(), "io-h5-status-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a failing open returns a negative id with the diagnostic captured; the throwing handler is restored afterwards", async () => {
  const rt = await loadH5RuntimeNode();
  const path = join(dir, "not-hdf5.h5");
  writeFileSync(path, "not an HDF5 file at all, just text");
  const seen = withHdf5StatusCalls(rt, (capture) => {
    const file = new rt.h5.File(path, "r");
    const id = file.file_id;
    const first = capture.diagnostic();
    capture.clear();
    const nested = withHdf5StatusCalls(rt, (inner) => inner.diagnostic());
    return { id, first, nested };
  });
  expect(seen.id < 0n).toBe(true);
  expect(seen.first).toMatch(/HDF5-DIAG/);
  expect(seen.nested).toBe("");
  expect(() => new rt.h5.File(path, "r")).toThrow();
  // A throw inside the scope still restores the handler.
  expect(() =>
    withHdf5StatusCalls(rt, () => {
      throw new Error("inside");
    }),
  ).toThrow("inside");
  expect(() => new rt.h5.File(path, "r")).toThrow();
});
