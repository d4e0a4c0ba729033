import {
  Bool,
  Field,
  FixedSizeList,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Utf8,
  type Vector,
  makeData,
  makeVector,
  vectorFromArray,
} from "apache-arrow";
import { arrowTypeOfNumpy } from "@daqkit/io/arrow";
import type { StreamColumns } from "./read-stream.js";

/** The numpy type strings whose columns hold a typed array that Arrow takes as is. */
const NUMERIC_DTYPE = /^(?:\|[iu]1|<[iu][248]|<f[248])$/;

/**
 * Columns of a stream as an Arrow table: `time` (Float64), data keys, `seq_num` (Int64), `uid` (Utf8). N-d keys
 * become one FixedSizeList of the flattened value with field metadata `shape` (JSON) and `dims`; `|b1` → Bool,
 * `<U…` → Utf8, `|O` → Utf8 of JSON text.
 */
export function columnsToArrow(cols: StreamColumns): Table {
  const vectors: Record<string, Vector> = {};
  const fields: Field[] = [];
  const add = (name: string, v: Vector, metadata?: Map<string, string>): void => {
    vectors[name] = v;
    fields.push(new Field(name, v.type, true, metadata));
  };
  add("time", makeVector(cols.time));
  for (const [name, c] of Object.entries(cols.columns)) {
    const metadata = new Map([
      ["shape", JSON.stringify(c.shape.slice(1))],
      ["dims", JSON.stringify(c.dims)],
      ["dtype", c.dtype],
    ]);
    let flat: Vector;
    if (NUMERIC_DTYPE.test(c.dtype) && !Array.isArray(c.data)) {
      flat = makeVector(makeData({ type: arrowTypeOfNumpy(c.dtype), length: c.data.length, data: c.data } as never) as never);
    } else if (c.dtype === "|b1") {
      flat = vectorFromArray(
        Array.from(c.data as ArrayLike<number>, (x) => x !== 0),
        new Bool(),
      );
    } else if (c.dtype.charAt(1) === "U" || c.dtype.charAt(1) === "S") {
      flat = vectorFromArray(c.data as string[], new Utf8());
    } else {
      flat = vectorFromArray(
        Array.from(c.data as ArrayLike<unknown>, (x) => JSON.stringify(x)),
        new Utf8(),
      );
    }
    const width = c.shape.slice(1).reduce((a, b) => a * b, 1);
    if (c.shape.length > 1) {
      const type = new FixedSizeList(width, new Field("item", flat.type, true));
      const data = makeData({ type, length: cols.length, nullCount: 0, child: flat.data[0] as never });
      add(name, makeVector(data as never), metadata);
    } else add(name, flat, metadata);
  }
  add("seq_num", makeVector(BigInt64Array.from(cols.seq_num, (s) => BigInt(s))));
  add("uid", vectorFromArray(cols.uid, new Utf8()));
  const schema = new Schema(fields);
  const struct = makeData({
    type: new Struct(fields),
    length: cols.length,
    nullCount: 0,
    children: fields.map((f) => (vectors[f.name] as Vector).data[0]),
  } as never);
  return new Table([new RecordBatch(schema, struct as never)]);
}
