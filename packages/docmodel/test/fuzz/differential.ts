/**
 * Differential check of the docmodel msgpack codec against msgpackr (`mapsAsObjects: false, useRecords: false`,
 * the configuration that decodes msgpack-numpy files, spec §9.7). For an input msgpackr decodes, our decoder
 * must give the same values, or a coded error of a documented class (TOLERATED).
 */
import { Unpackr } from "msgpackr";
import { DocModelError, NdArray, PyBytes, PyComplex } from "../../src/index.js";
import { MsgpackDecoder } from "../../src/msgpack/decoder.js";
import { TruncatedInput } from "../../src/msgpack/decoder.js";
import { numpyToBytes, numpyType } from "../../src/msgpack/numpy.js";

const unpackr = new Unpackr({ mapsAsObjects: false, useRecords: false });

/**
 * Codes our decoder may give for an input msgpackr decodes: things msgpackr tolerates but Python's msgpack (+
 * msgpack_numpy) rejects or that docmodel refuses on purpose (README "Differences").
 * - BAD_UTF8: invalid UTF-8 in a str (msgpackr substitutes U+FFFD or garbage; Python: UnicodeDecodeError).
 * - BAD_RECORD: a map key that is not str/bin (Python strict_map_key), a str and a bin key of the same text, a
 *   numpy map with a bad shape or data of the wrong size (msgpack_numpy: ValueError "buffer is too small").
 * - UNSUPPORTED: ext types, pickled (`kind` O) and structured (`kind` V) numpy arrays.
 * - UNSUPPORTED_DTYPE: a numpy `type` string that is no dtype (numpy: TypeError "data type not understood").
 */
export const TOLERATED = new Set([
  "DOCS_MSGPACK_BAD_UTF8",
  "DOCS_MSGPACK_BAD_RECORD",
  "DOCS_MSGPACK_UNSUPPORTED",
  "DOCS_UNSUPPORTED_DTYPE",
]);

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

/** float16 bits with every NaN as 0x7e00 (daqkit decodes half floats to numbers, so NaN payloads are not kept). */
function halfCanonical(b: Uint8Array): string {
  const out = new Uint8Array(b);
  for (let i = 0; i + 1 < out.length; i += 2) {
    const h = (out[i] as number) | ((out[i + 1] as number) << 8);
    if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) {
      out[i] = 0x00;
      out[i + 1] = 0x7e;
    }
  }
  return hex(out);
}

function num(v: number | bigint): string {
  if (typeof v === "bigint") return `i:${v}`;
  if (Number.isInteger(v)) return `i:${BigInt(v)}`;
  return `f:${v}`;
}

function sortedEntries(entries: [string, unknown][]): [string, unknown][] {
  return entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Canonical form of one of our decoded values. */
function ours(v: unknown): unknown {
  if (typeof v === "number" || typeof v === "bigint") return num(v);
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(ours);
  if (v instanceof NdArray) {
    const data = v.dtype === "<f2" ? halfCanonical(numpyToBytes(v)) : hex(numpyToBytes(v));
    return { $nd: v.dtype, shape: [...v.shape], scalar: v.scalar, data };
  }
  if (v instanceof Uint8Array) return `b:${hex(v)}`;
  if (v instanceof PyBytes) return `b:${hex(v.bytes)}`;
  if (v instanceof PyComplex) return { $complex: [num(v.real), num(v.imag)] };
  return sortedEntries(Object.entries(v).map(([k, x]) => [k, ours(x)]));
}

/** Canonical form of a msgpackr value (Maps with Buffer keys = bin keys). */
function theirs(v: unknown): unknown {
  if (typeof v === "number" || typeof v === "bigint") return num(v);
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(theirs);
  if (v instanceof Uint8Array) return `b:${hex(v)}`;
  if (v instanceof Map) {
    const bin = new Map<string, unknown>();
    const entries: [string, unknown][] = [];
    for (const [k, x] of v) {
      if (k instanceof Uint8Array) bin.set(Buffer.from(k).toString("latin1"), x);
      else entries.push([String(k), x]);
    }
    if (bin.has("nd")) {
      const isArray = bin.get("nd") === true;
      const type = bin.get("type") as string;
      const data = bin.get("data") as Uint8Array;
      const dt = numpyType(type);
      // Our NdArrays are little-endian: compare the raw bytes only when no swap happened.
      return {
        $nd: dt.normalized,
        shape: isArray ? (bin.get("shape") as number[]).map(Number) : [],
        scalar: !isArray,
        data: dt.byteOrder === ">" ? "(swapped)" : dt.kind === "f" && dt.itemsize === 2 ? halfCanonical(data) : hex(data),
      };
    }
    if (bin.has("complex") && bin.has("data")) {
      // msgpack_numpy: complex(data); our decoder refuses what does not parse (DOCS_MSGPACK_BAD_RECORD).
      const data = bin.get("data");
      const z = typeof data === "string" ? PyComplex.parse(data) : null;
      if (z) return { $complex: [num(z.real), num(z.imag)] };
    }
    for (const [k, x] of bin) entries.push([k, x]);
    return sortedEntries(entries.map(([k, x]) => [k, theirs(x)]));
  }
  return String(v);
}

function swappedEqual(a: unknown, b: unknown): boolean {
  if (b === "(swapped)") return typeof a === "string";
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => swappedEqual(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    return (
      ka.length === Object.keys(b).length &&
      ka.every((k) => swappedEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return Object.is(a, b) || (typeof a === "string" && a === b);
}

/** Differential check of the codec against msgpackr; returns the class of the outcome. */
export function differential(bytes: Uint8Array): string {
  let reference: unknown[] | undefined;
  try {
    reference = unpackr.unpackMultiple(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as unknown[];
  } catch {
    reference = undefined;
  }
  const values: unknown[] = [];
  const d = new MsgpackDecoder(bytes);
  let error: unknown;
  try {
    while (d.pos < bytes.length) values.push(d.decode());
  } catch (e) {
    error = e;
  }
  if (error !== undefined && !(error instanceof TruncatedInput) && !DocModelError.isInstance(error)) throw error;
  if (reference === undefined) return error === undefined ? "ours-only" : "both-refuse";
  if (error instanceof TruncatedInput)
    throw new Error(`differential: msgpackr decodes ${reference.length} values, ours reports truncation at ${d.pos}`);
  if (error !== undefined) {
    const code = (error as DocModelError).code;
    if (!TOLERATED.has(code)) throw new Error(`differential: msgpackr decodes, ours refuses with ${code}: ${(error as Error).message}`);
    return `refused:${code}`;
  }
  const a = values.map(ours);
  const b = reference.map((x) => {
    try {
      return theirs(x);
    } catch {
      return "(unparsable numpy)";
    }
  });
  if (!swappedEqual(a, b)) {
    throw new Error(
      `differential: values differ\n ours:     ${JSON.stringify(a).slice(0, 400)}\n msgpackr: ${JSON.stringify(b).slice(0, 400)}`,
    );
  }
  return "same";
}
