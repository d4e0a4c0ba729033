import { DocModelError } from "./errors.js";
import { NdArray, isTypedArray, toPlain } from "./ndarray.js";

/**
 * MongoDB-style queries over documents with the semantics of the Python `mongoquery` 1.4.3 package that
 * intake-bluesky uses (spec docmodel.md §7): implicit AND, dotted paths through maps and arrays, partial
 * sub-document matches, and the operators `$eq $ne $gt $gte $lt $lte $in $nin $and $or $nor $not $exists $regex
 * $all $elemMatch $size $type $mod $comment`.
 */
export type Query = Record<string, unknown>;

const MISSING: unique symbol = Symbol("missing");
type Value = unknown;

const OPERATORS = new Set([
  "$eq",
  "$ne",
  "$gt",
  "$gte",
  "$lt",
  "$lte",
  "$in",
  "$nin",
  "$and",
  "$or",
  "$nor",
  "$not",
  "$exists",
  "$regex",
  "$all",
  "$elemMatch",
  "$size",
  "$type",
  "$mod",
  "$comment",
]);

function queryError(message: string): DocModelError {
  return new DocModelError("DOCS_QUERY_INVALID", `docmodel query: ${message}`);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof RegExp) && !(v instanceof NdArray) && !isTypedArray(v);
}

/**
 * Check a query's operators without evaluating it (so errors do not depend on the documents).
 * @throws DocModelError `DOCS_QUERY_INVALID` for unknown operators, `$and`/`$or`/`$nor`/`$in`/`$nin`/`$all` without a
 *   list, `$options`, `$text`, `$where`, a regex flag other than `i`, `m`, `s`
 */
export function checkQuery(query: unknown): void {
  if (!isMap(query)) throw queryError(`a query must be an object, got ${JSON.stringify(query)}`);
  checkCondition(query);
}

function checkCondition(cond: Record<string, unknown>): void {
  for (const [k, c] of Object.entries(cond)) {
    if (!k.startsWith("$")) {
      if (isMap(c)) checkCondition(c);
      continue;
    }
    if (k === "$options") throw queryError("'$options' is not supported; use the '/pattern/flags' form of $regex");
    if (!OPERATORS.has(k)) throw queryError(`'${k}' operator isn't supported`);
    switch (k) {
      case "$and":
      case "$or":
      case "$nor":
        if (!Array.isArray(c)) throw queryError(`${k} needs a list of queries, got ${JSON.stringify(c)}`);
        for (const q of c) if (isMap(q)) checkCondition(q);
        break;
      case "$in":
      case "$nin":
      case "$all":
        if (!Array.isArray(c)) throw queryError(`${k} needs a list, got ${JSON.stringify(c)}`);
        break;
      case "$not":
      case "$elemMatch":
        if (isMap(c)) checkCondition(c);
        break;
      case "$size":
        if (isMap(c)) checkCondition(c);
        break;
      case "$regex":
        compileRegex(c);
        break;
      case "$mod":
        if (!Array.isArray(c) || c.length !== 2) throw queryError(`$mod needs [divisor, remainder], got ${JSON.stringify(c)}`);
        break;
      default:
        break;
    }
  }
}

const regexCache = new Map<string, RegExp>();

function compileRegex(pattern: unknown): RegExp {
  if (pattern instanceof RegExp) return pattern;
  if (typeof pattern !== "string") throw queryError(`$regex needs a string, got ${JSON.stringify(pattern)}`);
  const cached = regexCache.get(pattern);
  if (cached) return cached;
  let source = pattern;
  let flags = "";
  const m = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  if (m) {
    source = m[1] as string;
    for (const f of m[2] as string) {
      if (f === "i" || f === "m" || f === "s") flags += f;
      else throw queryError(`regex flag '${f}' is not supported (only i, m, s)`);
    }
  }
  let re: RegExp;
  try {
    re = new RegExp(source, flags);
  } catch (e) {
    throw new DocModelError("DOCS_QUERY_INVALID", `docmodel query: bad $regex ${JSON.stringify(pattern)}`, { cause: e });
  }
  regexCache.set(pattern, re);
  return re;
}

/**
 * True when `doc` matches `query` (mongoquery semantics, spec §7; booleans never equal numbers; `$exists` through a
 * string and `$mod` on a missing field simply do not match).
 * @throws DocModelError `DOCS_QUERY_INVALID` (see {@link checkQuery})
 */
export function matchQuery(query: Query, doc: unknown): boolean {
  checkQuery(query);
  return matchCondition(query, doc);
}

/** A compiled query: checked once, then matched against many documents. */
export function compileQuery(query: Query): (doc: unknown) => boolean {
  checkQuery(query);
  return (doc) => matchCondition(query, doc);
}

function matchCondition(cond: unknown, value: Value): boolean {
  if (isMap(cond)) {
    for (const k in cond) {
      if (!processEntry(k, cond[k], value)) return false;
    }
    return true;
  }
  return implicitEquals(cond, value);
}

function implicitEquals(cond: unknown, value: Value): boolean {
  if (Array.isArray(value) && value.some((e) => deepEqual(e, cond))) return true;
  return deepEqual(value, cond);
}

function processEntry(key: string, cond: unknown, value: Value): boolean {
  if (key.startsWith("$")) return applyOperator(key, cond, value);
  const parts = key.split(".");
  if (isMap(cond) && "$exists" in cond) {
    const present = pathExists(value, parts, 0);
    if (present !== Boolean(cond.$exists)) return false;
    const rest = Object.entries(cond).filter(([k]) => k !== "$exists");
    if (rest.length === 0) return true;
    return matchCondition(Object.fromEntries(rest), resolvePath(value, parts, 0));
  }
  return matchCondition(cond, resolvePath(value, parts, 0));
}

function resolvePath(value: Value, parts: string[], i: number): Value {
  if (i === parts.length) return value;
  if (value === null) return null;
  if (value === MISSING) return MISSING;
  const seg = parts[i] as string;
  if (Array.isArray(value)) {
    if (/^\d+$/.test(seg)) {
      const idx = Number(seg);
      return idx < value.length ? resolvePath(value[idx], parts, i + 1) : MISSING;
    }
    return value.map((e) => resolvePath(e, parts, i));
  }
  if (isMap(value)) return Object.hasOwn(value, seg) ? resolvePath(value[seg], parts, i + 1) : MISSING;
  return MISSING;
}

function pathExists(value: Value, parts: string[], i: number): boolean {
  if (i === parts.length) return value !== MISSING;
  const seg = parts[i] as string;
  if (Array.isArray(value)) {
    if (/^\d+$/.test(seg)) {
      const idx = Number(seg);
      return idx < value.length && pathExists(value[idx], parts, i + 1);
    }
    return value.some((e) => pathExists(e, parts, i));
  }
  if (isMap(value)) return Object.hasOwn(value, seg) && pathExists(value[seg], parts, i + 1);
  return false;
}

function plain(v: Value): Value {
  return v instanceof NdArray || isTypedArray(v) ? toPlain(v) : v;
}

/** Python-like equality, except that booleans never equal numbers; MISSING equals nothing. */
export function deepEqual(a: Value, b: Value): boolean {
  if (a === MISSING || b === MISSING) return false;
  a = plain(a);
  b = plain(b);
  if (a === b) return true;
  if (typeof a === "bigint" || typeof b === "bigint") {
    return (typeof a === "bigint" || typeof a === "number") && (typeof b === "bigint" || typeof b === "number") && Number(a) === Number(b);
  }
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isMap(a)) {
    if (!isMap(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Ordering of comparable values (numbers, strings, arrays lexicographically); undefined if not comparable. */
function compare(a: Value, b: Value): number | undefined {
  if ((typeof a === "number" || typeof a === "bigint") && (typeof b === "number" || typeof b === "bigint")) {
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : x === y ? 0 : undefined;
  }
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (deepEqual(a[i], b[i])) continue;
      return compare(a[i], b[i]);
    }
    return a.length - b.length;
  }
  return undefined;
}

function inList(list: unknown[], value: Value): boolean {
  if (value === MISSING) return false;
  if (Array.isArray(value)) return list.some((a) => deepEqual(a, value) || value.some((e) => deepEqual(e, a)));
  return list.some((a) => deepEqual(a, value));
}

const TYPE_CODES: Record<number, string> = {
  1: "double",
  2: "string",
  3: "object",
  4: "array",
  8: "bool",
  10: "null",
  16: "int",
  18: "long",
};

function hasType(t: unknown, v: Value): boolean {
  const name = typeof t === "number" ? TYPE_CODES[t] : t;
  switch (name) {
    case "double":
      return typeof v === "number" && !Number.isInteger(v);
    case "string":
      return typeof v === "string";
    case "object":
      return isMap(v);
    case "array":
      return Array.isArray(v);
    case "bool":
      return typeof v === "boolean";
    case "null":
      return v === null;
    case "int":
    case "long":
      return (typeof v === "number" && Number.isInteger(v)) || typeof v === "bigint";
    case "number":
      return typeof v === "number" || typeof v === "bigint";
    default:
      return false;
  }
}

function applyOperator(op: string, c: unknown, v: Value): boolean {
  switch (op) {
    case "$eq":
      return deepEqual(v, c);
    case "$ne":
      return !deepEqual(v, c);
    case "$gt": {
      const r = compare(v, c);
      return r !== undefined && r > 0;
    }
    case "$gte": {
      const r = compare(v, c);
      return r !== undefined && r >= 0;
    }
    case "$lt": {
      const r = compare(v, c);
      return r !== undefined && r < 0;
    }
    case "$lte": {
      const r = compare(v, c);
      return r !== undefined && r <= 0;
    }
    case "$in":
      return inList(c as unknown[], v);
    case "$nin":
      return !inList(c as unknown[], v);
    case "$and":
      return (c as unknown[]).every((q) => matchCondition(q, v));
    case "$or":
      return (c as unknown[]).some((q) => matchCondition(q, v));
    case "$nor":
      return !(c as unknown[]).some((q) => matchCondition(q, v));
    case "$not":
      return !matchCondition(c, v);
    case "$exists":
      // Reached only at top level or inside $not/$elemMatch: the current value itself.
      return (v !== MISSING) === Boolean(c);
    case "$regex":
      return typeof v === "string" && compileRegex(c).test(v);
    case "$all":
      return (c as unknown[]).every((a) => implicitEquals(a, v));
    case "$elemMatch":
      return Array.isArray(v) && v.some((e) => matchCondition(c, e));
    case "$size":
      if (!Array.isArray(v)) return false;
      return isMap(c) ? matchCondition(c, v.length) : deepEqual(v.length, c);
    case "$type":
      return v !== MISSING && hasType(c, v);
    case "$mod": {
      const [d, r] = c as [number, number];
      if (typeof v !== "number" || typeof d !== "number" || d === 0) return false;
      // Python's % takes the sign of the divisor.
      return ((v % d) + d) % d === r;
    }
    case "$comment":
      return true;
    default:
      throw queryError(`'${op}' operator isn't supported`);
  }
}
