import { createArrayOfEqualSizedArrays, createVectorOfVectors } from "./builders.js";
import { Lh5Error } from "./errors.js";
import type { ArrayOfEqualSizedArrays, EncodedArray, VectorOfVectors } from "./types.js";

/** Bit masks for 0…16 bits (radware-sigcompress). */
const MASK = Uint16Array.from({ length: 17 }, (_, i) => (1 << i) - 1);

const int16 = (x: number): number => (x << 16) >> 16;

/**
 * Decode one `radware_sigcompress` stream (legend-data-format-specs data_compression.md; D. Radford's
 * algorithm as stored by lgdo: 16-bit words, big-endian) into `out` from index `o`. `shift` is the
 * `codec_shift` attribute; it is subtracted from the decoded samples. Returns the number of samples.
 */
export function radwareSigcompressDecode(bytes: Uint8Array, out: Int32Array, o: number, shift: number): number {
  const nWords = bytes.length >> 1;
  const word = (k: number): number => {
    if (k >= nWords)
      throw new Lh5Error("LH5_DECODE_FAILED", `lh5: radware_sigcompress: stream of ${nWords} words ends early (word ${k} needed)`);
    return ((bytes[2 * k] as number) << 8) | (bytes[2 * k + 1] as number);
  };
  if (nWords === 0) return 0;
  const length = word(0); // number of samples
  if (o + length > out.length) throw new Lh5Error("LH5_DECODE_FAILED", `lh5: radware_sigcompress: ${length} samples do not fit the output`);
  let isi = 1;
  let iso = 0;
  let bp = 0; // bit pointer inside the current word
  let dd = 0; // 32-bit window: high half = current word, low half = next word
  while (isi < nWords && iso < length) {
    if (bp > 0) isi++;
    bp = 0;
    const nw = word(isi++); // samples in this section
    let nb = word(isi++); // bits per sample (+32 flags difference coding)
    const differences = nb >= 32;
    if (differences) {
      nb -= 32;
      out[o + iso++] = int16(word(isi++)) - shift; // starting value
    }
    const first = differences ? 1 : 0;
    if (nb > 16) throw new Lh5Error("LH5_DECODE_FAILED", `lh5: radware_sigcompress: section uses ${nb} bits per sample (at most 16)`);
    const min = int16(word(isi++));
    if (isi < nWords) dd = ((dd & 0xffff0000) | word(isi)) >>> 0;
    for (let i = first; i < nw && iso < length; i++) {
      if (bp + nb > 15) {
        bp -= 16;
        dd = ((dd & 0x0000ffff) | (word(isi) << 16)) >>> 0;
        isi++;
        if (isi < nWords) dd = ((dd & 0xffff0000) | word(isi)) >>> 0;
        dd = (dd << (bp + nb)) >>> 0;
      } else {
        dd = (dd << nb) >>> 0;
      }
      const v = ((dd >>> 16) & (MASK[nb] as number)) + min;
      if (differences) {
        const prev = out[o + iso - 1] as number;
        out[o + iso] = int16(v + prev + shift) - shift;
      } else {
        out[o + iso] = v - shift;
      }
      iso++;
      bp += nb;
    }
  }
  if (iso !== length) {
    throw new Lh5Error("LH5_DECODE_FAILED", `lh5: radware_sigcompress: stream ended after ${iso} of ${length} samples`);
  }
  return length;
}

/**
 * Decode one `uleb128_zigzag_diff` stream (unsigned LEB128 varints of ZigZag-mapped differences, the
 * first relative to 0) into `out` from index `o`. Returns the number of samples.
 */
export function uleb128ZigzagDiffDecode(bytes: Uint8Array, out: Int32Array, o: number): number {
  let pos = 0;
  let i = o;
  let last = 0;
  while (pos < bytes.length) {
    let x = 0;
    let shiftBits = 0;
    for (;;) {
      if (pos >= bytes.length) throw new Lh5Error("LH5_DECODE_FAILED", "lh5: uleb128_zigzag_diff: truncated varint");
      const b = bytes[pos++] as number;
      x += (b & 0x7f) * 2 ** shiftBits;
      if ((b & 0x80) === 0) break;
      shiftBits += 7;
      if (shiftBits > 35) throw new Lh5Error("LH5_DECODE_FAILED", "lh5: uleb128_zigzag_diff: varint longer than 32 bits");
    }
    const zz = x >>> 0;
    const diff = (zz >>> 1) ^ -(zz & 1);
    last = (last + diff) | 0;
    if (i >= out.length) throw new Lh5Error("LH5_DECODE_FAILED", "lh5: uleb128_zigzag_diff: more samples than decoded_size");
    out[i++] = last;
  }
  return i - o;
}

/**
 * Decode an encoded waveform array (as read with `encoded: true`) into samples: an
 * ArrayOfEncodedEqualSizedArrays becomes an ArrayOfEqualSizedArrays (rows × decoded_size), a
 * VectorOfEncodedVectors a VectorOfVectors. Samples are Int32Array (lgdo's default). Attributes other
 * than `codec*` are kept.
 *
 * @throws Lh5Error `LH5_UNSUPPORTED` for an unknown codec, `LH5_DECODE_FAILED` for a corrupt stream
 *   or a length that disagrees with `decoded_size`.
 */
export function decodeEncodedArray(obj: EncodedArray): ArrayOfEqualSizedArrays | VectorOfVectors {
  const cl = obj.encodedData.cumulativeLength;
  const flat = obj.encodedData.flattened;
  if (flat.type !== "Array" || !(flat.data instanceof Uint8Array)) {
    throw new Lh5Error("LH5_UNSUPPORTED", `lh5: encoded_data of a ${obj.codec} array must be a VoV of uint8 bytes`);
  }
  const bytes = flat.data;
  const rows = cl.length;
  const sizes = new Float64Array(rows);
  if (obj.decodedSize.type === "Scalar") sizes.fill(Number(obj.decodedSize.value));
  else for (let r = 0; r < rows; r++) sizes[r] = Number((obj.decodedSize.data as ArrayLike<number | bigint>)[r]);
  let total = 0;
  for (let r = 0; r < rows; r++) total += sizes[r] as number;
  const out = new Int32Array(total);
  const shift = Number(obj.attrs.codec_shift ?? 0);
  let o = 0;
  let start = 0;
  for (let r = 0; r < rows; r++) {
    const end = cl[r] as number;
    const row = bytes.subarray(start, end);
    let n: number;
    if (obj.codec === "radware_sigcompress") n = radwareSigcompressDecode(row, out, o, shift);
    else if (obj.codec === "uleb128_zigzag_diff") n = uleb128ZigzagDiffDecode(row, out, o);
    else
      throw new Lh5Error("LH5_UNSUPPORTED", `lh5: unknown waveform codec '${obj.codec}' (known: radware_sigcompress, uleb128_zigzag_diff)`);
    if (n !== sizes[r]) {
      throw new Lh5Error("LH5_DECODE_FAILED", `lh5: ${obj.codec}: row ${r} decoded to ${n} samples, decoded_size says ${sizes[r]}`, {
        row: r,
      });
    }
    o += n;
    start = end;
  }
  const attrs = Object.fromEntries(Object.entries(obj.attrs).filter(([k]) => !k.startsWith("codec")));
  if (obj.type === "ArrayOfEncodedEqualSizedArrays") {
    const width = rows > 0 ? (sizes[0] as number) : Number(obj.decodedSize.type === "Scalar" ? obj.decodedSize.value : 0);
    if (width === 0)
      return {
        type: "ArrayOfEqualSizedArrays",
        datatype: "array_of_equalsized_arrays<1,1>{real}",
        attrs,
        element: { kind: "real" },
        data: out,
        shape: [rows, 0],
      };
    return createArrayOfEqualSizedArrays(out, width, { attrs });
  }
  const offsets = new Float64Array(rows);
  let acc = 0;
  for (let r = 0; r < rows; r++) offsets[r] = acc += sizes[r] as number;
  return createVectorOfVectors(offsets, out, { attrs });
}
