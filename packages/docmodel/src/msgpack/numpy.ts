/**
 * msgpack-numpy (0.4.8): the `{nd, type, kind, shape, data}` maps that carry numpy arrays and scalars, to and from
 * {@link NdArray}. Type strings are parsed by @daqkit/io's numpy dtype parser and typed-array storage comes from its
 * type map (one copy of each in daqkit).
 */
import { IoError, parseNumpyTypestr, typedArrayConstructorOfNumpy, type NumpyTypestr } from "@daqkit/io";
import { DocModelError } from "../errors.js";
import { NdArray, type NdData } from "../ndarray.js";

/** Latin-1 text of bytes (numpy `S` values and bin map keys). */
export function latin1(b: Uint8Array): string {
  return String.fromCharCode.apply(null, b as unknown as number[]);
}

export function numpyFromMap(fields: Record<string, unknown>, byteOffset: number): NdArray {
  const kindField = fields.kind;
  const kind = kindField instanceof Uint8Array ? latin1(kindField) : typeof kindField === "string" ? kindField : "";
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
  const raw = fields.data;
  if (!(raw instanceof Uint8Array)) {
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

/** Raw little-endian bytes (C order) of an NdArray's data, as msgpack-numpy writes them. */
export function numpyToBytes(a: NdArray): Uint8Array {
  const d = a.data;
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
