import { expect, test } from "vitest";
import { IoError } from "../src/index.js";

test("IoError carries its code and the daqkit marker", () => {
  const e = new IoError("IO_NOT_FOUND", "no such file: a.bin", { path: "a.bin" });
  expect(e.code).toBe("IO_NOT_FOUND");
  expect(IoError.isInstance(e)).toBe(true);
  expect(IoError.isInstance(new Error("x"))).toBe(false);
  expect((e as unknown as Record<symbol, unknown>)[Symbol.for("daqkit.error")]).toBe(true);
});
