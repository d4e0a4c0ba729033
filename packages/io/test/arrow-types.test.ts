import { Bool, type DataType, Field, type FixedSizeBinary, Float16, List, Type, Utf8 } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { arrowTypeOfNumpy, arrowTypeOfTypedArray, typedArrayConstructorOfArrowType } from "../src/arrow.js";
import { isNumericTypedArray, numpyTypestrOfTypedArray, typedArrayConstructorOfNumpy } from "../src/index.js";

const ARRAYS = [
  [new Int8Array(1), "Int8", "|i1"],
  [new Uint8Array(1), "Uint8", "|u1"],
  [new Int16Array(1), "Int16", "<i2"],
  [new Uint16Array(1), "Uint16", "<u2"],
  [new Int32Array(1), "Int32", "<i4"],
  [new Uint32Array(1), "Uint32", "<u4"],
  [new BigInt64Array(1), "Int64", "<i8"],
  [new BigUint64Array(1), "Uint64", "<u8"],
  [new Float32Array(1), "Float32", "<f4"],
  [new Float64Array(1), "Float64", "<f8"],
] as const;

describe("typed array ↔ Arrow ↔ numpy", () => {
  it("maps every numeric typed array both ways", () => {
    for (const [array, arrow, numpy] of ARRAYS) {
      const type = arrowTypeOfTypedArray(array);
      expect(String(type)).toBe(arrow);
      expect(typedArrayConstructorOfArrowType(type)).toBe(array.constructor);
      expect(numpyTypestrOfTypedArray(array)).toBe(numpy);
      expect(typedArrayConstructorOfNumpy(numpy)).toBe(array.constructor);
      expect(String(arrowTypeOfNumpy(numpy))).toBe(arrow);
      expect(isNumericTypedArray(array)).toBe(true);
    }
    expect(numpyTypestrOfTypedArray(new Float64Array(1), ">")).toBe(">f8");
    expect(numpyTypestrOfTypedArray(new Uint8Array(1), ">")).toBe("|u1");
  });

  it("maps the numpy kinds without a typed array of their own", () => {
    expect(arrowTypeOfNumpy("|b1")).toBeInstanceOf(Bool);
    expect(typedArrayConstructorOfNumpy("|b1")).toBe(Uint8Array);
    expect(arrowTypeOfNumpy("<f2")).toBeInstanceOf(Float16);
    expect(typedArrayConstructorOfNumpy("<f2")).toBe(Uint16Array);
    expect(typedArrayConstructorOfArrowType(new Float16())).toBe(Uint16Array);
    expect((arrowTypeOfNumpy("|S7") as FixedSizeBinary).byteWidth).toBe(7);
    expect((arrowTypeOfNumpy("|V3") as FixedSizeBinary).byteWidth).toBe(3);
    expect(arrowTypeOfNumpy("<U4")).toBeInstanceOf(Utf8);
    expect(typedArrayConstructorOfNumpy(">i4")).toBe(Int32Array);
    expect(typedArrayConstructorOfNumpy("<c16")).toBe(Float64Array);
    for (const [unit, name] of [
      ["s", "Timestamp<SECOND>"],
      ["ms", "Timestamp<MILLISECOND>"],
      ["us", "Timestamp<MICROSECOND>"],
      ["ns", "Timestamp<NANOSECOND>"],
    ]) {
      const t = arrowTypeOfNumpy(`<M8[${unit}]`);
      expect(t.typeId).toBe(Type.Timestamp);
      expect(String(t)).toBe(name);
      expect(typedArrayConstructorOfArrowType(t)).toBe(BigInt64Array);
      expect(arrowTypeOfNumpy(`<m8[${unit}]`).typeId).toBe(Type.Duration);
    }
  });

  it("refuses what has no counterpart with a coded error", () => {
    expect(() => arrowTypeOfTypedArray(new Uint8ClampedArray(1))).toThrow(expect.objectContaining({ code: "IO_UNSUPPORTED_TYPE" }));
    expect(() => arrowTypeOfTypedArray(new DataView(new ArrayBuffer(1)))).toThrow(expect.objectContaining({ code: "IO_UNSUPPORTED_TYPE" }));
    expect(() => numpyTypestrOfTypedArray([1, 2] as never)).toThrow(expect.objectContaining({ code: "IO_UNSUPPORTED_TYPE" }));
    expect(() => typedArrayConstructorOfArrowType(new Utf8())).toThrow(expect.objectContaining({ code: "IO_UNSUPPORTED_TYPE" }));
    expect(() => typedArrayConstructorOfArrowType(new List(new Field("x", new Bool())) as DataType)).toThrow(
      expect.objectContaining({ code: "IO_UNSUPPORTED_TYPE" }),
    );
    for (const s of ["<c8", "|O8", "<M8[D]", "<M8"]) {
      expect(() => arrowTypeOfNumpy(s), s).toThrow(expect.objectContaining({ code: "IO_UNSUPPORTED_TYPE" }));
    }
    expect(() => typedArrayConstructorOfNumpy("<U3")).toThrow(expect.objectContaining({ code: "IO_UNSUPPORTED_TYPE" }));
    expect(() => arrowTypeOfNumpy("<q8")).toThrow(expect.objectContaining({ code: "IO_BAD_DTYPE" }));
    expect(isNumericTypedArray([1])).toBe(false);
  });
});
