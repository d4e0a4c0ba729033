import { describe, expect, it } from "vitest";
import {
  classifyWordBytes,
  decodeHeaderWord,
  decodePhotonWord,
  encodeHeaderWord,
  encodePhotonWord,
  Gen2BinError,
  paddingWordBytes,
} from "../src/node.js";
import { hex, toHex } from "./helpers.js";

describe("header words (spec §13.1, §13.3)", () => {
  const vectors: Array<[string, number, number, number]> = [
    ["ff e8 76 0b 46 72 2c fb", 232, 1888, 48426527995],
    ["ff ff ff ff ff ff ff ff", 255, 4095, 68719476735],
    ["ff 00 00 00 00 00 00 00", 0, 0, 0],
    ["ff dc 00 10 00 00 00 01", 220, 1, 1],
    ["ff ef ff f1 23 45 67 89", 239, 4095, 4886718345],
  ];
  it.each(vectors)("%s ↔ board %i frame %i ts %i", (bytes, board, frame, timestamp) => {
    expect(classifyWordBytes(hex(bytes))).toBe("header");
    expect(decodeHeaderWord(hex(bytes))).toEqual({ board, frame, timestamp });
    expect(toHex(encodeHeaderWord({ board, frame, timestamp }))).toBe(bytes);
  });
  it("reduces the timestamp mod 2^36 and rejects fields that do not fit", () => {
    expect(decodeHeaderWord(encodeHeaderWord({ board: 1, frame: 2, timestamp: 2 ** 36 + 5 })).timestamp).toBe(5);
    for (const bad of [
      { board: 256, frame: 0, timestamp: 0 },
      { board: 0, frame: 4096, timestamp: 0 },
      { board: 0, frame: 0, timestamp: -1 },
    ]) {
      expect(() => encodeHeaderWord(bad)).toThrow(expect.objectContaining({ code: "GEN2_VALUE_OUT_OF_RANGE" }));
    }
  });
});

describe("photon words (spec §13.1, §13.2): 18-bit phase, 17-bit baseline (D1, D2)", () => {
  const vectors: Array<[string, number, number, number, number, number]> = [
    ["18 c2 c4 1e f5 39 ef 12", 99, 44, 131, -34148, -4334],
    ["00 40 2f 9a 00 00 80 00", 1, 2, 499, 65536, 32768],
    ["00 00 00 04 00 01 00 00", 0, 0, 0, -131072, -65536],
    ["3f cf ff fb ff fe ff ff", 255, 255, 511, 131071, 65535],
    ["02 81 40 05 ff ff 7f ff", 10, 20, 0, -65537, -32769],
    ["22 c9 17 d7 ff fe 00 00", 139, 145, 250, -1, 0],
    ["bf ff f0 38 00 c9 ff 9c", 767, 1023, 7, 100, -100],
  ];
  it.each(vectors)("%s ↔ x %i y %i offset %i phase %i baseline %i", (bytes, x, y, offset, phase, baseline) => {
    expect(classifyWordBytes(hex(bytes))).toBe("photon");
    expect(decodePhotonWord(hex(bytes))).toEqual({ x, y, offset, phase, baseline });
    expect(toHex(encodePhotonWord({ x, y, offset, phase, baseline }))).toBe(bytes);
  });
  it("classifies the padding word, whose naive decode is (511, 1023, 511, -1, -1)", () => {
    expect(classifyWordBytes(paddingWordBytes())).toBe("padding");
    expect(decodePhotonWord(paddingWordBytes())).toEqual({ x: 511, y: 1023, offset: 511, phase: -1, baseline: -1 });
    expect(() => encodePhotonWord({ x: 511, y: 1023, offset: 511, phase: -1, baseline: -1 })).toThrow(
      expect.objectContaining({ code: "GEN2_VALUE_OUT_OF_RANGE" }),
    );
  });
  it("rejects out-of-range fields and short input with codes", () => {
    expect(() => encodePhotonWord({ x: 0, y: 0, offset: 0, phase: 131072, baseline: 0 })).toThrow(
      expect.objectContaining({ code: "GEN2_VALUE_OUT_OF_RANGE" }),
    );
    expect(() => encodePhotonWord({ x: 1020, y: 0, offset: 0, phase: 0, baseline: 0 })).toThrow(Gen2BinError);
    try {
      decodePhotonWord(hex("00 00 00"));
      expect.unreachable();
    } catch (error) {
      expect(Gen2BinError.isInstance(error)).toBe(true);
      expect((error as Gen2BinError).code).toBe("GEN2_PARTIAL_WORD");
    }
  });
});

describe("binney's serializer output (spec §12 D3, D4; §13.3 last column) is what we do not write", () => {
  it("D3: frame at bit 40 reads back as another board/frame; ours is the spec layout", () => {
    expect(decodeHeaderWord(hex("ff ef 60 0b 46 72 2c fb"))).toEqual({ board: 239, frame: 1536, timestamp: 48426527995 });
    expect(decodeHeaderWord(hex("ff ff ff 0f ff ff ff ff")).frame).toBe(4080);
    expect(decodeHeaderWord(hex("ff dc 01 00 00 00 00 01")).frame).toBe(16);
    expect(toHex(encodeHeaderWord({ board: 232, frame: 1888, timestamp: 48426527995 }))).toBe("ff e8 76 0b 46 72 2c fb");
  });
  it("D4: a photon word starting from 0xFF… is a header; ours starts from 0", () => {
    expect(classifyWordBytes(hex("ff c2 c4 1e f5 39 ef 12"))).toBe("header");
    expect(toHex(encodePhotonWord({ x: 99, y: 44, offset: 131, phase: -34148, baseline: -4334 }))).toBe("18 c2 c4 1e f5 39 ef 12");
  });
});
