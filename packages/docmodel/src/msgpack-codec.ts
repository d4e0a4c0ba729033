import { DocModelError } from "./errors.js";
import { NdArray, type NdData, dtypeOfTypedArray, isTypedArray } from "./ndarray.js";

/*
 * A small msgpack codec for the subset suitcase-msgpack writes (spec docmodel.md §9.3/§9.4): nil, bool, ints,
 * float32/64, str, bin, array, map. No ext types. Maps with a *bin* key `nd` are msgpack-numpy arrays/scalars.
 */

/** Thrown internally when a value runs past the end of the buffer; turned into DOCS_MSGPACK_TRUNCATED by readers. */
export class TruncatedInput extends Error {}

// Strict: Python's msgpack (raw=False) refuses a str that is not valid UTF-8, so we do too (no U+FFFD).
const strictDecoder = new TextDecoder("utf-8", { fatal: true });
const lenientDecoder = new TextDecoder("utf-8");

const KEY_CACHE_SIZE = 4096;
const keyCache: (string | undefined)[] = new Array(KEY_CACHE_SIZE);

// Node's Buffer has a native UTF-8 slice that beats TextDecoder for short strings; browsers use TextDecoder.
const nativeUtf8Slice = (globalThis as { Buffer?: { prototype: { utf8Slice?: (s: number, e: number) => string } } }).Buffer?.prototype
  .utf8Slice;

const nativeUtf8Write = (
  globalThis as { Buffer?: { prototype: { utf8Write?: (s: string, offset: number, max: number) => number } } }
).Buffer?.prototype.utf8Write;

/** Decode `bytes[start, end)` as UTF-8, replacing invalid sequences by U+FFFD (fast native slice in Node). */
function lenientSlice(bytes: Uint8Array, start: number, end: number): string {
  if (nativeUtf8Slice) return nativeUtf8Slice.call(bytes, start, end);
  return lenientDecoder.decode(bytes.subarray(start, end));
}

/**
 * Decode `bytes[start, end)` as strict UTF-8. Both lenient decoders replace every invalid sequence (stray
 * continuation bytes, overlong forms, surrogates, code points above U+10FFFF, a cut sequence) by U+FFFD, so a
 * result without U+FFFD is exact; only one with U+FFFD (rare: a literal U+FFFD or an error) is decoded again
 * strictly. Invalid → `DOCS_MSGPACK_BAD_UTF8` at the str's header offset.
 */
function utf8(bytes: Uint8Array, start: number, end: number, header: number): string {
  const s = lenientSlice(bytes, start, end);
  if (s.indexOf("\uFFFD") === -1) return s;
  try {
    return strictDecoder.decode(bytes.subarray(start, end));
  } catch (e) {
    throw new DocModelError(
      "DOCS_MSGPACK_BAD_UTF8",
      `msgpack: str of ${end - start} bytes at byte ${header} is not valid UTF-8 (Python's msgpack refuses it too)`,
      { byteOffset: header, cause: e },
    );
  }
}
const utf8Encoder = new TextEncoder();

/** A cursor over a byte buffer that decodes msgpack values. */
export class MsgpackDecoder {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos: number;
  readonly end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    // A plain Uint8Array view: Node Buffer's subarray/slice are much slower and slice() does not copy.
    this.bytes = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
    this.end = end;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new TruncatedInput();
  }

  /** Decode one value and advance. @throws TruncatedInput, DocModelError DOCS_MSGPACK_UNSUPPORTED */
  decode(): unknown {
    if (this.pos >= this.end) throw new TruncatedInput();
    const b = this.bytes[this.pos++] as number;
    // Most frequent first: small ints, short strings, float64, small arrays and maps.
    if (b <= 0x7f) return b;
    if (b >= 0xa0 && b <= 0xbf) return this.str(b & 0x1f, this.pos - 1);
    if (b === 0xcb) {
      this.need(8);
      this.pos += 8;
      return this.view.getFloat64(this.pos - 8);
    }
    if (b >= 0x90 && b <= 0x9f) return this.array(b & 0x0f);
    if (b >= 0x80 && b <= 0x8f) return this.map(b & 0x0f);
    if (b >= 0xe0) return b - 0x100;
    const v = this.view;
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        this.need(1);
        return this.bin(this.bytes[this.pos++] as number);
      case 0xc5:
        this.need(2);
        this.pos += 2;
        return this.bin(v.getUint16(this.pos - 2));
      case 0xc6:
        this.need(4);
        this.pos += 4;
        return this.bin(v.getUint32(this.pos - 4));
      case 0xca:
        this.need(4);
        this.pos += 4;
        return v.getFloat32(this.pos - 4);
      case 0xcb:
        this.need(8);
        this.pos += 8;
        return v.getFloat64(this.pos - 8);
      case 0xcc:
        this.need(1);
        return this.bytes[this.pos++];
      case 0xcd:
        this.need(2);
        this.pos += 2;
        return v.getUint16(this.pos - 2);
      case 0xce:
        this.need(4);
        this.pos += 4;
        return v.getUint32(this.pos - 4);
      case 0xcf: {
        this.need(8);
        this.pos += 8;
        const x = v.getBigUint64(this.pos - 8);
        return x <= 9007199254740991n ? Number(x) : x;
      }
      case 0xd0:
        this.need(1);
        this.pos += 1;
        return v.getInt8(this.pos - 1);
      case 0xd1:
        this.need(2);
        this.pos += 2;
        return v.getInt16(this.pos - 2);
      case 0xd2:
        this.need(4);
        this.pos += 4;
        return v.getInt32(this.pos - 4);
      case 0xd3: {
        this.need(8);
        this.pos += 8;
        const x = v.getBigInt64(this.pos - 8);
        return x <= 9007199254740991n && x >= -9007199254740991n ? Number(x) : x;
      }
      case 0xd9:
        this.need(1);
        return this.str(this.bytes[this.pos++] as number, this.pos - 2);
      case 0xda:
        this.need(2);
        this.pos += 2;
        return this.str(v.getUint16(this.pos - 2), this.pos - 3);
      case 0xdb:
        this.need(4);
        this.pos += 4;
        return this.str(v.getUint32(this.pos - 4), this.pos - 5);
      case 0xdc:
        this.need(2);
        this.pos += 2;
        return this.array(v.getUint16(this.pos - 2));
      case 0xdd:
        this.need(4);
        this.pos += 4;
        return this.array(v.getUint32(this.pos - 4));
      case 0xde:
        this.need(2);
        this.pos += 2;
        return this.map(v.getUint16(this.pos - 2));
      case 0xdf:
        this.need(4);
        this.pos += 4;
        return this.map(v.getUint32(this.pos - 4));
      default:
        throw new DocModelError(
          "DOCS_MSGPACK_UNSUPPORTED",
          `msgpack: unsupported type byte 0x${b.toString(16)} at byte ${this.pos - 1} (ext types are not used by suitcase-msgpack)`,
          { byteOffset: this.pos - 1 },
        );
    }
  }

  /** Skip one value without building it (for indexing). Iterative: a count of values still to skip. */
  skip(): void {
    const bytes = this.bytes;
    const v = this.view;
    const end = this.end;
    let pos = this.pos;
    let pending = 1;
    while (pending > 0) {
      if (pos >= end) throw new TruncatedInput();
      const b = bytes[pos++] as number;
      pending--;
      if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) continue;
      if (b >= 0xa0 && b <= 0xbf) {
        pos += b & 0x1f;
        continue;
      }
      if (b >= 0x90 && b <= 0x9f) {
        pending += b & 0x0f;
        continue;
      }
      if (b >= 0x80 && b <= 0x8f) {
        pending += 2 * (b & 0x0f);
        continue;
      }
      if (b === 0xcb || b === 0xcf || b === 0xd3) {
        pos += 8;
        continue;
      }
      if (b === 0xca || b === 0xce || b === 0xd2) {
        pos += 4;
        continue;
      }
      if (b === 0xcd || b === 0xd1) {
        pos += 2;
        continue;
      }
      if (b === 0xcc || b === 0xd0) {
        pos += 1;
        continue;
      }
      if (b === 0xc4 || b === 0xd9) {
        if (pos + 1 > end) throw new TruncatedInput();
        pos += 1 + (bytes[pos] as number);
        continue;
      }
      if (b === 0xc5 || b === 0xda || b === 0xdc || b === 0xde) {
        if (pos + 2 > end) throw new TruncatedInput();
        const n = v.getUint16(pos);
        pos += 2;
        if (b === 0xdc) pending += n;
        else if (b === 0xde) pending += 2 * n;
        else pos += n;
        continue;
      }
      if (b === 0xc6 || b === 0xdb || b === 0xdd || b === 0xdf) {
        if (pos + 4 > end) throw new TruncatedInput();
        const n = v.getUint32(pos);
        pos += 4;
        if (b === 0xdd) pending += n;
        else if (b === 0xdf) pending += 2 * n;
        else pos += n;
        continue;
      }
      this.pos = pos - 1;
      throw new DocModelError("DOCS_MSGPACK_UNSUPPORTED", `msgpack: unsupported type byte 0x${b.toString(16)} at byte ${pos - 1}`, {
        byteOffset: pos - 1,
      });
    }
    if (pos > end) throw new TruncatedInput();
    this.pos = pos;
  }

  /** If the next bytes equal `expected`, consume them and return true; else leave the cursor and return false. */
  matchBytes(expected: Uint8Array): boolean {
    const n = expected.length;
    const p = this.pos;
    if (p + n > this.end) return false;
    const b = this.bytes;
    for (let i = 0; i < n; i++) if (b[p + i] !== expected[i]) return false;
    this.pos = p + n;
    return true;
  }

  /** Read a map header if the next value is a map; returns its size or -1 (cursor unchanged). */
  peekMapSize(): number {
    if (this.pos >= this.end) throw new TruncatedInput();
    const b = this.bytes[this.pos] as number;
    if (b >= 0x80 && b <= 0x8f) {
      this.pos++;
      return b & 0x0f;
    }
    if (b === 0xde) {
      this.need(3);
      this.pos += 3;
      return this.view.getUint16(this.pos - 2);
    }
    if (b === 0xdf) {
      this.need(5);
      this.pos += 5;
      return this.view.getUint32(this.pos - 4);
    }
    return -1;
  }

  /** True when the next value is a msgpack int or float. */
  nextIsNumber(): boolean {
    if (this.pos >= this.end) throw new TruncatedInput();
    const b = this.bytes[this.pos] as number;
    return b <= 0x7f || b >= 0xe0 || (b >= 0xca && b <= 0xd3);
  }

  /** True when the next value is a msgpack str. */
  nextIsString(): boolean {
    if (this.pos >= this.end) throw new TruncatedInput();
    const b = this.bytes[this.pos] as number;
    return (b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb);
  }

  /** Read an array header if the next value is an array; returns its length or -1 (cursor unchanged). */
  peekArrayLength(): number {
    if (this.pos >= this.end) throw new TruncatedInput();
    const b = this.bytes[this.pos] as number;
    if (b >= 0x90 && b <= 0x9f) {
      this.pos++;
      return b & 0x0f;
    }
    if (b === 0xdc) {
      this.need(3);
      this.pos += 3;
      return this.view.getUint16(this.pos - 2);
    }
    if (b === 0xdd) {
      this.need(5);
      this.pos += 5;
      return this.view.getUint32(this.pos - 4);
    }
    return -1;
  }

  private str(n: number, header: number): string {
    this.need(n);
    const bytes = this.bytes;
    const start = this.pos;
    this.pos += n;
    if (n === 0) return "";
    if (n <= 16) {
      // Keys and short values repeat in every record: look them up in a small cache before allocating. The cache
      // only ever holds ASCII strings (one byte per UTF-16 unit), so a hit is valid UTF-8 too.
      let h = n;
      let high = 0;
      for (let i = start; i < start + n; i++) {
        const c = bytes[i] as number;
        high |= c;
        h = (Math.imul(h, 31) + c) | 0;
      }
      if (high > 0x7f) return utf8(bytes, start, start + n, header);
      const slot = h & (KEY_CACHE_SIZE - 1);
      const hit = keyCache[slot];
      if (hit !== undefined && hit.length === n) {
        let same = true;
        for (let i = 0; i < n; i++) {
          if (hit.charCodeAt(i) !== bytes[start + i]) {
            same = false;
            break;
          }
        }
        if (same) return hit;
      }
      const s = lenientSlice(bytes, start, start + n);
      keyCache[slot] = s;
      return s;
    }
    return utf8(bytes, start, start + n, header);
  }

  private bin(n: number): Uint8Array {
    this.need(n);
    // Copy (a Node Buffer's slice() would be a view): ndarray data must be aligned and must not pin the file.
    const out = new Uint8Array(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  private array(n: number): unknown[] {
    // Every element takes at least one byte: a declared length beyond the input is refused before allocating.
    if (n > this.end - this.pos) throw new TruncatedInput();
    // Small arrays (one-row page columns) are built packed; `new Array(n)` would make them holey.
    if (n < 16) {
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(this.decode());
      return out;
    }
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = this.decode();
    return out;
  }

  private map(n: number): unknown {
    const header = this.pos;
    if (n > (this.end - this.pos) / 2) throw new TruncatedInput();
    const out: Record<string, unknown> = {};
    let binKeys: Record<string, unknown> | undefined;
    const bytes = this.bytes;
    for (let i = 0; i < n; i++) {
      if (this.pos >= this.end) throw new TruncatedInput();
      const kb = bytes[this.pos] as number;
      if (kb >= 0xa0 && kb <= 0xbf) {
        // fixstr key: the common case, no type checks needed.
        this.pos++;
        const k = this.str(kb & 0x1f, this.pos - 1);
        if (k === "__proto__") defineKey(out, k, this.decode());
        else out[k] = this.decode();
        continue;
      }
      const keyOffset = this.pos;
      const key = this.decode();
      const value = this.decode();
      if (key instanceof Uint8Array) {
        binKeys ??= {};
        defineKey(binKeys, latin1(key), value);
      } else if (typeof key === "string") {
        defineKey(out, key, value);
      } else {
        // Python's msgpack (strict_map_key, the default since 1.0) refuses any other key type.
        throw new DocModelError(
          "DOCS_MSGPACK_BAD_RECORD",
          `msgpack: map key at byte ${keyOffset} is ${key === null ? "nil" : Array.isArray(key) ? "an array" : `a ${typeof key}`}; only str and bin keys are allowed`,
          { byteOffset: keyOffset },
        );
      }
    }
    if (binKeys === undefined) return out;
    if ("nd" in binKeys) return decodeNumpy(binKeys, header);
    // A bin-keyed map that is not msgpack-numpy (e.g. `complex`): keep it as an object with latin-1 keys, unless
    // a bin key and a str key have the same text (one would silently replace the other).
    for (const k in binKeys) {
      if (Object.hasOwn(out, k)) {
        throw new DocModelError("DOCS_MSGPACK_BAD_RECORD", `msgpack: map at byte ${header} has both a str and a bin key ${JSON.stringify(k)}`, {
          byteOffset: header,
        });
      }
      defineKey(out, k, binKeys[k]);
    }
    return out;
  }
}

/** `o[k] = v`, also for `__proto__` (an own data property, not the prototype). */
function defineKey(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function latin1(b: Uint8Array): string {
  return String.fromCharCode.apply(null, b as unknown as number[]);
}

interface ParsedDtype {
  order: "<" | ">" | "|";
  kind: string;
  itemsize: number;
  /** Normalised little-endian dtype string. */
  normal: string;
}

/** Parse a numpy dtype string (`<u2`, `>f8`, `|b1`, `<U9`, `<M8[ns]`). */
export function parseDtype(type: string): ParsedDtype {
  const m = /^([<>|=]?)([biufcmMUSV])(\d+)(\[[A-Za-z0-9]+\])?$/.exec(type);
  if (!m) throw new DocModelError("DOCS_UNSUPPORTED_DTYPE", `docmodel: unsupported numpy dtype ${JSON.stringify(type)}`);
  const kind = m[2] as string;
  const count = Number(m[3]);
  const itemsize = kind === "U" ? count * 4 : count;
  let order = (m[1] === "=" || m[1] === "" ? "<" : m[1]) as ParsedDtype["order"];
  if (itemsize === 1 || kind === "S" || kind === "b") order = "|";
  const normalOrder = order === ">" ? "<" : order;
  return { order, kind, itemsize, normal: `${normalOrder}${kind}${m[3]}${m[4] ?? ""}` };
}

function decodeNumpy(fields: Record<string, unknown>, byteOffset: number): NdArray {
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
    throw new DocModelError("DOCS_MSGPACK_BAD_RECORD", `msgpack: numpy map at byte ${byteOffset}: shape must be an array of non-negative integers`, {
      byteOffset,
    });
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

/** Build an NdArray from numpy raw bytes (C order). `raw` must be a fresh copy (it is reused when aligned). */
export function numpyFromBytes(type: string, shape: readonly number[], raw: Uint8Array, scalar = false): NdArray {
  const dt = parseDtype(type);
  const n = shape.reduce((a, b) => a * b, 1);
  if (raw.length !== n * dt.itemsize) {
    throw new DocModelError(
      "DOCS_MSGPACK_BAD_RECORD",
      `msgpack: numpy ${type} data of shape [${shape.join(", ")}] needs ${n * dt.itemsize} bytes, got ${raw.length}`,
    );
  }
  let bytes = raw.byteOffset % 8 === 0 ? raw : new Uint8Array(raw);
  if (dt.order === ">") {
    bytes = new Uint8Array(bytes);
    const w = dt.kind === "c" ? dt.itemsize / 2 : dt.itemsize;
    for (let i = 0; i < bytes.length; i += w) bytes.subarray(i, i + w).reverse();
  }
  const buf = bytes.buffer;
  const off = bytes.byteOffset;
  let data: NdData;
  switch (dt.kind + dt.itemsize) {
    case "b1":
    case "u1":
      data = new Uint8Array(buf, off, n);
      break;
    case "i1":
      data = new Int8Array(buf, off, n);
      break;
    case "i2":
      data = new Int16Array(buf, off, n);
      break;
    case "u2":
    case "f2":
      data = new Uint16Array(buf, off, n);
      break;
    case "i4":
      data = new Int32Array(buf, off, n);
      break;
    case "u4":
      data = new Uint32Array(buf, off, n);
      break;
    case "f4":
      data = new Float32Array(buf, off, n);
      break;
    case "f8":
      data = new Float64Array(buf, off, n);
      break;
    case "i8":
    case "M8":
    case "m8":
      data = new BigInt64Array(buf, off, n);
      break;
    case "u8":
      data = new BigUint64Array(buf, off, n);
      break;
    case "c8":
      data = new Float32Array(buf, off, 2 * n);
      break;
    case "c16":
      data = new Float64Array(buf, off, 2 * n);
      break;
    default:
      if (dt.kind === "U") {
        const u32 = new DataView(buf, off, n * dt.itemsize);
        const chars = dt.itemsize / 4;
        const out: string[] = new Array(n);
        for (let i = 0; i < n; i++) {
          let s = "";
          for (let j = 0; j < chars; j++) {
            const cp = u32.getUint32((i * chars + j) * 4, true);
            if (cp === 0) break;
            if (cp > 0x10ffff) {
              throw new DocModelError("DOCS_MSGPACK_BAD_RECORD", `msgpack: numpy ${type} element ${i} holds code point 0x${cp.toString(16)} (> U+10FFFF)`);
            }
            s += String.fromCodePoint(cp);
          }
          out[i] = s;
        }
        data = out;
      } else if (dt.kind === "S") {
        const out: string[] = new Array(n);
        for (let i = 0; i < n; i++) {
          let e = i * dt.itemsize + dt.itemsize;
          while (e > i * dt.itemsize && bytes[e - 1] === 0) e--;
          out[i] = latin1(bytes.subarray(i * dt.itemsize, e));
        }
        data = out;
      } else {
        throw new DocModelError("DOCS_UNSUPPORTED_DTYPE", `docmodel: unsupported numpy dtype ${JSON.stringify(type)}`);
      }
  }
  return new NdArray(dt.normal, shape, data, scalar);
}

/** Raw little-endian bytes (C order) of an NdArray's data, as msgpack-numpy writes them. */
export function numpyToBytes(a: NdArray): Uint8Array {
  const d = a.data;
  if (!Array.isArray(d)) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  const dt = parseDtype(a.dtype);
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

const BIN_ND = Uint8Array.of(0x6e, 0x64);
const BIN_TYPE = Uint8Array.of(0x74, 0x79, 0x70, 0x65);
const BIN_KIND = Uint8Array.of(0x6b, 0x69, 0x6e, 0x64);
const BIN_SHAPE = Uint8Array.of(0x73, 0x68, 0x61, 0x70, 0x65);
const BIN_DATA = Uint8Array.of(0x64, 0x61, 0x74, 0x61);

/**
 * A growable msgpack writer. Numbers: integers in the safe range as the smallest msgpack int, everything else
 * (and every number when `asFloat` is set) as float64; typed arrays and {@link NdArray} as msgpack-numpy maps with
 * bin keys; `undefined` object entries are skipped.
 */
export class MsgpackEncoder {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(initialSize = 1 << 16) {
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Bytes written so far (a view; copy before reusing the encoder). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** Forget the written bytes, keeping the buffer. */
  reset(): void {
    this.pos = 0;
  }

  writeNil(): void {
    this.ensure(1);
    this.buf[this.pos++] = 0xc0;
  }

  writeBool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 0xc3 : 0xc2;
  }

  writeFloat64(v: number): void {
    this.ensure(9);
    this.buf[this.pos] = 0xcb;
    this.view.setFloat64(this.pos + 1, v);
    this.pos += 9;
  }

  writeNumber(v: number, asFloat = false): void {
    if (asFloat || !Number.isSafeInteger(v) || Object.is(v, -0)) {
      this.writeFloat64(v);
      return;
    }
    this.ensure(9);
    const b = this.buf;
    const dv = this.view;
    let p = this.pos;
    if (v >= 0) {
      if (v < 0x80) b[p++] = v;
      else if (v < 0x100) {
        b[p++] = 0xcc;
        b[p++] = v;
      } else if (v < 0x10000) {
        b[p++] = 0xcd;
        dv.setUint16(p, v);
        p += 2;
      } else if (v < 0x100000000) {
        b[p++] = 0xce;
        dv.setUint32(p, v);
        p += 4;
      } else {
        b[p++] = 0xcf;
        dv.setBigUint64(p, BigInt(v));
        p += 8;
      }
    } else if (v >= -32) b[p++] = v + 0x100;
    else if (v >= -128) {
      b[p++] = 0xd0;
      dv.setInt8(p++, v);
    } else if (v >= -32768) {
      b[p++] = 0xd1;
      dv.setInt16(p, v);
      p += 2;
    } else if (v >= -2147483648) {
      b[p++] = 0xd2;
      dv.setInt32(p, v);
      p += 4;
    } else {
      b[p++] = 0xd3;
      dv.setBigInt64(p, BigInt(v));
      p += 8;
    }
    this.pos = p;
  }

  writeBigInt(v: bigint): void {
    this.ensure(9);
    if (v >= 0n) {
      this.buf[this.pos] = 0xcf;
      this.view.setBigUint64(this.pos + 1, v);
    } else {
      this.buf[this.pos] = 0xd3;
      this.view.setBigInt64(this.pos + 1, v);
    }
    this.pos += 9;
  }

  writeString(s: string): void {
    const n = s.length;
    // ASCII fast path for strings of up to 255 units (uids, keys, names): one byte per UTF-16 unit, fixstr or
    // str8 header (the smallest, as msgpack-python writes). Any non-ASCII unit falls back to the UTF-8 path.
    if (n < 0x100) {
      const h = n < 32 ? 1 : 2;
      this.ensure(h + n);
      const b = this.buf;
      const start = this.pos;
      let p = start + h;
      let ascii = true;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) {
          ascii = false;
          break;
        }
        b[p++] = c;
      }
      if (ascii) {
        if (h === 1) b[start] = 0xa0 | n;
        else {
          b[start] = 0xd9;
          b[start + 1] = n;
        }
        this.pos = p;
        return;
      }
    }
    const max = n * 3;
    this.ensure(max + 5);
    const reserved = max < 32 ? 1 : max < 0x100 ? 2 : max < 0x10000 ? 3 : 5;
    const at = this.pos + reserved;
    const written = nativeUtf8Write
      ? nativeUtf8Write.call(this.buf, s, at, max)
      : utf8Encoder.encodeInto(s, this.buf.subarray(at)).written;
    // msgpack-python always uses the smallest header: move the bytes if fewer were written than reserved for.
    const headerSize = written < 32 ? 1 : written < 0x100 ? 2 : written < 0x10000 ? 3 : 5;
    if (headerSize !== reserved) this.buf.copyWithin(this.pos + headerSize, at, at + written);
    this.writeHeaderAt(this.pos, headerSize, written, 0xa0, 0xd9, 0xda, 0xdb);
    this.pos += headerSize + written;
  }

  private readonly keyBytes = new Map<string, Uint8Array>();

  /** Write a map key: like {@link writeString}, with the encoded bytes of repeated keys cached. */
  writeKey(k: string): void {
    const bytes = this.keyBytes.get(k);
    if (bytes === undefined) {
      const before = this.pos;
      this.writeString(k);
      if (this.keyBytes.size < 4096) this.keyBytes.set(k, this.buf.slice(before, this.pos));
      return;
    }
    const n = bytes.length;
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = bytes[i] as number;
    this.pos = p;
  }

  private writeHeaderAt(at: number, size: number, n: number, fix: number, c8: number, c16: number, c32: number): void {
    const b = this.buf;
    if (size === 1) b[at] = fix | n;
    else if (size === 2) {
      b[at] = c8;
      b[at + 1] = n;
    } else if (size === 3) {
      b[at] = c16;
      this.view.setUint16(at + 1, n);
    } else {
      b[at] = c32;
      this.view.setUint32(at + 1, n);
    }
  }

  writeBin(data: Uint8Array): void {
    const n = data.length;
    this.ensure(n + 5);
    if (n < 0x100) {
      this.buf[this.pos++] = 0xc4;
      this.buf[this.pos++] = n;
    } else if (n < 0x10000) {
      this.buf[this.pos] = 0xc5;
      this.view.setUint16(this.pos + 1, n);
      this.pos += 3;
    } else {
      this.buf[this.pos] = 0xc6;
      this.view.setUint32(this.pos + 1, n);
      this.pos += 5;
    }
    this.buf.set(data, this.pos);
    this.pos += n;
  }

  writeArrayHeader(n: number): void {
    this.ensure(5);
    if (n < 16) this.buf[this.pos++] = 0x90 | n;
    else if (n < 0x10000) {
      this.buf[this.pos] = 0xdc;
      this.view.setUint16(this.pos + 1, n);
      this.pos += 3;
    } else {
      this.buf[this.pos] = 0xdd;
      this.view.setUint32(this.pos + 1, n);
      this.pos += 5;
    }
  }

  writeMapHeader(n: number): void {
    this.ensure(5);
    if (n < 16) this.buf[this.pos++] = 0x80 | n;
    else if (n < 0x10000) {
      this.buf[this.pos] = 0xde;
      this.view.setUint16(this.pos + 1, n);
      this.pos += 3;
    } else {
      this.buf[this.pos] = 0xdf;
      this.view.setUint32(this.pos + 1, n);
      this.pos += 5;
    }
  }

  /** Write an N-d array (or numpy scalar) as the msgpack-numpy map with bin keys (§9.4). */
  writeNdArray(a: NdArray): void {
    if (a.scalar) {
      this.writeMapHeader(3);
      this.writeBin(BIN_ND);
      this.writeBool(false);
    } else {
      this.writeMapHeader(5);
      this.writeBin(BIN_ND);
      this.writeBool(true);
    }
    this.writeBin(BIN_TYPE);
    this.writeString(a.dtype);
    if (!a.scalar) {
      this.writeBin(BIN_KIND);
      this.writeBin(new Uint8Array(0));
      this.writeBin(BIN_SHAPE);
      this.writeArrayHeader(a.shape.length);
      for (const s of a.shape) this.writeNumber(s);
    }
    this.writeBin(BIN_DATA);
    this.writeBin(numpyToBytes(a));
  }

  /** Write any document value. `asFloat` forces every number inside `v` to float64. */
  write(v: unknown, asFloat = false): void {
    switch (typeof v) {
      case "number":
        this.writeNumber(v, asFloat);
        return;
      case "string":
        this.writeString(v);
        return;
      case "boolean":
        this.writeBool(v);
        return;
      case "bigint":
        this.writeBigInt(v);
        return;
      case "undefined":
        this.writeNil();
        return;
      case "object":
        break;
      default:
        throw new DocModelError("DOCS_BAD_ARGUMENT", `msgpack: cannot encode a ${typeof v}`);
    }
    if (v === null) {
      this.writeNil();
      return;
    }
    if (Array.isArray(v)) {
      this.writeArrayHeader(v.length);
      for (let i = 0; i < v.length; i++) this.write(v[i], asFloat);
      return;
    }
    if (v instanceof NdArray) {
      this.writeNdArray(v);
      return;
    }
    if (isTypedArray(v)) {
      this.writeNdArray(new NdArray(dtypeOfTypedArray(v), [v.length], v));
      return;
    }
    if (v instanceof Map) {
      this.writeMapHeader(v.size);
      for (const [k, x] of v) {
        this.writeKey(String(k));
        this.write(x, asFloat);
      }
      return;
    }
    this.writeObject(v as Record<string, unknown>, asFloat);
  }

  /** Write a plain object as a str-keyed map (insertion order, `undefined` entries skipped). */
  writeObject(o: Record<string, unknown>, asFloat = false, floatKeys?: ReadonlySet<string>): void {
    let n = 0;
    for (const k in o) if (o[k] !== undefined) n++;
    this.writeMapHeader(n);
    for (const k in o) {
      const x = o[k];
      if (x === undefined) continue;
      this.writeKey(k);
      this.write(x, asFloat || (floatKeys?.has(k) ?? false));
    }
  }
}

/** Encode one value to msgpack bytes (numbers: see {@link MsgpackEncoder}). */
export function encodeMsgpack(value: unknown): Uint8Array {
  const e = new MsgpackEncoder(256);
  e.write(value);
  return e.bytes().slice();
}

/**
 * Decode exactly one msgpack value from `bytes`.
 * @throws DocModelError `DOCS_MSGPACK_TRUNCATED` when the value runs past the end, `DOCS_MSGPACK_BAD_RECORD` on
 *   trailing bytes, `DOCS_MSGPACK_UNSUPPORTED` for ext types / pickled arrays.
 */
export function decodeMsgpack(bytes: Uint8Array): unknown {
  const d = new MsgpackDecoder(bytes);
  let v: unknown;
  try {
    v = d.decode();
  } catch (e) {
    if (e instanceof TruncatedInput) throw new DocModelError("DOCS_MSGPACK_TRUNCATED", "msgpack: value is truncated", { byteOffset: 0 });
    throw e;
  }
  if (d.pos !== bytes.length) {
    throw new DocModelError("DOCS_MSGPACK_BAD_RECORD", `msgpack: ${bytes.length - d.pos} trailing bytes after the value`, {
      byteOffset: d.pos,
    });
  }
  return v;
}
