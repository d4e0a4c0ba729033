import { type ElementType, formatElement } from "./datatype.js";
import { Lh5Error } from "./errors.js";
import type { ArrayOfEqualSizedArrays, Attrs, ElementData, Lgdo, LgdoArray, Scalar, Struct, Table, VectorOfVectors } from "./types.js";
import { lgdoRows } from "./types.js";

/** Options shared by the builders: extra attributes (`units`, `description`, …). */
export interface BuildOptions {
  readonly attrs?: Attrs;
  /** Shortcut for `attrs.units`. */
  readonly units?: string;
}

function attrsOf(options: BuildOptions | undefined): Attrs {
  const a: Record<string, unknown> = { ...(options?.attrs ?? {}) };
  if (options?.units !== undefined) a.units = options.units;
  return a as Attrs;
}

function elementOf(data: ElementData, bool: boolean | undefined): ElementType {
  if (Array.isArray(data)) return { kind: "string" };
  return bool ? { kind: "bool" } : { kind: "real" };
}

/**
 * A 1-D (or N-D with `shape`) Array. `string[]` data gives `array<1>{string}`; `bool: true` marks a
 * Uint8Array of 0/1 as `array<N>{bool}`.
 * @throws Lh5Error `LH5_BAD_LGDO` when `shape` does not match the data length.
 */
export function createArray(data: ElementData, options: BuildOptions & { shape?: readonly number[]; bool?: boolean } = {}): LgdoArray {
  const shape = options.shape ?? [data.length];
  checkShape(data, shape);
  const element = elementOf(data, options.bool);
  return { type: "Array", datatype: `array<${shape.length}>{${formatElement(element)}}`, attrs: attrsOf(options), element, data, shape };
}

/** Fixed-width vectors: `data` is row-major `rows × width`. @throws Lh5Error `LH5_BAD_LGDO`. */
export function createArrayOfEqualSizedArrays(
  data: ElementData,
  width: number,
  options: BuildOptions & { bool?: boolean } = {},
): ArrayOfEqualSizedArrays {
  if (!Number.isInteger(width) || width <= 0 || data.length % width !== 0) {
    throw new Lh5Error("LH5_BAD_LGDO", `lh5: AoESA width ${width} does not divide the data length ${data.length}`);
  }
  const element = elementOf(data, options.bool);
  return {
    type: "ArrayOfEqualSizedArrays",
    datatype: `array_of_equalsized_arrays<1,1>{${formatElement(element)}}`,
    attrs: attrsOf(options),
    element,
    data,
    shape: [data.length / width, width],
  };
}

/**
 * A VectorOfVectors from exclusive end offsets and flattened values (an Array, a VoV for nesting, or raw
 * element data which is wrapped in a 1-D Array).
 * @throws Lh5Error `LH5_BAD_LGDO` when offsets decrease or exceed the flattened length.
 */
export function createVectorOfVectors(
  cumulativeLength: ArrayLike<number>,
  flattened: LgdoArray | VectorOfVectors | ElementData,
  options: BuildOptions & { bool?: boolean } = {},
): VectorOfVectors {
  const flat: LgdoArray | VectorOfVectors =
    ArrayBuffer.isView(flattened) || Array.isArray(flattened)
      ? createArray(flattened as ElementData, { bool: options.bool ?? false })
      : (flattened as LgdoArray | VectorOfVectors);
  const cl = Float64Array.from(cumulativeLength);
  const n = lgdoRows(flat) ?? 0;
  let prev = 0;
  for (let i = 0; i < cl.length; i++) {
    const v = cl[i] as number;
    if (!Number.isInteger(v) || v < prev || v > n) {
      throw new Lh5Error(
        "LH5_BAD_LGDO",
        `lh5: VoV cumulative_length[${i}] = ${v} must be a non-decreasing integer ≤ ${n} (previous ${prev})`,
        { row: i },
      );
    }
    prev = v;
  }
  return {
    type: "VectorOfVectors",
    datatype: `array<1>{${flat.datatype}}`,
    attrs: attrsOf(options),
    cumulativeLength: cl,
    flattened: flat,
  };
}

/** A VoV from plain rows of numbers (convenience for small data; builds a Float64Array). */
export function vectorOfVectorsFromRows(rows: readonly (readonly number[])[], options: BuildOptions = {}): VectorOfVectors {
  const cl = new Float64Array(rows.length);
  let total = 0;
  rows.forEach((r, i) => {
    total += r.length;
    cl[i] = total;
  });
  const flat = new Float64Array(total);
  let o = 0;
  for (const r of rows) {
    flat.set(r, o);
    o += r.length;
  }
  return createVectorOfVectors(cl, flat, options);
}

/** A Scalar: number/bigint → `real`, boolean → `bool`, string → `string`. */
export function createScalar(value: number | bigint | boolean | string, options: BuildOptions = {}): Scalar {
  const element: ElementType =
    typeof value === "boolean" ? { kind: "bool" } : typeof value === "string" ? { kind: "string" } : { kind: "real" };
  return { type: "Scalar", datatype: element.kind, attrs: attrsOf(options), element, value };
}

/** A Struct from fields in insertion order. */
export function createStruct(fields: ReadonlyMap<string, Lgdo> | Readonly<Record<string, Lgdo>>, options: BuildOptions = {}): Struct {
  const map = fields instanceof Map ? new Map(fields) : new Map(Object.entries(fields));
  return { type: "Struct", datatype: `struct{${[...map.keys()].join(",")}}`, attrs: attrsOf(options), fields: map };
}

/**
 * A Table from columns in insertion order (raw typed arrays / string[] become 1-D Arrays).
 * @throws Lh5Error `LH5_LENGTH_MISMATCH` when columns have different row counts.
 */
export function createTable(
  columns: ReadonlyMap<string, Lgdo | ElementData> | Readonly<Record<string, Lgdo | ElementData>>,
  options: BuildOptions = {},
): Table {
  const entries = columns instanceof Map ? [...columns.entries()] : Object.entries(columns);
  const map = new Map<string, Lgdo>();
  let nRows: number | undefined;
  for (const [name, c] of entries as [string, Lgdo | ElementData][]) {
    const col: Lgdo = ArrayBuffer.isView(c) || Array.isArray(c) ? createArray(c as ElementData) : (c as Lgdo);
    const n = lgdoRows(col);
    if (n === undefined) throw new Lh5Error("LH5_BAD_LGDO", `lh5: table column '${name}' is a ${col.type}, which has no rows`);
    if (nRows === undefined) nRows = n;
    else if (n !== nRows) {
      throw new Lh5Error("LH5_LENGTH_MISMATCH", `lh5: table column '${name}' has ${n} rows, expected ${nRows} like the first column`);
    }
    map.set(name, col);
  }
  const names = [...map.keys()];
  const waveform = names.length === 3 && ["t0", "dt", "values"].every((x) => names.includes(x));
  return {
    type: waveform ? "WaveformTable" : "Table",
    datatype: `table{${names.join(",")}}`,
    attrs: attrsOf(options),
    columns: map,
    nRows: nRows ?? 0,
  };
}

export function checkShape(data: ElementData, shape: readonly number[]): void {
  const n = shape.reduce((p, v) => p * v, 1);
  if (n !== data.length) {
    throw new Lh5Error("LH5_BAD_LGDO", `lh5: array shape [${shape.join(", ")}] needs ${n} values, data has ${data.length}`);
  }
}
