import { DocModelError } from "./errors.js";
import { NdArray, isTypedArray } from "./ndarray.js";
import { PyBytes, PyComplex } from "./python-values.js";

/*
 * Structural checks of what a reader relies on (not a schema validation: readers do not validate by default, spec
 * §2.9). A document read from a damaged file must give a coded error naming the run, the document type and the
 * field before any code indexes into it, never a TypeError later in read(), canonical() or the filler.
 */

function isMap(v: unknown): v is Record<string, unknown> {
  return (
    v !== null &&
    typeof v === "object" &&
    !Array.isArray(v) &&
    !(v instanceof NdArray) &&
    !isTypedArray(v) &&
    !(v instanceof PyBytes) &&
    !(v instanceof PyComplex)
  );
}

/** Rows of a page column: an array, a typed array or a non-scalar NdArray (first axis); -1 for anything else. */
function columnLength(c: unknown): number {
  if (Array.isArray(c) || isTypedArray(c)) return c.length;
  if (c instanceof NdArray && !c.scalar && c.shape.length > 0) return c.shape[0] as number;
  return -1;
}

function describe(v: unknown): string {
  if (v === null) return "nil";
  if (v === undefined) return "missing";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof NdArray) return v.scalar ? `a numpy ${v.dtype} scalar` : `a numpy ${v.dtype} array`;
  if (isTypedArray(v)) return "a typed array";
  return typeof v === "object" ? "a map" : `a ${typeof v}`;
}

class Checker {
  constructor(
    private readonly run: string,
    private readonly name: string,
  ) {}

  fail(field: string, expected: string, found: unknown): never {
    throw new DocModelError(
      "DOCS_MALFORMED_DOCUMENT",
      `docmodel: run ${this.run}: ${this.name} field ${field}: expected ${expected}, found ${describe(found)}`,
      { documentName: this.name, field, run: this.run },
    );
  }

  string(doc: Record<string, unknown>, field: string): void {
    if (typeof doc[field] !== "string") this.fail(field, "a string", doc[field]);
  }

  number(doc: Record<string, unknown>, field: string): void {
    if (typeof doc[field] !== "number") this.fail(field, "a number", doc[field]);
  }

  map(doc: Record<string, unknown>, field: string, optional = false): Record<string, unknown> | undefined {
    const v = doc[field];
    if (v === undefined && optional) return undefined;
    if (!isMap(v)) this.fail(field, "a map", v);
    return v;
  }

  /** A list of `n` rows (n = -1: any length); returns its length. */
  rows(v: unknown, field: string, n: number): number {
    const len = columnLength(v);
    if (len < 0) this.fail(field, "an array", v);
    if (n >= 0 && len !== n) this.fail(field, `${n} rows`, v);
    return len;
  }

  /** Every entry of a column map is a column of `n` rows. */
  columns(doc: Record<string, unknown>, field: string, n: number, optional = false): void {
    const m = this.map(doc, field, optional);
    if (m) for (const k in m) this.rows(m[k], `${field}.${k}`, n);
  }
}

function checkDataKeys(c: Checker, dataKeys: Record<string, unknown>, prefix: string): void {
  for (const k in dataKeys) {
    const dk = dataKeys[k];
    const field = `${prefix}.${k}`;
    if (!isMap(dk)) c.fail(field, "a DataKey map", dk);
    const shape = dk.shape;
    if (
      shape !== undefined &&
      !(Array.isArray(shape) && shape.every((x) => x === null || (typeof x === "number" && Number.isInteger(x) && x >= 0)))
    ) {
      c.fail(`${field}.shape`, "an array of non-negative integers or nil", shape);
    }
    if (dk.dims !== undefined && !(Array.isArray(dk.dims) && dk.dims.every((x) => typeof x === "string"))) {
      c.fail(`${field}.dims`, "an array of strings", dk.dims);
    }
    if (dk.dtype !== undefined && typeof dk.dtype !== "string") c.fail(`${field}.dtype`, "a string", dk.dtype);
    if (dk.external !== undefined && dk.external !== null && typeof dk.external !== "string")
      c.fail(`${field}.external`, "a string", dk.external);
  }
}

/**
 * Is every element of `values` of JS type `type`? Without copying it first (a coalesced page has up to 262 144 rows): a
 * typed array other than a BigInt one holds numbers only.
 */
function allOfType(values: ArrayLike<unknown>, type: "number" | "string"): boolean {
  if (ArrayBuffer.isView(values) && !(values instanceof DataView))
    return type === "number" && !(values instanceof BigInt64Array || values instanceof BigUint64Array);
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== type) return false;
  return true;
}

/**
 * Check the structure docmodel relies on for one document of run `run` (uid or label).
 * @throws DocModelError `DOCS_MALFORMED_DOCUMENT` with `documentName`, `field` and `run`
 */
export function checkStructure(name: string, doc: unknown, run: string): void {
  const c: Checker = new Checker(run, name);
  if (!isMap(doc)) c.fail("(document)", "a map", doc);
  const d = doc as Record<string, unknown>;
  switch (name) {
    case "start":
      c.string(d, "uid");
      c.number(d, "time");
      break;
    case "descriptor": {
      c.string(d, "uid");
      if (d.name !== undefined && typeof d.name !== "string") c.fail("name", "a string", d.name);
      checkDataKeys(c, c.map(d, "data_keys") as Record<string, unknown>, "data_keys");
      const conf = c.map(d, "configuration", true);
      if (conf) {
        for (const obj in conf) {
          const o = conf[obj];
          if (!isMap(o)) c.fail(`configuration.${obj}`, "a map", o);
          for (const part of ["data", "timestamps"])
            if (o[part] !== undefined && !isMap(o[part])) c.fail(`configuration.${obj}.${part}`, "a map", o[part]);
          if (o.data_keys !== undefined) {
            if (!isMap(o.data_keys)) c.fail(`configuration.${obj}.data_keys`, "a map", o.data_keys);
            checkDataKeys(c, o.data_keys, `configuration.${obj}.data_keys`);
          }
        }
      }
      break;
    }
    case "event":
      c.string(d, "uid");
      c.number(d, "time");
      c.number(d, "seq_num");
      c.string(d, "descriptor");
      c.map(d, "data");
      c.map(d, "timestamps");
      c.map(d, "filled", true);
      break;
    case "event_page": {
      c.string(d, "descriptor");
      const n = c.rows(d.seq_num, "seq_num", -1);
      c.rows(d.uid, "uid", n);
      c.rows(d.time, "time", n);
      if (!allOfType(d.seq_num as ArrayLike<unknown>, "number")) c.fail("seq_num", "numbers", d.seq_num);
      if (!allOfType(d.time as ArrayLike<unknown>, "number")) c.fail("time", "numbers", d.time);
      if (!allOfType(d.uid as ArrayLike<unknown>, "string")) c.fail("uid", "strings", d.uid);
      c.columns(d, "data", n);
      c.columns(d, "timestamps", n);
      c.columns(d, "filled", n, true);
      break;
    }
    case "resource":
      c.string(d, "uid");
      c.string(d, "spec");
      c.string(d, "root");
      c.string(d, "resource_path");
      c.map(d, "resource_kwargs");
      break;
    case "datum":
      c.string(d, "datum_id");
      c.string(d, "resource");
      c.map(d, "datum_kwargs");
      break;
    case "datum_page": {
      c.string(d, "resource");
      const n = c.rows(d.datum_id, "datum_id", -1);
      if (!allOfType(d.datum_id as ArrayLike<unknown>, "string")) c.fail("datum_id", "strings", d.datum_id);
      c.columns(d, "datum_kwargs", n);
      break;
    }
    case "stop":
      c.string(d, "uid");
      if (d.num_events !== undefined && !isMap(d.num_events)) c.fail("num_events", "a map", d.num_events);
      break;
    default:
      break;
  }
}
