/**
 * A generic 1-D histogram accumulator (fixed bins, underflow/overflow/NaN counts) and a min/max
 * accumulator for an automatic range from a first pass. Platform-neutral, no dependencies: it is
 * shared by every format package's binning (LH5 columns, `load` output, LArPix ADC, gen2
 * phase/baseline) and by the viewer, so it lives once here in the layer every format package
 * already imports.
 *
 * Bins follow numpy's `histogram`: `bins` equal bins over `[low, high]`, each half-open
 * `[edge_i, edge_i+1)` except the last, which includes `high`. Values below `low` count as
 * `underflow`, above `high` as `overflow`, NaN as `nan`; none of them is dropped silently.
 */
import { IoError } from "./errors.js";

/** Values a histogram accepts in one call: numbers, any numeric typed array (64-bit ones converted to `number`). */
export type HistogramValues = ArrayLike<number> | BigInt64Array | BigUint64Array | ArrayLike<bigint>;

/** A finished 1-D histogram (plain data; safe to `structuredClone` or post to a worker). */
export interface Histogram1D {
  /** Lower edge of the first bin. */
  readonly low: number;
  /** Upper edge of the last bin (inclusive). */
  readonly high: number;
  /** Bin edges, `bins + 1` values from `low` to `high`. */
  readonly edges: Float64Array;
  /** Counts (or summed weights) per bin. */
  readonly counts: Float64Array;
  /** Values below `low`. */
  readonly underflow: number;
  /** Values above `high`. */
  readonly overflow: number;
  /** NaN values (never in a bin). */
  readonly nan: number;
  /** Every value seen: bins + underflow + overflow + nan (unweighted count). */
  readonly entries: number;
}

/** Options of {@link HistogramAccumulator}. */
export interface HistogramOptions {
  /** Number of equal bins (integer ≥ 1). */
  bins: number;
  /** Lower edge (finite). */
  low: number;
  /** Upper edge (finite, > `low`). */
  high: number;
}

function checkOptions({ bins, low, high }: HistogramOptions): void {
  if (!Number.isInteger(bins) || bins < 1 || bins > 1 << 24) {
    throw new IoError("IO_BAD_ARGUMENT", `histogram: bins must be an integer from 1 to ${1 << 24}, got ${bins}`);
  }
  if (!Number.isFinite(low) || !Number.isFinite(high) || !(high > low)) {
    throw new IoError("IO_BAD_ARGUMENT", `histogram: the range must be finite with low < high, got [${low}, ${high}]`);
  }
}

/**
 * Fills a fixed-bin histogram batch by batch, in O(bins) memory.
 *
 * ```ts
 * const h = new HistogramAccumulator({ bins: 100, low: 0, high: 4000 });
 * for await (const batch of batches) h.add(batch.energy);
 * const histogram = h.result();
 * ```
 */
export class HistogramAccumulator {
  readonly bins: number;
  readonly low: number;
  readonly high: number;
  private readonly counts: Float64Array;
  private readonly scale: number;
  private underflow = 0;
  private overflow = 0;
  private nan = 0;
  private entries = 0;

  /** @throws IoError `IO_BAD_ARGUMENT` for bins < 1 or a range that is not finite with low < high */
  constructor(options: HistogramOptions) {
    checkOptions(options);
    this.bins = options.bins;
    this.low = options.low;
    this.high = options.high;
    this.counts = new Float64Array(options.bins);
    this.scale = options.bins / (options.high - options.low);
  }

  /** Add one value with an optional weight (default 1). */
  addValue(value: number, weight = 1): void {
    this.entries++;
    if (value >= this.low && value < this.high) {
      // Rounding can put a value just below `high` into bin `bins`: clamp.
      const i = Math.floor((value - this.low) * this.scale);
      this.counts[i < this.bins ? i : this.bins - 1]! += weight;
    } else if (value === this.high) this.counts[this.bins - 1]! += weight;
    else if (value < this.low) this.underflow += weight;
    else if (value > this.high) this.overflow += weight;
    else this.nan += weight;
  }

  /** Add a batch of values (64-bit integers are converted to `number`; above 2^53 they lose precision). */
  add(values: HistogramValues): void {
    const n = values.length;
    if (n === 0) return;
    if (typeof values[0] === "bigint") {
      const big = values as ArrayLike<bigint>;
      for (let i = 0; i < n; i++) this.addValue(Number(big[i]));
      return;
    }
    const v = values as ArrayLike<number>;
    const { low, high, scale, bins, counts } = this;
    let under = 0;
    let over = 0;
    let nan = 0;
    for (let i = 0; i < n; i++) {
      const x = v[i]!;
      if (x >= low && x < high) {
        const b = Math.floor((x - low) * scale);
        counts[b < bins ? b : bins - 1]!++;
      } else if (x === high) counts[bins - 1]!++;
      else if (x < low) under++;
      else if (x > high) over++;
      else nan++;
    }
    this.underflow += under;
    this.overflow += over;
    this.nan += nan;
    this.entries += n;
  }

  /** Add `counts[i]` values of value `first + i` (a histogram of integers at full resolution, rebinned). */
  addIntegerCounts(first: number, counts: ArrayLike<number>): void {
    for (let i = 0; i < counts.length; i++) {
      const c = counts[i]!;
      if (c === 0) continue;
      this.addValue(first + i, c);
      this.entries += c - 1;
    }
  }

  /** The histogram so far (a copy: the accumulator can keep filling). */
  result(): Histogram1D {
    const edges = new Float64Array(this.bins + 1);
    const width = (this.high - this.low) / this.bins;
    for (let i = 0; i <= this.bins; i++) edges[i] = i === this.bins ? this.high : this.low + i * width;
    return {
      low: this.low,
      high: this.high,
      edges,
      counts: this.counts.slice(),
      underflow: this.underflow,
      overflow: this.overflow,
      nan: this.nan,
      entries: this.entries,
    };
  }
}

/**
 * Minimum and maximum of the finite values seen (the first pass of an automatic histogram range).
 */
export class RangeAccumulator {
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** Finite values seen. */
  count = 0;

  add(values: HistogramValues): void {
    const n = values.length;
    if (n === 0) return;
    let { min, max, count } = this;
    if (typeof values[0] === "bigint") {
      const big = values as ArrayLike<bigint>;
      for (let i = 0; i < n; i++) {
        const x = Number(big[i]);
        if (x < min) min = x;
        if (x > max) max = x;
      }
      count += n;
    } else {
      const v = values as ArrayLike<number>;
      for (let i = 0; i < n; i++) {
        const x = v[i]!;
        if (!Number.isFinite(x)) continue;
        if (x < min) min = x;
        if (x > max) max = x;
        count++;
      }
    }
    this.min = min;
    this.max = max;
    this.count = count;
  }

  /**
   * A histogram range covering every value seen: `[min, max]`, widened to `[v − 0.5, v + 0.5]` when
   * all values are equal and to `[0, 1]` when there were none.
   */
  range(): { low: number; high: number } {
    if (this.count === 0) return { low: 0, high: 1 };
    if (this.min === this.max) return { low: this.min - 0.5, high: this.max + 0.5 };
    return { low: this.min, high: this.max };
  }
}

/** Options of {@link histogramOf} and {@link histogramOfBatches}. */
export interface AutoHistogramOptions {
  /** Number of bins (default 100). */
  bins?: number;
  /** Fixed range; without it the range is the data's min..max (a first pass). */
  range?: { low: number; high: number } | readonly [number, number];
  /**
   * Without `range`: the first pass keeps its values while they take at most this many bytes
   * (default {@link HISTOGRAM_KEEP_BYTES}, 256 MiB) and bins them from memory, so the input is read
   * once; a larger input is read a second time (memory is then one batch plus the bins). 0: always
   * two passes. Kept batches are held as given (views of a larger buffer are copied): a producer
   * that refills one array for every batch must pass 0.
   */
  keepBytes?: number;
}

/** Default {@link AutoHistogramOptions.keepBytes}: 256 MiB. */
export const HISTOGRAM_KEEP_BYTES = 256 * 1024 * 1024;

/**
 * The batches of a first (range) pass, kept while they fit a byte budget so that the fill can bin
 * them from memory instead of reading the input again. `batches` is null once the budget is exceeded
 * (everything kept so far is dropped).
 */
export class BatchKeeper {
  #kept: HistogramValues[] | null = [];
  #bytes = 0;
  constructor(readonly budgetBytes: number = HISTOGRAM_KEEP_BYTES) {
    if (!(budgetBytes > 0)) this.#kept = null;
  }

  /** Bytes kept so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The kept batches in order, or null when they did not fit. */
  get batches(): readonly HistogramValues[] | null {
    return this.#kept;
  }

  /** Stop keeping (and let go of what was kept): the input will be read again. */
  drop(): void {
    this.#kept = null;
    this.#bytes = 0;
  }

  /** Keep `values` (a view of a larger buffer is copied, so the larger buffer can be freed). */
  add(values: HistogramValues): void {
    if (this.#kept === null) return;
    const view = ArrayBuffer.isView(values) ? (values as unknown as Uint8Array) : null;
    const size = view ? view.byteLength : values.length * 8;
    if (this.#bytes + size > this.budgetBytes) {
      this.drop();
      return;
    }
    const owned =
      view && (view.byteOffset !== 0 || view.byteLength !== view.buffer.byteLength) ? (view.slice() as unknown as HistogramValues) : values;
    this.#kept.push(owned);
    this.#bytes += size;
  }
}

function rangeOf(range: AutoHistogramOptions["range"]): { low: number; high: number } | undefined {
  if (!range) return undefined;
  return Array.isArray(range) ? { low: range[0]!, high: range[1]! } : (range as { low: number; high: number });
}

/** A histogram of values in memory (range: given, or min..max of the values). */
export function histogramOf(values: HistogramValues, options: AutoHistogramOptions = {}): Histogram1D {
  let range = rangeOf(options.range);
  if (!range) {
    const r = new RangeAccumulator();
    r.add(values);
    range = r.range();
  }
  const h = new HistogramAccumulator({ bins: options.bins ?? 100, ...range });
  h.add(values);
  return h.result();
}

/**
 * A histogram of a stream of batches. With a `range` the stream is read once. Without one, a first
 * pass finds min..max; when its values fit `keepBytes` (256 MiB by default) they are binned from
 * memory and the stream is read once, otherwise it is read again for the fill (`batches` is called
 * once per pass; memory is then one batch plus the bins).
 */
export async function histogramOfBatches(
  batches: () => AsyncIterable<HistogramValues> | Iterable<HistogramValues>,
  options: AutoHistogramOptions = {},
): Promise<Histogram1D> {
  let range = rangeOf(options.range);
  let kept: readonly HistogramValues[] | null = null;
  if (!range) {
    const r = new RangeAccumulator();
    const keeper = new BatchKeeper(options.keepBytes ?? HISTOGRAM_KEEP_BYTES);
    for await (const b of batches()) {
      r.add(b);
      keeper.add(b);
    }
    range = r.range();
    kept = keeper.batches;
  }
  const h = new HistogramAccumulator({ bins: options.bins ?? 100, ...range });
  for await (const b of kept ?? batches()) h.add(b);
  return h.result();
}

/** The part of an Arrow `Vector` a histogram reads (structural, so no Arrow import is needed). */
interface ArrowVectorLike {
  readonly length: number;
  readonly nullCount: number;
  readonly type: { toString(): string; readonly typeId: number };
  toArray(): ArrayLike<unknown>;
  isValid(index: number): boolean;
  getChild?(name: string): ArrowVectorLike | null;
}

/** The part of an Arrow `Table`/`RecordBatch` a histogram reads. */
export interface ArrowBatchLike {
  readonly numRows: number;
  readonly schema: { readonly fields: ReadonlyArray<{ readonly name: string }> };
  getChild(name: string): ArrowVectorLike | null;
}

/** A histogram of an Arrow column. */
export interface ArrowColumnHistogram extends Histogram1D {
  readonly column: string;
  /** Null values (never binned). */
  readonly nulls: number;
}

/**
 * The numeric values of `column` in `batch` (`a/b` names a struct field), nulls removed.
 * @throws IoError `IO_BAD_ARGUMENT` (no such column), `IO_UNSUPPORTED_TYPE` (not numeric)
 */
function arrowColumnValues(batch: ArrowBatchLike, column: string, name: string): { values: HistogramValues; nulls: number } {
  const parts = column.split("/");
  let vector: ArrowVectorLike | null | undefined = batch.getChild(parts[0]!);
  for (const p of parts.slice(1)) vector = vector?.getChild?.(p);
  if (!vector) {
    throw new IoError(
      "IO_BAD_ARGUMENT",
      `histogram: ${name} has no column ${JSON.stringify(column)} (columns: ${batch.schema.fields.map((f) => f.name).join(", ")})`,
      { path: name },
    );
  }
  const raw = vector.toArray();
  const ok =
    ArrayBuffer.isView(raw) || raw.length === 0 || typeof raw[0] === "boolean" || typeof raw[0] === "number" || typeof raw[0] === "bigint";
  if (!ok) {
    throw new IoError(
      "IO_UNSUPPORTED_TYPE",
      `histogram: ${name}: column ${JSON.stringify(column)} is ${String(vector.type)}, not numeric`,
      {
        path: name,
      },
    );
  }
  const numeric = (ArrayBuffer.isView(raw) ? raw : Array.from(raw, (v) => (typeof v === "boolean" ? Number(v) : v))) as HistogramValues;
  if (vector.nullCount === 0) return { values: numeric, nulls: 0 };
  const kept: number[] = [];
  for (let i = 0; i < vector.length; i++) if (vector.isValid(i)) kept.push(Number(numeric[i]));
  return { values: kept, nulls: vector.nullCount };
}

/**
 * A histogram of one numeric column of a stream of Arrow batches or tables (a `load` output read
 * batch by batch, a Parquet file's row groups…). Without `range` the stream is read once when its
 * values fit `keepBytes`, else twice (see {@link histogramOfBatches}). `name` (the file) is used in
 * error messages.
 * @throws IoError `IO_BAD_ARGUMENT` (no such column), `IO_UNSUPPORTED_TYPE` (not numeric)
 */
export async function histogramArrowColumn(
  batches: () => AsyncIterable<ArrowBatchLike> | Iterable<ArrowBatchLike>,
  column: string,
  options: AutoHistogramOptions & { name?: string } = {},
): Promise<ArrowColumnHistogram> {
  const name = options.name ?? "table";
  let nulls = 0;
  let pass = 0;
  const values = async function* () {
    pass++;
    for await (const b of batches()) {
      const v = arrowColumnValues(b, column, name);
      if (pass === 1) nulls += v.nulls;
      yield v.values;
    }
  };
  const h = await histogramOfBatches(values, options);
  return { ...h, column, nulls };
}
