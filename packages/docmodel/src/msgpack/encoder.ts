/**
 * The msgpack encoder: byte-compatible with suitcase-msgpack (msgpack-python + msgpack-numpy) for the values
 * documents hold (spec docmodel.md §9.3/§9.4).
 */
import { DocModelError } from "../errors.js";
import { NdArray, dtypeOfTypedArray, isTypedArray } from "../ndarray.js";
import { PyBytes, PyComplex, wireFloatKeys } from "../python-values.js";
import { numpyToBytes } from "./numpy.js";

const nativeUtf8Write = (globalThis as { Buffer?: { prototype: { utf8Write?: (s: string, offset: number, max: number) => number } } })
  .Buffer?.prototype.utf8Write;
const utf8Encoder = new TextEncoder();

const BIN_ND = Uint8Array.of(0x6e, 0x64);
const BIN_TYPE = Uint8Array.of(0x74, 0x79, 0x70, 0x65);
const BIN_KIND = Uint8Array.of(0x6b, 0x69, 0x6e, 0x64);
const BIN_SHAPE = Uint8Array.of(0x73, 0x68, 0x61, 0x70, 0x65);
const BIN_DATA = Uint8Array.of(0x64, 0x61, 0x74, 0x61);
const BIN_COMPLEX = Uint8Array.of(0x63, 0x6f, 0x6d, 0x70, 0x6c, 0x65, 0x78);

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
    const written = nativeUtf8Write ? nativeUtf8Write.call(this.buf, s, at, max) : utf8Encoder.encodeInto(s, this.buf.subarray(at)).written;
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
      const floats = asFloat ? undefined : wireFloatKeys(v);
      for (let i = 0; i < v.length; i++) this.write(v[i], asFloat || (floats?.has(i) ?? false));
      return;
    }
    if (v instanceof PyBytes) {
      this.writeBin(v.bytes);
      return;
    }
    if (v instanceof PyComplex) {
      // msgpack_numpy's layout for a Python complex.
      this.writeMapHeader(2);
      this.writeBin(BIN_COMPLEX);
      this.writeBool(true);
      this.writeBin(BIN_DATA);
      this.writeString(v.repr);
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
    // Entries that were integral floats on the wire when decoded (`2.0`) are written as float64 again.
    const wire = asFloat ? undefined : wireFloatKeys(o);
    for (const k in o) {
      const x = o[k];
      if (x === undefined) continue;
      this.writeKey(k);
      this.write(x, asFloat || (floatKeys?.has(k) ?? false) || (wire?.has(k) ?? false));
    }
  }
}

/** Encode one value to msgpack bytes (numbers: see {@link MsgpackEncoder}). */
export function encodeMsgpack(value: unknown): Uint8Array {
  const e = new MsgpackEncoder(256);
  e.write(value);
  return e.bytes().slice();
}
