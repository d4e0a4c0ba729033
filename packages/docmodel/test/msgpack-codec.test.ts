import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DocModelError, NdArray, decodeMsgpack, encodeMsgpack, ndarray, validateDocument } from "../src/index.js";
import { MsgpackDecoder } from "../src/msgpack/decoder.js";
import { ALL_UIDS, TESTDATA, readJson, tagged } from "./helpers.js";

function decodeAll(bytes: Uint8Array): unknown[] {
  const d = new MsgpackDecoder(bytes);
  const out: unknown[] = [];
  while (d.pos < bytes.length) out.push(d.decode());
  return out;
}

describe("msgpack codec on Python-written files", () => {
  for (const uid of ALL_UIDS) {
    it(`decodes ${uid} exactly like msgpack + msgpack_numpy`, () => {
      const records = decodeAll(readFileSync(join(TESTDATA, `${uid}.msgpack`)));
      expect(tagged(records)).toEqual(readJson(`${uid}.expected.json`).records);
      // Every decoded record validates against the v1.24.0 schemas.
      for (const [name, doc] of records as [string, unknown][]) validateDocument(name, doc);
    });
  }

  it("keeps numpy dtypes: uint16 image, int64 scalar, float32 column", () => {
    const [, , [, page]] = decodeAll(readFileSync(join(TESTDATA, "530894b3-1b56-534e-8926-86d5417fdc39.msgpack"))) as any[];
    const img = page.data.cam_image[0] as NdArray;
    expect(img.data).toBeInstanceOf(Uint16Array);
    expect(img.shape).toEqual([4, 5]);
    expect(page.data.cam_sum[0].scalar).toBe(true);
    expect(page.data.cam_sum[0].data).toBeInstanceOf(BigInt64Array);
  });
});

describe("msgpack encoder", () => {
  it("writes the exact msgpack-numpy bytes for arange(4).reshape(2,2) and int64(7)", () => {
    const a = ndarray(BigInt64Array.of(0n, 1n, 2n, 3n), [2, 2]);
    const bytes = encodeMsgpack(a);
    const hex = Buffer.from(bytes).toString("hex");
    expect(hex.startsWith("85c4026e64c3c40474797065a33c6938c4046b696e64c400c40573686170659202" + "02c40464617461c420")).toBe(true);
    expect(bytes.length).toBe(74);
    const s = encodeMsgpack(new NdArray("<i8", [], BigInt64Array.of(7n), true));
    expect(Buffer.from(s).toString("hex")).toBe("83c4026e64c2c40474797065a33c6938c40464617461c4080700000000000000");
  });

  it("round-trips values, big-endian dtypes and strings", () => {
    const v = { a: 1, b: -1.5, c: "hé", d: [true, null, 2 ** 40, -(2 ** 33)], e: new Float32Array([1, 2]), u: ndarray(["ab", "c"]) };
    const back = decodeMsgpack(encodeMsgpack(v)) as any;
    expect(back.a).toBe(1);
    expect(back.b).toBe(-1.5);
    expect(back.c).toBe("hé");
    expect(back.d).toEqual([true, null, 2 ** 40, -(2 ** 33)]);
    expect(Array.from(back.e.data)).toEqual([1, 2]);
    expect(back.u.data).toEqual(["ab", "c"]);
  });

  it("uses the smallest str header like msgpack-python, also for non-ASCII text", () => {
    const e11 = "é".repeat(11); // 22 UTF-8 bytes → fixstr
    expect(Array.from(encodeMsgpack(e11).subarray(0, 1))).toEqual([0xa0 | 22]);
    const e20 = "é".repeat(20); // 40 bytes → str8
    expect(Array.from(encodeMsgpack(e20).subarray(0, 2))).toEqual([0xd9, 40]);
    const long = "x".repeat(300); // str16
    expect(Array.from(encodeMsgpack(long).subarray(0, 3))).toEqual([0xda, 1, 44]);
    for (const s of [e11, e20, long, "", "a", "ü".repeat(100)]) expect(decodeMsgpack(encodeMsgpack(s))).toBe(s);
  });

  it("rejects truncated values and pickled arrays with codes", () => {
    const bytes = encodeMsgpack({ a: "hello" });
    expect(() => decodeMsgpack(bytes.subarray(0, bytes.length - 2))).toThrow(expect.objectContaining({ code: "DOCS_MSGPACK_TRUNCATED" }));
    const pickled = Uint8Array.from(
      Buffer.from("85c4026e64c3c40474797065a37c4f38c4046b696e64c4014fc40573686170659101c40464617461c40100", "hex"),
    );
    try {
      decodeMsgpack(pickled);
      expect.unreachable();
    } catch (e) {
      expect(DocModelError.isInstance(e) && e.code).toBe("DOCS_MSGPACK_UNSUPPORTED");
    }
  });
});
