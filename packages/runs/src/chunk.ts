/**
 * Chunks: half-open `[start, end)` ns intervals of one run and data type holding raw numpy rows
 * (spec runs.md §6). Data stays as the packed row bytes strax stores; columns are extracted on
 * demand (see `arrow.ts`).
 */
import type { NsInterval } from "@daqkit/timestamps";
import type { Dtype } from "./dtype.js";
import { RunsError } from "./errors.js";
import type { SubrunsMap } from "./metadata.js";

/** One chunk of stored data. Times are ns since the Unix epoch, `[start, end)`. */
export interface Chunk {
  readonly runId: string;
  readonly dataType: string;
  readonly dataKind: string;
  readonly dtype: Dtype;
  readonly start: bigint;
  readonly end: bigint;
  /** Rows. */
  readonly n: number;
  /** Packed rows, `n × dtype.itemsize` bytes, numpy layout (little-endian as strax writes). */
  readonly data: Uint8Array;
  /** Superrun chunks: subrun id → `[start, end)`, ordered by start; `null` otherwise. */
  readonly subruns: SubrunsMap | null;
}

/** Reads `time` and end time (`endtime`, or `time + length × dt`) of row `i` as bigint. */
export interface RowTimes {
  time(i: number): bigint;
  endtime(i: number): bigint;
}

/** Accessors for the row times of packed data with `dtype`. Throws `RUNS_BAD_DTYPE` without `time`. */
export function rowTimes(dtype: Dtype, data: Uint8Array): RowTimes {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const size = dtype.itemsize;
  const field = (name: string) => dtype.fields.find((f) => f.name === name && f.shape.length === 0);
  const time = field("time");
  if (!time || !/^[<>=]?[iMm]8/.test(time.typestr.replace("|", ""))) {
    const found = time ? `'time' is ${JSON.stringify(time.typestr || time.kind)}` : "there is no scalar 'time' field";
    throw new RunsError("RUNS_BAD_DTYPE", `strax dtype: data must have an int64 'time' field ('<i8'), but ${found}`, { field: "time" });
  }
  const tOff = time.byteOffset;
  const tLe = time.littleEndian;
  const readTime = (i: number) => view.getBigInt64(i * size + tOff, tLe);
  const endtime = field("endtime");
  if (endtime) {
    const eOff = endtime.byteOffset;
    const eLe = endtime.littleEndian;
    return { time: readTime, endtime: (i) => view.getBigInt64(i * size + eOff, eLe) };
  }
  const length = field("length");
  const dt = field("dt");
  if (!length || !dt) {
    throw new RunsError(
      "RUNS_BAD_DTYPE",
      `strax dtype: data needs an 'endtime' field or 'length' and 'dt' fields, but has ${length ? "no 'dt'" : dt ? "no 'length'" : "neither"} (fields: ${dtype.fields.map((f) => f.name).join(", ")})`,
      { field: "endtime" },
    );
  }
  for (const f of [length, dt]) {
    if ((f.kind !== "i" && f.kind !== "u") || f.shape.length > 0) {
      throw new RunsError(
        "RUNS_BAD_DTYPE",
        `strax dtype: '${f.name}' must be an integer field, but is ${JSON.stringify(f.typestr || f.kind)}`,
        { field: f.name },
      );
    }
  }
  const readInt = (f: typeof length) => {
    const off = f.byteOffset;
    const le = f.littleEndian;
    const signed = f.kind === "i";
    switch (f.elementBytes) {
      case 1:
        return (i: number) => BigInt(signed ? view.getInt8(i * size + off) : view.getUint8(i * size + off));
      case 2:
        return (i: number) => BigInt(signed ? view.getInt16(i * size + off, le) : view.getUint16(i * size + off, le));
      case 4:
        return (i: number) => BigInt(signed ? view.getInt32(i * size + off, le) : view.getUint32(i * size + off, le));
      default:
        return (i: number) => (signed ? view.getBigInt64(i * size + off, le) : view.getBigUint64(i * size + off, le));
    }
  };
  const readLength = readInt(length);
  const readDt = readInt(dt);
  return { time: readTime, endtime: (i) => readTime(i) + readLength(i) * readDt(i) };
}

/** How many trailing rows strax checks for "data ends late" (Chunk constructor). */
const END_CHECK_ROWS = 500;

/**
 * Check the chunk laws (spec §6.1): integer `start ≤ end`, `start ≥ 0`, first row not before
 * `start`, no row (of the last 500, like strax) ending after `end`, data length `n × itemsize`,
 * subruns not overlapping. Throws `RUNS_BAD_CHUNK`.
 */
export function validateChunk(chunk: Chunk, where = `chunk of ${chunk.runId}/${chunk.dataType}`): void {
  const fail = (what: string, row?: number): never => {
    throw new RunsError("RUNS_BAD_CHUNK", `strax: ${where} [${chunk.start}, ${chunk.end}): ${what}`, {
      runId: chunk.runId,
      dataType: chunk.dataType,
      ...(row === undefined ? {} : { row }),
    });
  };
  if (chunk.start < 0n) fail("negative start time");
  if (chunk.start > chunk.end) fail("negative length");
  if (chunk.data.byteLength !== chunk.n * chunk.dtype.itemsize) {
    fail(`has ${chunk.data.byteLength} bytes, expected ${chunk.n} rows × ${chunk.dtype.itemsize}`);
  }
  if (chunk.n > 0) {
    const t = rowTimes(chunk.dtype, chunk.data);
    if (t.time(0) < chunk.start) fail(`data starts early (first row at ${t.time(0)})`, 0);
    for (let i = Math.max(0, chunk.n - END_CHECK_ROWS); i < chunk.n; i++) {
      if (t.endtime(i) > chunk.end) fail(`data ends late (row ${i} ends at ${t.endtime(i)})`, i);
    }
  }
  if (chunk.subruns) assertSubrunsDisjoint(chunk.subruns, where);
}

/** Throw `RUNS_SUBRUN_OVERLAP` when the entries of a subruns map overlap. */
export function assertSubrunsDisjoint(subruns: SubrunsMap, where: string): void {
  const sorted = [...subruns].sort((a, b) => (a[1].start < b[1].start ? -1 : a[1].start > b[1].start ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]![1].start < sorted[i - 1]![1].end) {
      throw new RunsError("RUNS_SUBRUN_OVERLAP", `strax: ${where}: subruns are overlapping: ${sorted[i - 1]![0]} and ${sorted[i]![0]}`);
    }
  }
}

/** First row index with `time >= t` (rows sorted by time). */
function lowerBound(times: RowTimes, n: number, t: bigint): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times.time(mid) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A chunk with rows `[from, to)` of `chunk` and the given interval / subruns. */
export function sliceChunk(chunk: Chunk, from: number, to: number, start: bigint, end: bigint, subruns: SubrunsMap | null): Chunk {
  const size = chunk.dtype.itemsize;
  return { ...chunk, start, end, n: to - from, data: chunk.data.subarray(from * size, to * size), subruns };
}

/** Split a subruns map at `t` (spec §6.3): straddling entries are cut, empty entries dropped. */
export function splitSubruns(subruns: SubrunsMap | null, t: bigint): [SubrunsMap | null, SubrunsMap | null] {
  if (subruns === null) return [null, null];
  const left = new Map<string, NsInterval>();
  const right = new Map<string, NsInterval>();
  for (const [id, r] of subruns) {
    if (r.end <= t) left.set(id, r);
    else if (r.start >= t) right.set(id, r);
    else {
      left.set(id, { start: r.start, end: t });
      right.set(id, { start: t, end: r.end });
    }
  }
  const clean = (m: Map<string, NsInterval>) => {
    for (const [id, r] of m) if (r.start === r.end) m.delete(id);
    return m.size === 0 ? null : m;
  };
  return [clean(left), clean(right)];
}

/**
 * Split `chunk` at time `t` into `[start, t)` and `[t, end)` (strax `Chunk.split`). A row that
 * straddles `t` makes the split impossible, unless `allowEarlySplit`, which moves `t` back to that
 * row's start. Returns the two chunks and the `t` actually used. Throws `RUNS_BAD_CHUNK`.
 */
export function splitChunk(chunk: Chunk, t: bigint, options: { readonly allowEarlySplit?: boolean } = {}): [Chunk, Chunk, bigint] {
  const allowEarlySplit = options.allowEarlySplit ?? false;
  if (t < chunk.start) t = chunk.start;
  if (t > chunk.end) t = chunk.end;
  let k = 0;
  if (chunk.n > 0) {
    const times = rowTimes(chunk.dtype, chunk.data);
    k = lowerBound(times, chunk.n, t);
    // Rows before k must end by t; find the earliest that does not.
    for (let i = 0; i < k; i++) {
      if (times.endtime(i) > t) {
        if (!allowEarlySplit) {
          throw new RunsError(
            "RUNS_BAD_CHUNK",
            `strax: cannot split chunk [${chunk.start}, ${chunk.end}) of ${chunk.runId}/${chunk.dataType} at ${t}: row ${i} straddles it`,
            {
              runId: chunk.runId,
              dataType: chunk.dataType,
              row: i,
            },
          );
        }
        t = times.time(i);
        k = i;
        break;
      }
    }
  }
  const [leftMap, rightMap] = splitSubruns(chunk.subruns, t);
  return [sliceChunk(chunk, 0, k, chunk.start, t, leftMap), sliceChunk(chunk, k, chunk.n, t, chunk.end, rightMap), t];
}

/**
 * Keep the rows of `chunk` lying fully inside `range` (`time >= start` and end `<= end`), with the
 * chunk interval clipped to `range` (spec §7.2). `subruns` maps are clipped too.
 */
export function clipChunk(chunk: Chunk, range: NsInterval): Chunk {
  const start = chunk.start > range.start ? chunk.start : range.start;
  let end = chunk.end < range.end ? chunk.end : range.end;
  if (end < start) end = start;
  let from = 0;
  let to = chunk.n;
  if (chunk.n > 0) {
    const times = rowTimes(chunk.dtype, chunk.data);
    from = lowerBound(times, chunk.n, start);
    to = lowerBound(times, chunk.n, end);
    // Drop trailing rows that end after the range (rows are sorted by time, not by end).
    let keepTo = to;
    while (keepTo > from && times.endtime(keepTo - 1) > end) keepTo--;
    to = keepTo;
  }
  let subruns = chunk.subruns;
  if (subruns) {
    subruns = splitSubruns(subruns, start)[1];
    subruns = splitSubruns(subruns, end)[0];
  }
  return sliceChunk(chunk, from, to, start, end, subruns);
}

function mergeSubrunMaps(chunks: readonly Chunk[], where: string): SubrunsMap | null {
  const pieces = new Map<string, NsInterval[]>();
  for (const c of chunks) {
    if (!c.subruns) continue;
    for (const [id, r] of c.subruns) {
      let list = pieces.get(id);
      if (!list) pieces.set(id, (list = []));
      list.push(r);
    }
  }
  if (pieces.size === 0) return null;
  const merged: [string, NsInterval][] = [];
  for (const [id, list] of pieces) {
    list.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    for (let i = 1; i < list.length; i++) {
      // Contiguous pieces are the normal case; gaps come from subruns defined with several
      // time ranges (the entry then spans first start to last end, as in strax 1.x).
      if (list[i]!.start < list[i - 1]!.end) {
        throw new RunsError(
          "RUNS_CHUNK_OVERLAP",
          `strax: ${where}: pieces of subrun ${id} overlap ([${list[i - 1]!.start}, ${list[i - 1]!.end}) and [${list[i]!.start}, ${list[i]!.end}))`,
          { runId: id },
        );
      }
    }
    merged.push([id, { start: list[0]!.start, end: list[list.length - 1]!.end }]);
  }
  merged.sort((a, b) => (a[1].start < b[1].start ? -1 : a[1].start > b[1].start ? 1 : 0));
  const map = new Map(merged);
  assertSubrunsDisjoint(map, where);
  return map;
}

/**
 * Concatenate chunks of one data type in time order (strax `Chunk.concatenate`). Chunks must not
 * overlap (`RUNS_CHUNK_OVERLAP`), must share the run id (superrun pieces of different subruns are
 * expected to carry the superrun id already) and the dtype. Gaps are allowed. Copies the rows.
 */
export function concatenateChunks(chunks: readonly Chunk[]): Chunk {
  if (chunks.length === 0) throw new RunsError("RUNS_BAD_CHUNK", "strax: cannot concatenate an empty list of chunks");
  const first = chunks[0]!;
  if (chunks.length === 1) return first;
  const where = `concatenating ${first.runId}/${first.dataType}`;
  let total = 0;
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i]!;
    if (c.dataType !== first.dataType || c.dtype.itemsize !== first.dtype.itemsize) {
      throw new RunsError("RUNS_BAD_CHUNK", `strax: ${where}: cannot concatenate ${c.dataType} with ${first.dataType}`);
    }
    if (c.runId !== first.runId) {
      throw new RunsError("RUNS_BAD_CHUNK", `strax: ${where}: cannot concatenate chunks of runs ${first.runId} and ${c.runId}`);
    }
    if (i > 0 && c.start < chunks[i - 1]!.end) {
      throw new RunsError(
        "RUNS_CHUNK_OVERLAP",
        `strax: attempt to concatenate overlapping or out-of-order chunks: [${chunks[i - 1]!.start}, ${chunks[i - 1]!.end}) then [${c.start}, ${c.end})`,
        { runId: c.runId, dataType: c.dataType },
      );
    }
    total += c.data.byteLength;
  }
  const data = new Uint8Array(total);
  let offset = 0;
  let n = 0;
  for (const c of chunks) {
    data.set(c.data, offset);
    offset += c.data.byteLength;
    n += c.n;
  }
  return { ...first, start: first.start, end: chunks[chunks.length - 1]!.end, n, data, subruns: mergeSubrunMaps(chunks, where) };
}

/**
 * Stateful continuity check of a chunk stream (spec §6.2). Call `check(chunk)` for each chunk in
 * order; throws `RUNS_NOT_CONTINUOUS` / `RUNS_CHUNK_OVERLAP`.
 */
export function createContinuityChecker(): { check(chunk: Chunk): void } {
  let previous: Chunk | undefined;
  return {
    check(chunk: Chunk) {
      const prev = previous;
      previous = chunk;
      if (!prev || prev.runId !== chunk.runId) return;
      if (chunk.start < prev.end) {
        throw new RunsError(
          "RUNS_CHUNK_OVERLAP",
          `strax: chunks of ${chunk.runId}/${chunk.dataType} overlap or are out of order: [${prev.start}, ${prev.end}) then [${chunk.start}, ${chunk.end})`,
          {
            runId: chunk.runId,
            dataType: chunk.dataType,
          },
        );
      }
      if (chunk.subruns && prev.subruns) {
        const firstNew = [...chunk.subruns][0]!;
        const lastOld = [...prev.subruns].at(-1)!;
        const aligned = chunk.start === firstNew[1].start && prev.end === lastOld[1].end;
        if (aligned && firstNew[0] === lastOld[0] && chunk.start !== prev.end) {
          throw new RunsError(
            "RUNS_NOT_CONTINUOUS",
            `strax: data of subrun ${firstNew[0]} in ${chunk.runId} is not continuous: chunk should have started at ${prev.end}, starts at ${chunk.start}`,
            {
              runId: chunk.runId,
              dataType: chunk.dataType,
            },
          );
        }
        return;
      }
      if (!chunk.subruns && chunk.start !== prev.end) {
        throw new RunsError(
          "RUNS_NOT_CONTINUOUS",
          `strax: data of ${chunk.runId}/${chunk.dataType} is not continuous: chunk should have started at ${prev.end}, starts at ${chunk.start}`,
          {
            runId: chunk.runId,
            dataType: chunk.dataType,
          },
        );
      }
    },
  };
}
