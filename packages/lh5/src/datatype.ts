import { Lh5Error } from "./errors.js";

/** Element type of a scalar / array `datatype` (spec §2.1). `enum` keeps its name → value mapping. */
export type ElementType =
  | { readonly kind: "real" }
  | { readonly kind: "bool" }
  | { readonly kind: "complex" }
  | { readonly kind: "string" }
  | { readonly kind: "blob" }
  | { readonly kind: "symbol" }
  | { readonly kind: "detectorid" }
  | { readonly kind: "enum"; readonly members: Readonly<Record<string, number>> };

/** LGDO type names (lgdo's class names). */
export type LgdoTypeName =
  | "Scalar"
  | "Array"
  | "FixedSizeArray"
  | "ArrayOfEqualSizedArrays"
  | "VectorOfVectors"
  | "VectorOfEncodedVectors"
  | "ArrayOfEncodedEqualSizedArrays"
  | "Struct"
  | "Table"
  | "WaveformTable"
  | "Histogram";

/** A parsed `datatype` attribute. */
export type Datatype =
  | { readonly type: "Scalar"; readonly element: ElementType }
  | { readonly type: "Array" | "FixedSizeArray"; readonly ndim: number; readonly element: ElementType }
  | { readonly type: "ArrayOfEqualSizedArrays"; readonly ndim: number; readonly element: ElementType }
  | { readonly type: "VectorOfVectors"; readonly inner: Datatype }
  | { readonly type: "VectorOfEncodedVectors" | "ArrayOfEncodedEqualSizedArrays"; readonly element: ElementType }
  | { readonly type: "Struct" | "Table" | "WaveformTable" | "Histogram"; readonly fields: readonly string[] };

function parseElement(text: string, datatype: string): ElementType {
  switch (text) {
    case "real":
    case "bool":
    case "complex":
    case "string":
    case "blob":
    case "symbol":
    case "detectorid":
      return { kind: text };
  }
  const m = /^enum\{(.*)\}$/.exec(text);
  if (m) {
    const members: Record<string, number> = {};
    for (const part of (m[1] ?? "").split(",")) {
      const kv = /^([^=]+)=(-?\d+)$/.exec(part);
      if (!kv) throw badDatatype(datatype);
      members[kv[1] as string] = Number(kv[2]);
    }
    return { kind: "enum", members };
  }
  throw badDatatype(datatype);
}

function badDatatype(datatype: string): Lh5Error {
  return new Lh5Error(
    "LH5_BAD_DATATYPE",
    `lh5: unknown datatype ${JSON.stringify(datatype)}: expected e.g. "real", "array<1>{real}", "array<1>{array<1>{real}}", "table{a,b}"`,
  );
}

function splitFields(inner: string): string[] {
  return inner === "" ? [] : inner.split(",");
}

/** The text between the first `{` and the last `}` (lgdo's `\{(.*)\}$`). */
function braced(text: string): string {
  return text.slice(text.indexOf("{") + 1, text.lastIndexOf("}"));
}

/**
 * Parse an LH5 `datatype` attribute with lgdo's precedence (spec §2.2): scalar, VoV, encoded VoV,
 * encoded AoESA, histogram, struct, table (WaveformTable when the fields are exactly t0, dt, values),
 * fixedsize_array, AoESA, array. Leading/trailing whitespace is ignored.
 *
 * Extensions over lgdo (documented in the README): `symbol`, `blob`, `detectorid` and `enum{…}` element
 * types are accepted.
 *
 * @throws Lh5Error `LH5_BAD_DATATYPE` when the string matches none of the rules.
 */
export function parseDatatype(datatype: string): Datatype {
  const s = datatype.trim();
  if (/^(real|bool|complex|string|symbol|blob|enum\{.*\})$/.test(s)) {
    return { type: "Scalar", element: parseElement(s, datatype) };
  }
  if (/^array<1>\{array<1>\{.+\}\}$/.test(s)) {
    return { type: "VectorOfVectors", inner: parseDatatype(braced(s)) };
  }
  if (/^array<1>\{encoded_array<1>\{.+\}\}$/.test(s)) {
    return { type: "VectorOfEncodedVectors", element: parseElement(braced(braced(s)), datatype) };
  }
  if (/^array_of_encoded_equalsized_arrays<1,1>\{.+\}$/.test(s)) {
    return { type: "ArrayOfEncodedEqualSizedArrays", element: parseElement(braced(s), datatype) };
  }
  let m = /^struct\{(.*)\}$/.exec(s);
  if (m) {
    const fields = splitFields(m[1] ?? "");
    const histogram = fields.length === 3 && ["binning", "isdensity", "weights"].every((f) => fields.includes(f));
    return { type: histogram ? "Histogram" : "Struct", fields };
  }
  m = /^table\{(.*)\}$/.exec(s);
  if (m) {
    const fields = splitFields(m[1] ?? "");
    const waveform = fields.length === 3 && ["t0", "dt", "values"].every((f) => fields.includes(f));
    return { type: waveform ? "WaveformTable" : "Table", fields };
  }
  m = /^fixedsize_array<(\d+)>\{(.+)\}$/.exec(s);
  if (m) return { type: "FixedSizeArray", ndim: Number(m[1]), element: parseElement(m[2] ?? "", datatype) };
  m = /^array_of_equalsized_arrays<(\d+),(\d+)>\{(.+)\}$/.exec(s);
  if (m) {
    return { type: "ArrayOfEqualSizedArrays", ndim: Number(m[1]) + Number(m[2]), element: parseElement(m[3] ?? "", datatype) };
  }
  m = /^array<(\d+)>\{(.+)\}$/.exec(s);
  if (m) return { type: "Array", ndim: Number(m[1]), element: parseElement(m[2] ?? "", datatype) };
  throw badDatatype(datatype);
}

/** Format an element type back to its `datatype` spelling. */
export function formatElement(element: ElementType): string {
  if (element.kind === "enum") {
    return `enum{${Object.entries(element.members)
      .map(([k, v]) => `${k}=${v}`)
      .join(",")}}`;
  }
  return element.kind;
}
