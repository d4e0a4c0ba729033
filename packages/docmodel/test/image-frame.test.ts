import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadMsgpackRunBytes, readImageFrame } from "../src/index.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata/docmodel");
const run = (uid: string) => loadMsgpackRunBytes(readFileSync(join(TESTDATA, `${uid}.msgpack`)), `${uid}.msgpack`);
const IMAGE_2D = "530894b3-1b56-534e-8926-86d5417fdc39";
const EVENT_PAGE = "b7504d38-793e-55a0-a4b8-32efe2c72918";
const SCALARS = "05a9a318-013e-5700-b4e3-e6b467ace5f8";

describe("image frames of a stream's image field", () => {
  it("equal the Python reader's values (read_expected.json), each event", () => {
    const expected = JSON.parse(readFileSync(join(TESTDATA, "read_expected.json"), "utf8"))[IMAGE_2D].primary.data_vars.cam_image;
    const r = run(IMAGE_2D);
    for (let event = 0; event < 3; event++) {
      const f = readImageFrame(r, "primary", "cam_image", event);
      expect([f.height, f.width, f.events, f.dtype]).toEqual([4, 5, 3, "<u2"]);
      expect(f.dims).toEqual(expected.dims.slice(1));
      expect(Array.from(f.values)).toEqual(expected.values[event].flat());
      expect([f.min, f.max]).toEqual([100 * event, 100 * event + 19]);
    }
  });

  it("frames of an event page composed from whole-column arrays and from lists", () => {
    const r = run(EVENT_PAGE);
    const f1 = readImageFrame(r, "primary", "image", 1);
    expect(Array.from(f1.values)).toEqual(Array.from({ length: 9 }, (_, i) => (9 + i) / 4));
    const f5 = readImageFrame(r, "primary", "image", 5);
    expect(f5.values.every((v) => v === 11)).toBe(true);
  });

  it("coded errors: unknown stream, unknown field, event out of range, a scalar field", () => {
    const r = run(IMAGE_2D);
    expect(() => readImageFrame(r, "nope", "cam_image")).toThrow(expect.objectContaining({ code: "DOCS_STREAM_NOT_FOUND" }));
    expect(() => readImageFrame(r, "primary", "nope")).toThrow(expect.objectContaining({ code: "DOCS_BAD_ARGUMENT" }));
    expect(() => readImageFrame(r, "primary", "cam_image", 3)).toThrow(expect.objectContaining({ code: "DOCS_BAD_ARGUMENT" }));
    expect(() => readImageFrame(r, "primary", "cam_sum")).toThrow(expect.objectContaining({ code: "DOCS_SHAPE_MISMATCH" }));
    expect(() => readImageFrame(run(SCALARS), "primary", "motor")).toThrow(expect.objectContaining({ code: "DOCS_SHAPE_MISMATCH" }));
  });
});
