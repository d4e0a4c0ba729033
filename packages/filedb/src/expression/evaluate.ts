/** Column-wise evaluation of an expression tree over typed arrays (never one object per row). */
import { FileDbError } from "../errors.js";
import type { ArrowVectorLike, BinaryOperator, Expression, ExpressionColumn } from "./ast.js";
import { formatExpression } from "./format.js";
import { BINARY_FUNCTIONS, FUNCTIONS } from "./functions.js";
import { expressionSource } from "./parse.js";

type Scalar = number | bigint | string | boolean | null;
type NumArray = ArrayLike<number>;
type Value =
  | { readonly k: "scalar"; readonly v: Scalar }
  | { readonly k: "num"; readonly a: NumArray } // numbers (typed arrays or number[]); masks are Uint8Array 0/1
  | { readonly k: "big"; readonly a: BigInt64Array | BigUint64Array }
  | { readonly k: "str"; readonly a: ArrayLike<string | null> }
  | { readonly k: "other"; readonly a: ArrayLike<unknown> }
  | { readonly k: "list"; readonly items: Scalar[] };

// Arrow Type ids (stable enum values of apache-arrow's `Type`).
const ARROW_UTF8 = 5;
const ARROW_LARGE_UTF8 = 20;
const ARROW_BOOL = 6;
const ARROW_INT = 2;
const ARROW_FLOAT = 3;

function isArrowVector(x: unknown): x is ArrowVectorLike {
  return (
    typeof x === "object" &&
    x !== null &&
    !Array.isArray(x) &&
    !ArrayBuffer.isView(x) &&
    typeof (x as ArrowVectorLike).get === "function" &&
    typeof (x as ArrowVectorLike).toArray === "function" &&
    typeof (x as ArrowVectorLike).type === "object"
  );
}

function classifyArray(a: ArrayLike<unknown>): Value {
  let numbers = 0;
  let strings = 0;
  let booleans = 0;
  let bigints = 0;
  let nulls = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v === null || v === undefined) nulls++;
    else if (typeof v === "number") numbers++;
    else if (typeof v === "string") strings++;
    else if (typeof v === "boolean") booleans++;
    else if (typeof v === "bigint") bigints++;
    else return { k: "other", a };
  }
  const n = a.length - nulls;
  if (n === 0 && nulls > 0) return { k: "other", a };
  if (strings === n) return { k: "str", a: a as ArrayLike<string | null> };
  if (numbers === n) {
    if (nulls === 0) return { k: "num", a: a as NumArray };
    return { k: "num", a: Float64Array.from(a as ArrayLike<number | null>, (v) => (v == null ? Number.NaN : v)) };
  }
  if (booleans === n) return { k: "num", a: Uint8Array.from(a as ArrayLike<boolean | null>, (v) => (v ? 1 : 0)) };
  if (bigints === n && nulls === 0) return { k: "big", a: BigInt64Array.from(a as ArrayLike<bigint>) };
  if (numbers + bigints === n) {
    return { k: "num", a: Float64Array.from(a as ArrayLike<number | bigint | null>, (v) => (v == null ? Number.NaN : Number(v))) };
  }
  return { k: "other", a };
}

function columnValue(column: ExpressionColumn, name: string, length: number, source: string, position: number): Value {
  if (column.length !== length) {
    throw new FileDbError(
      "FILEDB_BAD_EXPRESSION",
      `filedb: expression ${JSON.stringify(source)}: column ${JSON.stringify(name)} has ${column.length} rows, expected ${length}`,
      { position, source, column: name },
    );
  }
  if (column instanceof BigInt64Array || column instanceof BigUint64Array) return { k: "big", a: column };
  if (ArrayBuffer.isView(column)) return { k: "num", a: column as unknown as NumArray };
  if (Array.isArray(column)) return classifyArray(column);
  if (isArrowVector(column)) {
    const typeId = column.type.typeId;
    const get = (i: number) => column.get(i);
    if (typeId === ARROW_UTF8 || typeId === ARROW_LARGE_UTF8) {
      const out = new Array<string | null>(length);
      for (let i = 0; i < length; i++) out[i] = get(i) as string | null;
      return { k: "str", a: out };
    }
    if (typeId === ARROW_BOOL) {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = get(i) ? 1 : 0;
      return { k: "num", a: out };
    }
    if ((typeId === ARROW_INT || typeId === ARROW_FLOAT) && column.nullCount === 0) {
      const arr = column.toArray();
      if (arr instanceof BigInt64Array || arr instanceof BigUint64Array) return { k: "big", a: arr };
      if (ArrayBuffer.isView(arr)) return { k: "num", a: arr as unknown as NumArray };
    }
    const out = new Array<unknown>(length);
    for (let i = 0; i < length; i++) out[i] = get(i);
    return classifyArray(out);
  }
  throw new TypeError(`evaluateExpression: column ${JSON.stringify(name)} is not an array, typed array or Arrow vector`);
}

interface EvalContext {
  readonly source: string;
  readonly length: number;
  readonly getColumn: (name: string) => ExpressionColumn | undefined;
  readonly cache: Map<string, Value>;
}

function evalError(ctx: EvalContext, position: number, what: string): FileDbError {
  return new FileDbError(
    "FILEDB_BAD_EXPRESSION",
    `filedb: cannot evaluate expression ${JSON.stringify(ctx.source)} at position ${position}: ${what}`,
    {
      position,
      source: ctx.source,
    },
  );
}

function scalarOf(v: Value): Scalar | undefined {
  return v.k === "scalar" ? v.v : undefined;
}

function numScalar(s: number | bigint | boolean): number | bigint {
  return typeof s === "boolean" ? (s ? 1 : 0) : s;
}

function describeValue(v: Value): string {
  switch (v.k) {
    case "scalar":
      return v.v === null ? "None" : typeof v.v === "string" ? "a string" : typeof v.v === "boolean" ? "a boolean" : "a number";
    case "num":
    case "big":
      return "a numeric column";
    case "str":
      return "a string column";
    case "list":
      return "a list";
    default:
      return "a column of mixed values";
  }
}

/** Element accessor returning a comparable primitive (number, bigint, string or null). */
function accessor(v: Value): (i: number) => Scalar | unknown {
  switch (v.k) {
    case "scalar": {
      const s = typeof v.v === "boolean" ? (v.v ? 1 : 0) : v.v;
      return () => s;
    }
    case "num":
    case "big":
    case "str":
    case "other": {
      const a = v.a as ArrayLike<unknown>;
      return (i) => {
        const x = a[i];
        return typeof x === "boolean" ? (x ? 1 : 0) : x;
      };
    }
    case "list":
      throw new TypeError("unreachable: list accessor");
  }
}

type Kind = "numeric" | "string" | "null" | "other";
function kindOf(v: Value): Kind {
  if (v.k === "num" || v.k === "big") return "numeric";
  if (v.k === "str") return "string";
  if (v.k === "scalar") return v.v === null ? "null" : typeof v.v === "string" ? "string" : "numeric";
  return "other";
}

function looseEqual(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return false;
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === "number" || ta === "bigint") && (tb === "number" || tb === "bigint")) {
    // biome-ignore lint/suspicious/noDoubleEquals: exact number/bigint equality (1n == 1)
    return a == b;
  }
  return a === b;
}

function orderCompare(op: BinaryOperator, a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return false;
  const x = a as number;
  const y = b as number;
  switch (op) {
    case "<":
      return x < y;
    case "<=":
      return x <= y;
    case ">":
      return x > y;
    default:
      return x >= y;
  }
}

function numericFastCompare(op: BinaryOperator, a: NumArray, b: number | NumArray, n: number): Uint8Array {
  const out = new Uint8Array(n);
  if (typeof b === "number") {
    switch (op) {
      case "==":
        for (let i = 0; i < n; i++) out[i] = a[i]! === b ? 1 : 0;
        break;
      case "!=":
        for (let i = 0; i < n; i++) out[i] = a[i]! !== b ? 1 : 0;
        break;
      case "<":
        for (let i = 0; i < n; i++) out[i] = a[i]! < b ? 1 : 0;
        break;
      case "<=":
        for (let i = 0; i < n; i++) out[i] = a[i]! <= b ? 1 : 0;
        break;
      case ">":
        for (let i = 0; i < n; i++) out[i] = a[i]! > b ? 1 : 0;
        break;
      default:
        for (let i = 0; i < n; i++) out[i] = a[i]! >= b ? 1 : 0;
    }
    return out;
  }
  switch (op) {
    case "==":
      for (let i = 0; i < n; i++) out[i] = a[i]! === b[i]! ? 1 : 0;
      break;
    case "!=":
      for (let i = 0; i < n; i++) out[i] = a[i]! !== b[i]! ? 1 : 0;
      break;
    case "<":
      for (let i = 0; i < n; i++) out[i] = a[i]! < b[i]! ? 1 : 0;
      break;
    case "<=":
      for (let i = 0; i < n; i++) out[i] = a[i]! <= b[i]! ? 1 : 0;
      break;
    case ">":
      for (let i = 0; i < n; i++) out[i] = a[i]! > b[i]! ? 1 : 0;
      break;
    default:
      for (let i = 0; i < n; i++) out[i] = a[i]! >= b[i]! ? 1 : 0;
  }
  return out;
}

function compareValues(ctx: EvalContext, op: BinaryOperator, l: Value, r: Value, position: number): Value {
  if (l.k === "list" || r.k === "list")
    throw evalError(ctx, position, `cannot compare ${describeValue(l)} with ${describeValue(r)} using ${op}; use "in"`);
  const kl = kindOf(l);
  const kr = kindOf(r);
  const ordering = op !== "==" && op !== "!=";
  if (ordering && kl !== "other" && kr !== "other" && kl !== "null" && kr !== "null" && kl !== kr) {
    throw evalError(ctx, position, `cannot order ${describeValue(l)} against ${describeValue(r)} with ${op}`);
  }
  const ls = scalarOf(l);
  const rs = scalarOf(r);
  if (l.k === "scalar" && r.k === "scalar") {
    const a = accessor(l)(0);
    const b = accessor(r)(0);
    const res = op === "==" ? looseEqual(a, b) : op === "!=" ? !looseEqual(a, b) : orderCompare(op, a, b);
    return { k: "scalar", v: res };
  }
  const n = ctx.length;
  // Different kinds (string vs number): never equal, as in pandas.
  if (!ordering && kl !== kr && kl !== "other" && kr !== "other") {
    return { k: "num", a: new Uint8Array(n).fill(op === "!=" ? 1 : 0) };
  }
  if (l.k === "num" && (typeof rs === "number" || typeof rs === "boolean"))
    return { k: "num", a: numericFastCompare(op, l.a, Number(rs), n) };
  if (r.k === "num" && (typeof ls === "number" || typeof ls === "boolean")) {
    return { k: "num", a: numericFastCompare(mirror(op), r.a, Number(ls), n) };
  }
  if (l.k === "num" && r.k === "num") return { k: "num", a: numericFastCompare(op, l.a, r.a, n) };
  const get = accessor(l);
  const getR = accessor(r);
  const out = new Uint8Array(n);
  if (op === "==") for (let i = 0; i < n; i++) out[i] = looseEqual(get(i), getR(i)) ? 1 : 0;
  else if (op === "!=") for (let i = 0; i < n; i++) out[i] = looseEqual(get(i), getR(i)) ? 0 : 1;
  else {
    for (let i = 0; i < n; i++) {
      const a = get(i);
      const b = getR(i);
      if (a != null && b != null) {
        const ta = typeof a === "string";
        if (ta !== (typeof b === "string")) throw evalError(ctx, position, `cannot order a string against a number with ${op} (row ${i})`);
      }
      out[i] = orderCompare(op, a, b) ? 1 : 0;
    }
  }
  return { k: "num", a: out };
}

function mirror(op: BinaryOperator): BinaryOperator {
  switch (op) {
    case "<":
      return ">";
    case "<=":
      return ">=";
    case ">":
      return "<";
    case ">=":
      return "<=";
    default:
      return op;
  }
}

function membership(ctx: EvalContext, negated: boolean, l: Value, r: Value, position: number): Value {
  let items: Iterable<unknown>;
  if (r.k === "list") items = r.items;
  else if (r.k === "scalar") items = [r.v];
  else items = Array.from(r.a as ArrayLike<unknown>);
  const numbers = new Set<number>();
  const bigints = new Set<bigint>();
  const strings = new Set<string>();
  for (const item of items) {
    if (typeof item === "number") numbers.add(item);
    else if (typeof item === "boolean") numbers.add(item ? 1 : 0);
    else if (typeof item === "string") strings.add(item);
    else if (typeof item === "bigint") {
      if (item >= BigInt(Number.MIN_SAFE_INTEGER) && item <= BigInt(Number.MAX_SAFE_INTEGER)) numbers.add(Number(item));
      else bigints.add(item);
    } else if (item !== null && item !== undefined) {
      throw evalError(ctx, position, `"in" needs a list of numbers or strings`);
    }
  }
  const test = (x: unknown): boolean => {
    if (typeof x === "number") return numbers.has(x);
    if (typeof x === "string") return strings.has(x);
    if (typeof x === "boolean") return numbers.has(x ? 1 : 0);
    if (typeof x === "bigint")
      return bigints.has(x) || (x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) && numbers.has(Number(x)));
    return false;
  };
  if (l.k === "list") throw evalError(ctx, position, `the left side of "in" must be a value or a column, not a list`);
  if (l.k === "scalar") return { k: "scalar", v: test(l.v) !== negated };
  const n = ctx.length;
  const out = new Uint8Array(n);
  const yes = negated ? 0 : 1;
  const no = 1 - yes;
  if (l.k === "num") {
    const a = l.a;
    for (let i = 0; i < n; i++) out[i] = numbers.has(a[i]!) ? yes : no;
  } else {
    const a = l.a as ArrayLike<unknown>;
    for (let i = 0; i < n; i++) out[i] = test(a[i]) ? yes : no;
  }
  return { k: "num", a: out };
}

function toMask(ctx: EvalContext, v: Value, position: number): Uint8Array | boolean {
  switch (v.k) {
    case "scalar":
      if (v.v === null) return false;
      if (typeof v.v === "string") throw evalError(ctx, position, `a string is not a condition`);
      return typeof v.v === "bigint" ? v.v !== 0n : Boolean(v.v);
    case "num": {
      if (v.a instanceof Uint8Array) {
        let isMask = true;
        for (let i = 0; i < v.a.length; i++) {
          if (v.a[i]! > 1) {
            isMask = false;
            break;
          }
        }
        if (isMask) return v.a;
      }
      const out = new Uint8Array(ctx.length);
      // NaN is truthy, as bool(nan) in numpy/Python.
      for (let i = 0; i < ctx.length; i++) out[i] = v.a[i]! !== 0 ? 1 : 0;
      return out;
    }
    case "big": {
      const out = new Uint8Array(ctx.length);
      for (let i = 0; i < ctx.length; i++) out[i] = v.a[i]! !== 0n ? 1 : 0;
      return out;
    }
    case "str":
      throw evalError(ctx, position, `a string column is not a condition; compare it, e.g. col == 'value'`);
    case "list":
      throw evalError(ctx, position, `a list is not a condition`);
    case "other": {
      const out = new Uint8Array(ctx.length);
      for (let i = 0; i < ctx.length; i++) {
        const x = v.a[i];
        if (typeof x === "string") throw evalError(ctx, position, `a string column is not a condition`);
        out[i] = x ? 1 : 0;
      }
      return out;
    }
  }
}

function logical(ctx: EvalContext, op: "and" | "or", l: Value, r: Value, position: number): Value {
  const a = toMask(ctx, l, position);
  const b = toMask(ctx, r, position);
  if (typeof a === "boolean" && typeof b === "boolean") return { k: "scalar", v: op === "and" ? a && b : a || b };
  const n = ctx.length;
  if (typeof a === "boolean" || typeof b === "boolean") {
    const s = (typeof a === "boolean" ? a : b) as boolean;
    const m = (typeof a === "boolean" ? b : a) as Uint8Array;
    if (op === "and") return { k: "num", a: s ? m : new Uint8Array(n) };
    return { k: "num", a: s ? new Uint8Array(n).fill(1) : m };
  }
  const out = new Uint8Array(n);
  if (op === "and") for (let i = 0; i < n; i++) out[i] = a[i]! & b[i]!;
  else for (let i = 0; i < n; i++) out[i] = a[i]! | b[i]!;
  return { k: "num", a: out };
}

function isIntegral(v: Value): boolean {
  return v.k === "big" || (v.k === "scalar" && (typeof v.v === "bigint" || (typeof v.v === "number" && Number.isInteger(v.v))));
}

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}
function pyMod(a: number, b: number): number {
  const m = a % b;
  return m !== 0 && m < 0 !== b < 0 ? m + b : m;
}

function arithmetic(ctx: EvalContext, op: BinaryOperator, l: Value, r: Value, position: number): Value {
  for (const v of [l, r]) {
    const k = kindOf(v);
    if (k !== "numeric") throw evalError(ctx, position, `${op} needs numbers, got ${describeValue(v)}`);
  }
  const n = ctx.length;
  // Exact 64-bit integer arithmetic when a bigint column meets integers (+ - * // %).
  const bigCapable = op === "+" || op === "-" || op === "*" || op === "//" || op === "%";
  if ((l.k === "big" || r.k === "big") && bigCapable && isIntegral(l) && isIntegral(r)) {
    const get = (v: Value): ((i: number) => bigint) => {
      if (v.k === "big") return (i) => BigInt(v.a[i]!);
      const s = BigInt(v.k === "scalar" ? (v.v as number | bigint) : 0);
      return () => s;
    };
    const ga = get(l);
    const gb = get(r);
    const out = new BigInt64Array(n);
    let zeroDivisor = false;
    for (let i = 0; i < n && !zeroDivisor; i++) {
      const a = ga(i);
      const b = gb(i);
      switch (op) {
        case "+":
          out[i] = a + b;
          break;
        case "-":
          out[i] = a - b;
          break;
        case "*":
          out[i] = a * b;
          break;
        default: {
          if (b === 0n) {
            zeroDivisor = true;
            break;
          }
          let q = a / b;
          if (a % b !== 0n && a < 0n !== b < 0n) q -= 1n;
          out[i] = op === "//" ? q : a - q * b;
        }
      }
    }
    if (!zeroDivisor) return { k: "big", a: out };
  }
  const numGet = (v: Value): ((i: number) => number) => {
    if (v.k === "scalar") {
      const s = Number(numScalar(v.v as number | bigint | boolean));
      return () => s;
    }
    if (v.k === "big") return (i) => Number(v.a[i]!);
    const a = (v as { a: NumArray }).a;
    return (i) => a[i]!;
  };
  const fn: (a: number, b: number) => number =
    op === "+"
      ? (a, b) => a + b
      : op === "-"
        ? (a, b) => a - b
        : op === "*"
          ? (a, b) => a * b
          : op === "/"
            ? (a, b) => a / b
            : op === "//"
              ? floorDiv
              : op === "%"
                ? pyMod
                : (a, b) => a ** b;
  if (l.k === "scalar" && r.k === "scalar") return { k: "scalar", v: fn(numGet(l)(0), numGet(r)(0)) };
  const ga = numGet(l);
  const gb = numGet(r);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = fn(ga(i), gb(i));
  return { k: "num", a: out };
}

function evaluate(ctx: EvalContext, e: Expression): Value {
  switch (e.kind) {
    case "literal":
      return { k: "scalar", v: e.value };
    case "column": {
      const cached = ctx.cache.get(e.name);
      if (cached) return cached;
      const column = ctx.getColumn(e.name);
      if (column === undefined || column === null) {
        throw new FileDbError(
          "FILEDB_UNKNOWN_COLUMN",
          `filedb: expression ${JSON.stringify(ctx.source)} names unknown column ${JSON.stringify(e.name)} at position ${e.position}`,
          { position: e.position, source: ctx.source, column: e.name },
        );
      }
      const v = columnValue(column, e.name, ctx.length, ctx.source, e.position);
      ctx.cache.set(e.name, v);
      return v;
    }
    case "list": {
      const items: Scalar[] = [];
      for (const item of e.items) {
        const v = evaluate(ctx, item);
        if (v.k !== "scalar") throw evalError(ctx, item.position, `list items must be literal values`);
        items.push(v.v);
      }
      return { k: "list", items };
    }
    case "unary": {
      const v = evaluate(ctx, e.operand);
      if (e.op === "not") {
        const m = toMask(ctx, v, e.operand.position);
        if (typeof m === "boolean") return { k: "scalar", v: !m };
        const out = new Uint8Array(ctx.length);
        for (let i = 0; i < ctx.length; i++) out[i] = m[i]! ^ 1;
        return { k: "num", a: out };
      }
      if (kindOf(v) !== "numeric") throw evalError(ctx, e.position, `unary ${e.op} needs a number, got ${describeValue(v)}`);
      if (e.op === "+") return v;
      if (v.k === "scalar") {
        const s = numScalar(v.v as number | bigint | boolean);
        return { k: "scalar", v: -s };
      }
      if (v.k === "big") {
        const out = new BigInt64Array(ctx.length);
        for (let i = 0; i < ctx.length; i++) out[i] = -BigInt(v.a[i]!);
        return { k: "big", a: out };
      }
      const a = (v as { a: NumArray }).a;
      const out = new Float64Array(ctx.length);
      for (let i = 0; i < ctx.length; i++) out[i] = -a[i]!;
      return { k: "num", a: out };
    }
    case "binary": {
      const l = evaluate(ctx, e.left);
      const r = evaluate(ctx, e.right);
      switch (e.op) {
        case "and":
        case "or":
          return logical(ctx, e.op, l, r, e.position);
        case "in":
        case "not in":
          return membership(ctx, e.op === "not in", l, r, e.position);
        case "==":
        case "!=":
        case "<":
        case "<=":
        case ">":
        case ">=":
          return compareValues(ctx, e.op, l, r, e.position);
        default:
          return arithmetic(ctx, e.op, l, r, e.position);
      }
    }
    case "call": {
      const args = e.args.map((a) => evaluate(ctx, a));
      for (const v of args)
        if (kindOf(v) !== "numeric") throw evalError(ctx, e.position, `${e.name}() needs numbers, got ${describeValue(v)}`);
      const getters = args.map((v): ((i: number) => number) => {
        if (v.k === "scalar") {
          const s = Number(numScalar(v.v as number | bigint | boolean));
          return () => s;
        }
        const a = (v as { a: ArrayLike<number | bigint> }).a;
        return (i) => Number(a[i]!);
      });
      const unary = FUNCTIONS[e.name];
      const binary = BINARY_FUNCTIONS[e.name]!;
      const g0 = getters[0]!;
      const g1 = getters[1];
      const apply = unary ? (i: number) => unary(g0(i)) : (i: number) => binary(g0(i), g1!(i));
      if (args.every((v) => v.k === "scalar")) return { k: "scalar", v: apply(0) };
      const out = new Float64Array(ctx.length);
      for (let i = 0; i < ctx.length; i++) out[i] = apply(i);
      return { k: "num", a: out };
    }
  }
}

/**
 * Evaluate a parsed expression column-wise over `length` rows.
 *
 * `getColumn(name)` returns the column for a name, or `undefined` if there is none; each column is
 * fetched once. Numbers compare as in numpy (NaN compares false, `!=` true); `BigInt64Array`
 * columns compare exactly against integer literals of any size; strings compare with strings
 * (UTF-16 order for `<`), and a string never equals a number (`==` false, `!=` true; ordering them
 * is an error). Booleans are 0/1. Missing values (null) compare false (`!=` true). `and`/`or`/`not`
 * use truthiness (non-zero; NaN is true). Arithmetic on `BigInt64Array` with integers stays exact;
 * otherwise it is float64.
 *
 * @returns a mask: `Uint8Array` of `length` entries, 1 where the expression is true.
 * @throws FileDbError `FILEDB_UNKNOWN_COLUMN` (with `column` and `position`) for an unknown name,
 *   `FILEDB_BAD_EXPRESSION` (with `position`) for type errors (ordering strings against numbers,
 *   arithmetic on strings, a string used as a condition, a column of the wrong length).
 */
export function evaluateExpression(
  expr: Expression,
  getColumn: (name: string) => ExpressionColumn | undefined,
  length: number,
): Uint8Array {
  if (!Number.isInteger(length) || length < 0)
    throw new TypeError(`evaluateExpression: length must be a non-negative integer, got ${length}`);
  const ctx: EvalContext = { source: expressionSource(expr) ?? formatExpression(expr), length, getColumn, cache: new Map() };
  const result = evaluate(ctx, expr);
  const mask = toMask(ctx, result, expr.position);
  if (typeof mask === "boolean") return new Uint8Array(length).fill(mask ? 1 : 0);
  // Never hand out a caller's own column as the mask.
  return result.k === "num" && result.a === mask && ctx.cache.size > 0 && [...ctx.cache.values()].some((v) => v.k === "num" && v.a === mask)
    ? mask.slice()
    : mask;
}
