/**
 * Data for pictures (platform-neutral), shared by the viewer and `daqkit plot`: one image of a
 * stream's image field (an N-d data key) as a 2-D array.
 */
import { DocModelError } from "./errors.js";
import type { BlueskyRun } from "./run.js";

/** One frame of an image field: `values[row * width + column]`, row-major as stored. */
export interface ImageFrame {
  readonly stream: string;
  readonly field: string;
  /** Event index (0-based, in stream order). */
  readonly event: number;
  /** Events in the stream. */
  readonly events: number;
  readonly width: number;
  readonly height: number;
  /** Dimension names from the DataKey (`["y", "x"]`), when given. */
  readonly dims: readonly string[];
  /** numpy dtype of the stored values (`<u2`). */
  readonly dtype: string;
  readonly values: Float64Array;
  readonly min: number;
  readonly max: number;
}

/**
 * Frame `event` of `field` in `stream` as a 2-D array. The field's per-event shape must have two
 * dimensions longer than 1 (`[h, w]`, `[1, h, w]`…); external values are filled through the run's
 * handlers as `stream.read()` does.
 * @throws DocModelError `DOCS_STREAM_NOT_FOUND`, `DOCS_BAD_ARGUMENT` (no such field or event),
 *   `DOCS_SHAPE_MISMATCH` (not an image)
 */
export function readImageFrame(run: BlueskyRun, stream: string, field: string, event = 0): ImageFrame {
  const s = run.stream(stream);
  const keys = Object.keys(s.descriptors[0]?.data_keys ?? {});
  if (!keys.includes(field)) {
    throw new DocModelError(
      "DOCS_BAD_ARGUMENT",
      `docmodel: stream ${JSON.stringify(stream)} has no field ${JSON.stringify(field)} (fields: ${keys.join(", ")})`,
      { field, run: run.metadata.start.uid },
    );
  }
  const columns = s.read({ include: [field] });
  const events = columns.length;
  if (!Number.isInteger(event) || event < 0 || event >= events) {
    throw new DocModelError(
      "DOCS_BAD_ARGUMENT",
      `docmodel: event ${event} of stream ${JSON.stringify(stream)}: expected an index from 0 to ${events - 1}`,
      { field, run: run.metadata.start.uid },
    );
  }
  const column = columns.columns[field]!;
  const frameShape = column.shape.slice(1);
  const big = frameShape.filter((d) => d > 1);
  const isNumeric = ArrayBuffer.isView(column.data);
  if (!isNumeric || big.length !== 2 || frameShape.some((d) => d < 1)) {
    throw new DocModelError(
      "DOCS_SHAPE_MISMATCH",
      `docmodel: field ${JSON.stringify(field)} of stream ${JSON.stringify(stream)} is not an image: expected a numeric value of 2 dimensions per event, found ${isNumeric ? `shape [${frameShape.join(", ")}]` : `dtype ${column.dtype}`}`,
      { field, run: run.metadata.start.uid },
    );
  }
  const [height, width] = big as [number, number];
  const size = width * height;
  const data = column.data as ArrayLike<number | bigint>;
  const values = new Float64Array(size);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < size; i++) {
    const v = Number(data[event * size + i]);
    values[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const named = column.dims.slice(1).filter((_, i) => frameShape[i]! > 1);
  return { stream, field, event, events, width, height, dims: named, dtype: column.dtype, values, min, max };
}
