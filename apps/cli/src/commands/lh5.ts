import { type Lgdo, type Lh5ObjectInfo, type Table, lgdoRows, lgdoToArrow, openLh5 } from "@daqkit/lh5/node";
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { CliUsageError } from "../errors.js";
import { TABLE_OUT_HELP, tableFormatOf, writeTableFile } from "../table-output.js";

/** `a:b` (half-open), `a:`, `:b`, or a comma list `1,5,7` → an lh5 row selection. */
function parseRows(
  text: string | undefined,
  fallback?: { start: number; stop: number },
): { start?: number; stop?: number } | number[] | undefined {
  if (text === undefined) return fallback;
  const range = /^(\d*):(\d*)$/.exec(text);
  if (range) {
    if (range[1] && range[2] && Number(range[1]) > Number(range[2])) {
      throw new CliUsageError(`--rows ${text}: START ${range[1]} is after STOP ${range[2]} (rows are [START, STOP), START ≤ STOP)`);
    }
    return {
      ...(range[1] ? { start: Number(range[1]) } : {}),
      ...(range[2] ? { stop: Number(range[2]) } : {}),
    };
  }
  if (/^\d+(,\d+)*$/.test(text)) return text.split(",").map(Number);
  throw new CliUsageError(`--rows must be START:STOP (half-open, either end optional) or a list like 1,5,7; got ${JSON.stringify(text)}`);
}

function parseColumns(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const cols = text
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
  if (cols.length === 0) throw new CliUsageError("--columns needs at least one column name");
  return cols;
}

function parsePositive(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) === 0) throw new CliUsageError(`${what} must be a positive integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

function shapeText(info: Lh5ObjectInfo): string {
  if (!info.shape) return "";
  const cur = `(${info.shape.join(", ")}${info.shape.length === 1 ? "," : ""})`;
  const max = info.maxshape
    ? `(${info.maxshape.map((m) => (m === null ? "∞" : String(m))).join(", ")}${info.maxshape.length === 1 ? "," : ""})`
    : "";
  return max && max !== cur ? `${cur}/${max}` : cur;
}

/** One tree line per object, in the style of the spec's worked example. */
function treeLines(objects: readonly Lh5ObjectInfo[], rootLabel: string): string[] {
  const rows = objects.map((o) => {
    const name = `${"  ".repeat(o.depth)}${o.name}${o.kind === "group" ? "/" : ""}`;
    const parts: string[] = [o.kind === "group" ? "G" : "D", o.datatype ?? "(no datatype)"];
    if (o.dtype) parts.push(o.dtype);
    const shape = shapeText(o);
    if (shape) parts.push(shape);
    else if (o.nRows !== undefined) parts.push(`${o.nRows} rows`);
    if (o.units !== undefined) parts.push(`units=${JSON.stringify(o.units)}`);
    for (const [k, v] of Object.entries(o.attrs)) {
      if (k === "units" || k === "description") continue;
      const text = typeof v === "string" ? `"${v.replace(/\n/g, "\\n")}"` : Array.isArray(v) ? `[${v.join(", ")}]` : String(v);
      parts.push(`${k}=${text.length > 60 ? `${text.slice(0, 59)}…` : text}`);
    }
    if (o.chunks) parts.push(`chunks (${o.chunks.join(", ")}${o.chunks.length === 1 ? "," : ""})`);
    if (o.filters && o.filters.length > 0) {
      // gzip and zstd show their level like the spec's tables: shuffle+gzip(4)
      parts.push(
        o.filters.map((f) => ((f.id === 1 || f.id === 32015) && f.cdValues.length > 0 ? `${f.name}(${f.cdValues[0]})` : f.name)).join("+"),
      );
    }
    return { name, rest: parts.join("  ") };
  });
  const width = Math.max(0, ...rows.map((r) => r.name.length)) + 2;
  return [rootLabel, ...rows.map((r) => r.name.padEnd(width) + r.rest)];
}

const CELL_ITEMS = 6;
const CELL_WIDTH = 60;

function valueText(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)));
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

function listText(values: ArrayLike<unknown>, start: number, end: number, bool = false): string {
  const n = end - start;
  const shown: string[] = [];
  for (let i = start; i < Math.min(end, start + CELL_ITEMS); i++) shown.push(bool ? String(Boolean(values[i])) : valueText(values[i]));
  return `[${shown.join(", ")}${n > CELL_ITEMS ? `, … (${n})` : ""}]`;
}

/** A function giving the text of row i of a row-bearing LGDO. */
function cellFormatter(obj: Lgdo): (row: number) => string {
  switch (obj.type) {
    case "Array":
    case "FixedSizeArray":
    case "ArrayOfEqualSizedArrays": {
      const width = obj.shape.slice(1).reduce((a, b) => a * b, 1);
      const data = obj.data as ArrayLike<unknown>;
      const bool = obj.element.kind === "bool";
      if (obj.shape.length <= 1) return (r) => (bool ? String(Boolean(data[r])) : valueText(data[r]));
      return (r) => listText(data, r * width, (r + 1) * width, bool);
    }
    case "VectorOfVectors": {
      const cl = obj.cumulativeLength;
      const inner = cellFormatter(obj.flattened);
      const flat = obj.flattened;
      return (r) => {
        const s = r > 0 ? (cl[r - 1] as number) : 0;
        const e = cl[r] as number;
        if (flat.type === "Array" && flat.shape.length <= 1)
          return listText(flat.data as ArrayLike<unknown>, s, e, flat.element.kind === "bool");
        const parts: string[] = [];
        for (let i = s; i < Math.min(e, s + CELL_ITEMS); i++) parts.push(inner(i));
        return `[${parts.join(", ")}${e - s > CELL_ITEMS ? `, … (${e - s})` : ""}]`;
      };
    }
    case "ArrayOfEncodedEqualSizedArrays":
    case "VectorOfEncodedVectors": {
      const cl = obj.encodedData.cumulativeLength;
      return (r) => `<${obj.codec}: ${(cl[r] as number) - (r > 0 ? (cl[r - 1] as number) : 0)} bytes>`;
    }
    default:
      return () => "";
  }
}

function flattenTable(table: Table, prefix: string, out: [string, Lgdo][]): void {
  for (const [name, col] of table.columns) {
    const full = prefix ? `${prefix}/${name}` : name;
    if (col.type === "Table" || col.type === "WaveformTable") flattenTable(col, full, out);
    else out.push([full, col]);
  }
}

function clip(s: string): string {
  return s.length > CELL_WIDTH ? `${s.slice(0, CELL_WIDTH - 1)}…` : s;
}

/** A readable text table (one line per row; nested columns as `parent/child`). */
function tableText(table: Table, firstRow: number | undefined, rowIds: readonly number[] | undefined): string {
  const cols: [string, Lgdo][] = [];
  flattenTable(table, "", cols);
  const header = ["row", ...cols.map(([n, c]) => (typeof c.attrs.units === "string" ? `${n} [${c.attrs.units}]` : n))];
  const fmts = cols.map(([, c]) => cellFormatter(c));
  const lines: string[][] = [header];
  for (let r = 0; r < table.nRows; r++) {
    const id = rowIds ? rowIds[r] : (firstRow ?? 0) + r;
    lines.push([String(id), ...fmts.map((f) => clip(f(r)))]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => (l[i] as string).length)));
  return lines
    .map((l) =>
      l
        .map((cell, i) => (i === 0 ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** JSON-friendly plain data of an LGDO (VoV → nested arrays; tables → column objects). */
function plain(obj: Lgdo): unknown {
  switch (obj.type) {
    case "Scalar":
      return obj.value;
    case "Array":
    case "FixedSizeArray":
    case "ArrayOfEqualSizedArrays": {
      if (obj.shape.length <= 1) return obj.element.kind === "bool" ? Array.from(obj.data as Uint8Array, Boolean) : obj.data;
      const width = obj.shape.slice(1).reduce((a, b) => a * b, 1);
      const rows: unknown[] = [];
      const data = obj.data as ArrayLike<unknown> & { slice(a: number, b: number): unknown };
      for (let r = 0; r < (obj.shape[0] ?? 0); r++) rows.push(data.slice(r * width, (r + 1) * width));
      return rows;
    }
    case "VectorOfVectors": {
      const inner = plain(obj.flattened) as ArrayLike<unknown> & { slice(a: number, b: number): unknown };
      const rows: unknown[] = [];
      let s = 0;
      for (const e of obj.cumulativeLength) {
        rows.push(inner.slice(s, e));
        s = e;
      }
      return rows;
    }
    case "ArrayOfEncodedEqualSizedArrays":
    case "VectorOfEncodedVectors":
      return { encoded: true, codec: obj.codec, bytes: plain(obj.encodedData) };
    case "Struct":
      return Object.fromEntries([...obj.fields].map(([k, v]) => [k, plain(v)]));
    case "Table":
    case "WaveformTable":
      return Object.fromEntries([...obj.columns].map(([k, v]) => [k, plain(v)]));
    case "Histogram":
      return { isDensity: obj.isDensity, axes: obj.axes, weights: plain(obj.weights) };
  }
}

function objectText(
  obj: Lgdo,
  path: string,
  firstRow: number | undefined,
  rowIds: readonly number[] | undefined,
  total: number | undefined,
): string {
  const head = `${path}: ${obj.type} ${obj.datatype}${total !== undefined ? `, ${total} rows` : ""}`;
  switch (obj.type) {
    case "Scalar":
      return `${head}\n${typeof obj.value === "string" ? obj.value : valueText(obj.value)}`;
    case "Table":
    case "WaveformTable":
      return `${head}\n${tableText(obj, firstRow, rowIds)}`;
    case "Struct":
    case "Histogram": {
      const fields = obj.type === "Struct" ? obj.fields : obj.struct.fields;
      const lines = [...fields].map(([k, v]) => {
        const n = lgdoRows(v);
        const summary = v.type === "Scalar" ? valueText(v.value) : `${v.type} ${v.datatype}${n !== undefined ? ` (${n} rows)` : ""}`;
        return `  ${k}: ${summary}`;
      });
      return [head, ...lines].join("\n");
    }
    default: {
      const n = lgdoRows(obj) ?? 0;
      const fmt = cellFormatter(obj);
      const lines: string[] = [];
      for (let r = 0; r < n; r++) lines.push(`${String(rowIds ? rowIds[r] : (firstRow ?? 0) + r).padStart(6)}  ${fmt(r)}`);
      return [head, ...lines].join("\n");
    }
  }
}

/** `daqkit lh5 …`: LEGEND LH5 (HDF5) files. */
export function registerLh5Commands(program: Command, getContext: () => CliContext): void {
  const lh5 = program.command("lh5").description("LEGEND LH5 data files (HDF5 with LGDO datatype attributes)");

  lh5
    .command("ls")
    .description("tree of the objects in FILE (or below PATH) with LGDO types, dtypes, shapes, units, chunks and filters")
    .argument("<file>", "LH5 file")
    .argument("[path]", "object path inside the file (default: the root)")
    .option("--depth <n>", "show at most N levels")
    .action(async (file: string, path: string | undefined, opts: { depth?: string }) => {
      const ctx = getContext();
      const depth = opts.depth === undefined ? undefined : parsePositive(opts.depth, "--depth");
      const f = await openLh5(file);
      try {
        const root = path ?? "";
        if (root !== "") f.describe(root); // LH5_OBJECT_NOT_FOUND for a bad path
        const objects = f.listObjects(root).filter((o) => depth === undefined || o.depth <= depth);
        const rootInfo = root === "" ? undefined : f.describe(root);
        const label =
          root === ""
            ? `/${f.datatypeOf("") ? `  G  ${f.datatypeOf("")}` : "  G  (no datatype)"}`
            : `/${rootInfo?.path}${rootInfo?.kind === "group" ? "/" : ""}  ${rootInfo?.datatype ?? "(no datatype)"}`;
        ctx.print({ file, path: root, objects }, () => treeLines(objects, label).join("\n"));
      } finally {
        f.close();
      }
    });

  lh5
    .command("show")
    .description("print an object as a readable table (rows default 0:20)")
    .argument("<file>", "LH5 file")
    .argument("<path>", "object path, e.g. ch1084803/raw")
    .option("--rows <a:b>", "rows [a, b) (either end optional) or a list like 1,5,7")
    .option("--columns <names>", "comma-separated columns; nested as parent/child (e.g. daqenergy,waveform/values)")
    .option("--decode", "decode compressed waveforms (radware_sigcompress, uleb128_zigzag_diff)")
    .action(async (file: string, path: string, opts: { rows?: string; columns?: string; decode?: boolean }) => {
      const ctx = getContext();
      const rows = parseRows(opts.rows, { start: 0, stop: 20 });
      const columns = parseColumns(opts.columns);
      const f = await openLh5(file);
      try {
        const total = f.countRows(path);
        const obj = f.readObject(path, {
          ...(total !== undefined ? { rows } : {}),
          ...(columns ? { columns } : {}),
          decodeWaveforms: opts.decode ?? false,
        });
        const rowIds = Array.isArray(rows) ? rows : undefined;
        const firstRow = !Array.isArray(rows) ? (rows?.start ?? 0) : undefined;
        ctx.print({ file, path, type: obj.type, datatype: obj.datatype, attrs: obj.attrs, rows: total, data: plain(obj) }, () =>
          objectText(obj, path, firstRow, rowIds, total),
        );
      } finally {
        f.close();
      }
    });

  lh5
    .command("export")
    .description(
      "write a table to Parquet (zstd) or Arrow IPC (file or stream), streamed in row batches; nested columns become parent_child",
    )
    .argument("<file>", "LH5 file")
    .argument("<path>", "table path, e.g. ch1084803/raw")
    .requiredOption("--out <file>", `output file: ${TABLE_OUT_HELP}`)
    .option("--columns <names>", "comma-separated columns (nested as parent/child)")
    .option("--rows <a:b>", "only rows [a, b)")
    .option("--batch-rows <n>", "rows per batch", "65536")
    .option("--decode", "decode compressed waveforms (otherwise exported as List<Uint8> byte streams)")
    .action(
      async (file: string, path: string, opts: { out: string; columns?: string; rows?: string; batchRows: string; decode?: boolean }) => {
        const ctx = getContext();
        tableFormatOf(opts.out); // check before any work
        const batchSize = parsePositive(opts.batchRows, "--batch-rows");
        const rows = parseRows(opts.rows);
        if (Array.isArray(rows)) throw new CliUsageError("export --rows takes a range START:STOP, not a list");
        const columns = parseColumns(opts.columns);
        const started = performance.now();
        const f = await openLh5(file);
        let written = 0;
        try {
          f.readTable(path, { rows: [], ...(columns ? { columns } : {}) }); // type and column checks up front
          const total = f.countRows(path) ?? 0;
          const start = rows?.start ?? 0;
          const stop = Math.min(rows?.stop ?? total, total);
          const progress = ctx.progress(Math.max(0, stop - start), "rows");
          async function* batches() {
            let any = false;
            for await (const t of f.iterateTable(path, {
              batchSize,
              start,
              stop,
              decodeWaveforms: opts.decode ?? false,
              ...(columns ? { columns } : {}),
            })) {
              any = true;
              progress.tick(t.nRows);
              yield lgdoToArrow(t, { flatten: true });
            }
            if (!any) yield lgdoToArrow(f.readTable(path, { rows: [], ...(columns ? { columns } : {}) }), { flatten: true });
          }
          try {
            written = await writeTableFile(opts.out, batches());
          } finally {
            progress.stop();
          }
        } finally {
          f.close();
        }
        const seconds = (performance.now() - started) / 1000;
        ctx.print(
          { file, path, out: opts.out, rows: written, seconds },
          () => `${path}: ${written} rows → ${opts.out} (${seconds.toFixed(2)} s)`,
        );
      },
    );
}
