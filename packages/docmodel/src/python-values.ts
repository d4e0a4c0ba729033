/**
 * Python values that suitcase-msgpack files carry and JS has no type for, decoded the way msgpack_numpy (0.4.x) does
 * and written back byte for byte:
 * - `bytes` (msgpack **bin**) → {@link PyBytes};
 * - `complex` (msgpack_numpy's `{b"complex": True, b"data": repr(z)}` map) → {@link PyComplex};
 * - integral floats (`2.0`, msgpack float64) stay JS numbers; the decoder remembers which object entries / array
 *   slots held a float on the wire ({@link isWireFloat}) so the encoder writes them as float64 again.
 */

/** A Python `bytes` value (msgpack bin). `toJSON()` gives its latin-1 text, like numpy `S` strings in daqkit. */
export class PyBytes {
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
  get length(): number {
    return this.bytes.length;
  }
  /** Latin-1 text (one character per byte). */
  toString(): string {
    let s = "";
    for (let i = 0; i < this.bytes.length; i += 4096) {
      s += String.fromCharCode.apply(null, this.bytes.subarray(i, i + 4096) as unknown as number[]);
    }
    return s;
  }
  toJSON(): string {
    return this.toString();
  }
}

/**
 * A Python `complex`. `repr` is Python's `repr(z)` as read from the file (kept so a re-export is byte-identical);
 * for values made in JS it is formatted like Python does.
 */
export class PyComplex {
  readonly real: number;
  readonly imag: number;
  readonly repr: string;
  constructor(real: number, imag: number, repr?: string) {
    this.real = real;
    this.imag = imag;
    this.repr = repr ?? complexRepr(real, imag);
  }
  /** Parse Python's `complex(text)` syntax (`"(1+2j)"`, `"2j"`, `"(-0-1.5e-05j)"`, `"(nan+infj)"`). Null if invalid. */
  static parse(text: string): PyComplex | null {
    let t = text.trim();
    if (t.startsWith("(") && t.endsWith(")")) t = t.slice(1, -1).trim();
    const N = "(?:(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:e[+-]?\\d+)?|nan|inf(?:inity)?)";
    const pure = new RegExp(`^([+-]?${N}?)j$`, "i").exec(t);
    if (pure) return new PyComplex(0, pyNumber(pure[1] as string, true), text);
    const both = new RegExp(`^([+-]?${N})([+-]${N}?)j$`, "i").exec(t);
    if (both) return new PyComplex(pyNumber(both[1] as string, false), pyNumber(both[2] as string, true), text);
    const real = new RegExp(`^([+-]?${N})$`, "i").exec(t);
    if (real) return new PyComplex(pyNumber(real[1] as string, false), 0, text);
    return null;
  }
  /** `[real, imag]`, as daqkit gives numpy complex values in plain form. */
  toJSON(): [number, number] {
    return [this.real, this.imag];
  }
}

function pyNumber(s: string, imaginary: boolean): number {
  if (imaginary && (s === "" || s === "+")) return 1;
  if (imaginary && s === "-") return -1;
  const sign = s.startsWith("-") ? -1 : 1;
  const body = s.replace(/^[+-]/, "").toLowerCase();
  if (body === "nan") return Number.NaN;
  if (body === "inf" || body === "infinity") return sign * Infinity;
  return sign * Number(body);
}

/** Python's `repr(float)` without the trailing `.0` (format code `r`, as `complex.__repr__` uses). */
export function pyFloatRepr(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const [mant, expText] = v.toExponential().split("e") as [string, string];
  const exp = Number(expText);
  const negative = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  let out: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  } else if (exp < 0) {
    out = `0.${"0".repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    out = digits + "0".repeat(exp + 1 - digits.length);
  } else {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return negative ? `-${out}` : out;
}

/** Python's `repr(complex(real, imag))`. */
export function complexRepr(real: number, imag: number): string {
  const im = pyFloatRepr(imag);
  if (real === 0 && !Object.is(real, -0)) return `${im}j`;
  const signed = im.startsWith("-") ? im : `+${im}`;
  return `(${pyFloatRepr(real)}${signed}j)`;
}

// Marks live on the container itself, in a private class field stamped onto it (a base constructor that returns
// the given object lets a subclass add its private field to any object): invisible to `Object.keys`, `for…in`,
// symbols, JSON, spreading, structured clone and deep-equality checks, and a plain property store for V8. A WeakMap
// entry per container cost 2.4× the whole decode in GC on a million event pages; `Object.defineProperty` of a
// non-enumerable symbol still ~25 % of it. One key is stored as itself, more as a Set.
class StampTarget {
  constructor(target: object) {
    // biome-ignore lint/correctness/noConstructorReturn: returning the target is what stamps the private field onto it
    return target;
  }
}

class WireFloatMarks extends StampTarget {
  #keys: string | number | Set<string | number>;

  private constructor(target: object, key: string | number) {
    super(target);
    this.#keys = key;
  }

  static mark(container: object, key: string | number): void {
    if (!(#keys in container)) {
      new WireFloatMarks(container, key);
      return;
    }
    const c = container as WireFloatMarks;
    const m = c.#keys;
    if (m instanceof Set) m.add(key);
    else if (m !== key) c.#keys = new Set([m, key]);
  }

  static keys(container: object): string | number | Set<string | number> | undefined {
    return #keys in container ? (container as WireFloatMarks).#keys : undefined;
  }
}

/** Record that `container[key]` held an integral number written as a msgpack float. */
export function markWireFloat(container: object, key: string | number): void {
  WireFloatMarks.mark(container, key);
}

/** Did `container[key]` hold an integral number written as a msgpack float when it was decoded? */
export function isWireFloat(container: object, key: string | number): boolean {
  const m = WireFloatMarks.keys(container);
  return m === key || (m instanceof Set && m.has(key));
}

/** The keys / indices of `container` that were integral floats on the wire (undefined: none). */
export function wireFloatKeys(container: object): ReadonlySet<string | number> | undefined {
  const m = WireFloatMarks.keys(container);
  return m === undefined ? undefined : m instanceof Set ? m : new Set([m]);
}
