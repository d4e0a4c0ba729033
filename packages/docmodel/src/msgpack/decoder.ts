/**
 * The msgpack decoder for the subset suitcase-msgpack writes (spec docmodel.md §9.3/§9.4): nil, bool, ints,
 * float32/64, str, bin, array, map. No ext types. Maps with a *bin* key `nd` are msgpack-numpy arrays/scalars
 * (decoded by `./numpy.ts`). Strings are strict UTF-8, as in Python's msgpack.
 */
import { DocModelError } from "../errors.js";
import { PyBytes, PyComplex, markWireFloat } from "../python-values.js";
import { latin1, numpyFromMap } from "./numpy.js";

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

/** A cursor over a byte buffer that decodes msgpack values. */
export class MsgpackDecoder {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos: number;
  readonly end: number;
  /** Map nesting depth (1 = a record's document). */
  private depth = 0;
  /** > 0 while decoding values whose integral floats need no mark (the encoder writes them as float64 anyway). */
  private noMarks = 0;
  /**
   * Set by the suitcase record readers: a record's document (map depth 1) has `time` / `timestamps` that the record
   * encoder always writes as float64, so integral floats below them need no mark. Off for {@link decodeMsgpack}.
   */
  recordRules = false;
  /**
   * Offset of `bytes[0]` in the whole input (a file read in windows): added to every byte offset an error reports,
   * so messages name the position in the file.
   */
  base = 0;

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
        return new PyBytes(this.bin(this.bytes[this.pos++] as number));
      case 0xc5:
        this.need(2);
        this.pos += 2;
        return new PyBytes(this.bin(v.getUint16(this.pos - 2)));
      case 0xc6:
        this.need(4);
        this.pos += 4;
        return new PyBytes(this.bin(v.getUint32(this.pos - 4)));
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
          `msgpack: unsupported type byte 0x${b.toString(16)} at byte ${this.base + this.pos - 1} (ext types are not used by suitcase-msgpack)`,
          { byteOffset: this.base + this.pos - 1 },
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
      throw new DocModelError(
        "DOCS_MSGPACK_UNSUPPORTED",
        `msgpack: unsupported type byte 0x${b.toString(16)} at byte ${this.base + pos - 1}`,
        {
          byteOffset: this.base + pos - 1,
        },
      );
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
      if (high > 0x7f) return utf8(bytes, start, start + n, this.base + header);
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
    return utf8(bytes, start, start + n, this.base + header);
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
    const bytes = this.bytes;
    if (n < 16) {
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) {
        const vb = bytes[this.pos];
        const v = this.decode();
        out.push(v);
        if ((vb === 0xcb || vb === 0xca) && this.noMarks === 0 && Number.isInteger(v)) markWireFloat(out, i);
      }
      return out;
    }
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const vb = bytes[this.pos];
      const v = this.decode();
      out[i] = v;
      if ((vb === 0xcb || vb === 0xca) && this.noMarks === 0 && Number.isInteger(v)) markWireFloat(out, i);
    }
    return out;
  }

  // `depth` and `noMarks` are not restored when a decode throws: a decoder is not used after an error.
  private map(n: number): unknown {
    this.depth++;
    const out = this.mapEntries(n);
    this.depth--;
    return out;
  }

  private mapEntries(n: number): unknown {
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
        const vb = bytes[this.pos];
        // A document's `time` and `timestamps` are always written as float64: no marks needed below them.
        const floatsByRule = this.depth === 1 && this.recordRules && (k === "time" || k === "timestamps");
        if (floatsByRule) this.noMarks++;
        const v = this.decode();
        if (floatsByRule) this.noMarks--;
        if (k === "__proto__") defineKey(out, k, v);
        else out[k] = v;
        // An integral float (`2.0`) decodes to a JS number like `2`: remember it was a float on the wire.
        if ((vb === 0xcb || vb === 0xca) && this.noMarks === 0 && Number.isInteger(v)) markWireFloat(out, k);
        continue;
      }
      const keyOffset = this.pos;
      const key = this.decode();
      const vb = bytes[this.pos];
      const value = this.decode();
      if (key instanceof PyBytes) {
        binKeys ??= {};
        defineKey(binKeys, latin1(key.bytes), value);
      } else if (typeof key === "string") {
        defineKey(out, key, value);
        if ((vb === 0xcb || vb === 0xca) && this.noMarks === 0 && Number.isInteger(value)) markWireFloat(out, key);
      } else {
        // Python's msgpack (strict_map_key, the default since 1.0) refuses any other key type.
        throw new DocModelError(
          "DOCS_MSGPACK_BAD_RECORD",
          `msgpack: map key at byte ${this.base + keyOffset} is ${key === null ? "nil" : Array.isArray(key) ? "an array" : `a ${typeof key}`}; only str and bin keys are allowed`,
          { byteOffset: this.base + keyOffset },
        );
      }
    }
    if (binKeys === undefined) return out;
    if ("nd" in binKeys) return numpyFromMap(binKeys, this.base + header);
    if ("complex" in binKeys && "data" in binKeys) {
      // msgpack_numpy's Python complex: {b"complex": True, b"data": repr(z)} → complex(data) (a TypeError or
      // ValueError in Python when data is not a str that parses: refused here too).
      const data = binKeys.data;
      const z = typeof data === "string" ? PyComplex.parse(data) : null;
      if (z === null) {
        throw new DocModelError("DOCS_MSGPACK_BAD_RECORD", `msgpack: complex map at byte ${this.base + header} has no valid complex data`, {
          byteOffset: this.base + header,
        });
      }
      if (Object.keys(binKeys).length === 2 && Object.keys(out).length === 0 && binKeys.complex === true) return z;
      // Not in the exact layout msgpack_numpy writes: same value, re-encoded in its standard layout.
      return new PyComplex(z.real, z.imag);
    }
    // A bin-keyed map that is not msgpack-numpy (e.g. `complex`): keep it as an object with latin-1 keys, unless
    // a bin key and a str key have the same text (one would silently replace the other).
    for (const k in binKeys) {
      if (Object.hasOwn(out, k)) {
        throw new DocModelError(
          "DOCS_MSGPACK_BAD_RECORD",
          `msgpack: map at byte ${this.base + header} has both a str and a bin key ${JSON.stringify(k)}`,
          {
            byteOffset: this.base + header,
          },
        );
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
