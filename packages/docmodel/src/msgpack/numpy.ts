/**
 * msgpack-numpy (0.4.8): the `{nd, type, kind, shape, data}` maps that carry numpy arrays and scalars, to and from
 * {@link NdArray}. Type strings are parsed by @daqkit/io's numpy dtype parser and typed-array storage comes from its
 * type map (one copy of each in daqkit).
 */
import { IoError, parseNumpyTypestr, typedArrayConstructorOfNumpy, type NumpyTypestr } from "@daqkit/io";
import { DocModelError } from "../errors.js";
import { NdArray, type NdData } from "../ndarray.js";
import { PyBytes } from "../python-values.js";

/** Latin-1 text of bytes (numpy `S` values and bin map keys). */
export function latin1(b: Uint8Array): string {
  return String.fromCharCode.apply(null, b as unknown as number[]);
}

export function numpyFromMap(fields: Record<string, unknown>, byteOffset: number): NdArray {
  const kindField = fields.kind;
  const kind = kindField instanceof PyBytes ? latin1(kindField.bytes) : typeof kindField === "string" ? kindField : "";
  if (kind === "O") {
    throw new DocModelError("DOCS_MSGPACK_UNSUPPORTED", `msgpack: numpy object array (pickle) near byte ${byteOffset} refused`, {
      byteOffset,
    });
  }
  if (kind === "V" || typeof fields.type !== "string") {
    throw new DocModelError("DOCS_MSGPACK_UNSUPPORTED", `msgpack: structured numpy array near byte ${byteOffset} is not supported`, {
      byteOffset,
    });
  }
  const raw = fields.data instanceof PyBytes ? fields.data.bytes : undefined;
  if (raw === undefined) {
    throw new DocModelError("DOCS_MSGPACK_BAD_RECORD", `msgpack: numpy map near byte ${byteOffset} has no bin data`, { byteOffset });
  }
  const isArray = fields.nd === true;
  const shape = isArray ? fields.shape : [];
  if (!Array.isArray(shape) || !shape.every((x) => typeof x === "number" && Number.isSafeInteger(x) && x >= 0)) {
    throw new DocModelError(
      "DOCS_MSGPACK_BAD_RECORD",
      `msgpack: numpy map at byte ${byteOffset}: shape must be an array of non-negative integers`,
      {
        byteOffset,
      },
    );
  }
  try {
    return numpyFromBytes(fields.type, shape as number[], raw, !isArray);
  } catch (e) {
    if (DocModelError.isInstance(e) && e.byteOffset === undefined) {
      throw new DocModelError(e.code, `${e.message} (numpy map at byte ${byteOffset})`, { byteOffset, cause: e });
    }
    throw e;
  }
}

/**
 * Parse a numpy type string with @daqkit/io's parser.
 * @throws DocModelError `DOCS_UNSUPPORTED_DTYPE` (the io error as `cause`)
 */
export function numpyType(type: string): NumpyTypestr {
  try {
    return parseNumpyTypestr(type);
  } catch (e) {
    if (!IoError.isInstance(e)) throw e;
    throw new DocModelError("DOCS_UNSUPPORTED_DTYPE", `docmodel: unsupported numpy dtype ${JSON.stringify(type)}`, { cause: e });
  }
}

function unsupported(type: string, cause?: unknown): DocModelError {
  return new DocModelError("DOCS_UNSUPPORTED_DTYPE", `docmodel: unsupported numpy dtype ${JSON.stringify(type)}`, { cause });
}

/** Build an NdArray from numpy raw bytes (C order). `raw` must be a fresh copy (it is reused when aligned). */
export function numpyFromBytes(type: string, shape: readonly number[], raw: Uint8Array, scalar = false): NdArray {
  const dt = numpyType(type);
  const n = shape.reduce((a, b) => a * b, 1);
  if (raw.length !== n * dt.itemsize) {
    throw new DocModelError(
      "DOCS_MSGPACK_BAD_RECORD",
      `msgpack: numpy ${type} data of shape [${shape.join(", ")}] needs ${n * dt.itemsize} bytes, got ${raw.length}`,
    );
  }
  let bytes = raw.byteOffset % 8 === 0 ? raw : new Uint8Array(raw);
  if (dt.byteOrder === ">") {
    bytes = new Uint8Array(bytes);
    const w = dt.kind === "c" ? dt.itemsize / 2 : dt.itemsize;
    for (let i = 0; i < bytes.length; i += w) bytes.subarray(i, i + w).reverse();
  }
  return new NdArray(dt.normalized, shape, numpyData(type, dt, bytes, n), scalar);
}

/** Element storage of `n` values of type `dt` in `bytes` (little-endian, 8-byte aligned). */
function numpyData(type: string, dt: NumpyTypestr, bytes: Uint8Array, n: number): NdData {
  if (dt.kind === "U") {
    const u32 = new DataView(bytes.buffer, bytes.byteOffset, n * dt.itemsize);
    const chars = dt.itemsize / 4;
    const out: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      let s = "";
      for (let j = 0; j < chars; j++) {
        const cp = u32.getUint32((i * chars + j) * 4, true);
        if (cp === 0) break;
        if (cp > 0x10ffff) {
          throw new DocModelError(
            "DOCS_MSGPACK_BAD_RECORD",
            `msgpack: numpy ${type} element ${i} holds code point 0x${cp.toString(16)} (> U+10FFFF)`,
          );
        }
        s += String.fromCodePoint(cp);
      }
      out[i] = s;
    }
    return out;
  }
  if (dt.kind === "S") {
    const out: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      let e = i * dt.itemsize + dt.itemsize;
      while (e > i * dt.itemsize && bytes[e - 1] === 0) e--;
      out[i] = latin1(bytes.subarray(i * dt.itemsize, e));
    }
    return out;
  }
  if (dt.kind === "V" || dt.kind === "O") throw unsupported(type);
  // float16 (arrays and scalars): numbers, not bit patterns. Float32Array holds every half value exactly (JS has
  // no Float16Array before Node 24 / Chrome 135; one element type on every runtime keeps results comparable).
  if (dt.kind === "f" && dt.itemsize === 2) return halfBitsToFloat32(new DataView(bytes.buffer, bytes.byteOffset, 2 * n), n);
  let Storage: ReturnType<typeof typedArrayConstructorOfNumpy>;
  try {
    Storage = typedArrayConstructorOfNumpy(dt);
  } catch (e) {
    if (!IoError.isInstance(e)) throw e;
    throw unsupported(type, e);
  }
  // complex values are interleaved (real, imaginary) pairs of the half-width float
  return new Storage(bytes.buffer as ArrayBuffer, bytes.byteOffset, dt.kind === "c" ? 2 * n : n);
}

function isHalf(dtype: string): boolean {
  return dtype === "<f2" || dtype === "=f2" || dtype === "f2" || dtype === ">f2";
}

/** `n` little-endian IEEE 754 half-precision values → Float32Array (exact). */
export function halfBitsToFloat32(view: DataView, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const h = view.getUint16(2 * i, true);
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 0x1f) out[i] = frac === 0 ? sign * Infinity : Number.NaN;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** Half-precision bits of a number (round to nearest even, as numpy's float16 cast). */
export function float16Bits(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -24 / 2) return sign; // rounds to ±0 (exactly half of the smallest subnormal rounds to even: 0)
  let exp = Math.floor(Math.log2(a));
  if (2 ** exp > a) exp--;
  else if (2 ** (exp + 1) <= a) exp++;
  if (exp < -14) {
    // subnormal: units of 2^-24
    const m = roundHalfEven(a / 2 ** -24);
    return sign | m; // m may reach 0x400 = the smallest normal, which is the right bit pattern
  }
  let m = roundHalfEven((a / 2 ** exp - 1) * 1024);
  if (m === 1024) {
    m = 0;
    exp++;
  }
  if (exp > 15) return sign | 0x7c00;
  return sign | ((exp + 15) << 10) | m;
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Raw little-endian bytes (C order) of an NdArray's data, as msgpack-numpy writes them. */
export function numpyToBytes(a: NdArray): Uint8Array {
  const d = a.data;
  if (!Array.isArray(d) && (d instanceof Float32Array || d instanceof Float64Array) && isHalf(a.dtype)) {
    const out = new Uint8Array(2 * d.length);
    const view = new DataView(out.buffer);
    for (let i = 0; i < d.length; i++) view.setUint16(2 * i, float16Bits(d[i] as number), true);
    return out;
  }
  if (!Array.isArray(d)) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  const dt = numpyType(a.dtype);
  const out = new Uint8Array(d.length * dt.itemsize);
  if (dt.kind === "U") {
    const view = new DataView(out.buffer);
    const chars = dt.itemsize / 4;
    d.forEach((s, i) => {
      let j = 0;
      for (const ch of s) {
        if (j >= chars) break;
        view.setUint32((i * chars + j++) * 4, ch.codePointAt(0) as number, true);
      }
    });
  } else {
    d.forEach((s, i) => {
      for (let j = 0; j < Math.min(s.length, dt.itemsize); j++) out[i * dt.itemsize + j] = s.charCodeAt(j) & 0xff;
    });
  }
  return out;
}
