import { sha1 } from "@noble/hashes/legacy.js";
import { formatPythonJson, PyFloat, sortByCodePoint } from "./python-json.js";

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 (no padding) of `bytes`. */
function base32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * strax `hashablize`: mappings become `[key, value]` pairs sorted by key (code point order), lists
 * and tuples stay lists, typed arrays become lists; scalars stay as they are.
 */
export function canonicalizeForHash(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value !== "object") return value;
  if (value instanceof PyFloat) return value;
  if (Array.isArray(value)) return value.map(canonicalizeForHash);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>);
  }
  const entries: [string, unknown][] = value instanceof Map ? [...value.entries()].map(([k, v]) => [String(k), v]) : Object.entries(value);
  const byKey = new Map(entries);
  return sortByCodePoint([...byKey.keys()]).map((key) => [key, canonicalizeForHash(byKey.get(key))]);
}

/**
 * strax `deterministic_hash(thing, length=10)` (spec runs.md §4.2): canonicalise, serialise as
 * Python `json.dumps` (ASCII, `", "` separators), SHA-1, RFC 4648 base32, first `length`
 * characters in lower case. Integers beyond 2^53 must be `bigint`; integral Python floats must
 * be {@link PyFloat} (a lineage read with {@link parsePythonJson} already is).
 *
 * @example deterministicHash([{ "0": "all", "1": "all", "2": "all" }, false]) // "xasmpdqviq"
 */
export function deterministicHash(value: unknown, length = 10): string {
  const text = formatPythonJson(canonicalizeForHash(value));
  // formatPythonJson writes ASCII only (json.dumps' ensure_ascii), so one byte per character.
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  // SHA-1 synchronously (Web Crypto's digest is async only): @noble/hashes, pure JS, audited.
  const digest = sha1(bytes);
  return base32(digest).slice(0, length).toLowerCase();
}
