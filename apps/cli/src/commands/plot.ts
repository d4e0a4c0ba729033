import { stat } from "node:fs/promises";
import { basename, dirname, extname, resolve } from "node:path";
import type { DirectoryEntry, DirectorySource } from "@daqkit/io";
import type { Command } from "commander";
import type { CliContext, Progress } from "../context.js";
import { CliUsageError } from "../errors.js";

/** The picture kinds of `daqkit plot`. */
export const PLOT_KINDS = [
  "gen2-image",
  "light-curve",
  "histogram",
  "waveforms",
  "larpix-adc",
  "larpix-occupancy",
  "bluesky-image",
] as const;
export type PlotKind = (typeof PLOT_KINDS)[number];

/**
 * A plot input that is not what the kind reads (a wrong file type, no such column, nothing to draw):
 * a coded daqkit error (exit 3, `category: "data"`) naming the file.
 */
export class PlotInputError extends Error {
  override readonly name = "PlotInputError";
  readonly category = "data";
  constructor(
    readonly code: "PLOT_WRONG_INPUT" | "PLOT_NO_DATA",
    message: string,
    readonly path?: string,
  ) {
    super(message);
    (this as unknown as Record<symbol, boolean>)[Symbol.for("daqkit.error")] = true;
  }
}

interface PlotOptions {
  out: string;
  width: string;
  height: string;
  title?: string;
  from?: string;
  to?: string;
  year?: string;
  bin?: string;
  column?: string;
  bins?: string;
  range?: string;
  log: boolean;
  scheme: string;
  first?: string;
  count?: string;
  dataType: string;
  channel?: string;
  stream: string;
  field?: string;
  event: string;
}

/** What a kind hands back: the picture's spec and the summary printed (`--json`) besides it. */
interface Drawn {
  spec: Record<string, unknown>;
  summary: Record<string, unknown>;
}

function positiveInt(text: string, what: string, max = 100_000): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new CliUsageError(`${what} must be an integer from 1 to ${max}, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function nonNegativeInt(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new CliUsageError(`${what} must be an integer ≥ 0, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** `--range LOW:HIGH` (numbers, LOW < HIGH). */
export function parseRange(text: string): [number, number] {
  const m = /^(.+?):(.+)$/.exec(text);
  const low = m ? Number(m[1]) : Number.NaN;
  const high = m ? Number(m[2]) : Number.NaN;
  if (!m || !Number.isFinite(low) || !Number.isFinite(high) || !(low < high)) {
    throw new CliUsageError(
      `--range must be LOW:HIGH with finite numbers and LOW < HIGH, e.g. --range 0:3000, got ${JSON.stringify(text)}`,
    );
  }
  return [low, high];
}

const BIN_UNITS: Record<string, number> = { us: 1, µs: 1, ms: 1000, s: 1_000_000, min: 60_000_000 };

/** `--bin` of a light curve: a duration `10ms`, `1s`, `500us`, `2min`, or a number of seconds; whole µs ≥ 1. */
export function parseBinUs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(us|µs|ms|s|min)?$/.exec(text.trim());
  const us = m ? Number(m[1]) * BIN_UNITS[m[2] ?? "s"]! : Number.NaN;
  if (!m || !Number.isSafeInteger(Math.round(us)) || Math.round(us) < 1 || Math.abs(us - Math.round(us)) > 1e-6) {
    throw new CliUsageError(`--bin must be a duration of whole µs such as 10ms, 1s, 500us or 0.5 (seconds), got ${JSON.stringify(text)}`);
  }
  return Math.round(us);
}

/** Points of a light-curve picture: at most this many bins (a --bin that gives more is refused)… */
const MAX_CURVE_POINTS = 100_000;
/** …and by default the bin is 1 s or as many whole seconds as keep the curve under this many. */
const DEFAULT_CURVE_POINTS = 2_000;

/** A directory source over `.bin` files given one by one (all in one listing, named by their base names). */
async function filesSource(paths: readonly string[]): Promise<DirectorySource> {
  const { openFileSource } = await import("@daqkit/io/node");
  const byName = new Map<string, { abs: string; entry: DirectoryEntry }>();
  for (const p of paths) {
    const info = await stat(p);
    if (info.isDirectory()) throw new CliUsageError(`give one night folder or .bin files, not both: ${p} is a folder`);
    const name = basename(p);
    if (byName.has(name)) throw new CliUsageError(`two inputs are named ${name}: .bin files of one night have distinct names`);
    byName.set(name, { abs: resolve(p), entry: { path: name, kind: "file", size: info.size, mtimeMs: info.mtimeMs } });
  }
  const entries = [...byName.values()].map((v) => v.entry).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    name: paths.length === 1 ? resolve(paths[0]!) : resolve(dirname(paths[0]!)),
    list: async () => entries,
    open: async (path) => openFileSource(byName.get(path)!.abs),
  };
}

/** A night: a folder of `.bin` files, or `.bin` files. */
async function gen2Night(inputs: readonly string[]): Promise<DirectorySource> {
  const first = await stat(inputs[0]!);
  if (first.isDirectory() && inputs.length === 1) return (await import("@daqkit/io/node")).openDirectorySource(inputs[0]!);
  return filesSource(inputs);
}

/** The pixels per cell that make a `columns × rows` raster at least as large as the picture. */
function cellScale(o: PlotOptions, columns: number, rows: number): [number, number] {
  return [Math.max(1, Math.ceil(Number(o.width) / columns)), Math.max(1, Math.ceil(Number(o.height) / rows))];
}

/** A progress line created on the first report (its total is known only then). */
function lazyBar(ctx: CliContext, label: string): { report: (done: number, total: number) => void; stop: () => void } {
  let bar: Progress | undefined;
  return {
    report(done, total) {
      bar ??= ctx.progress(total, label);
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}

async function drawGen2(kind: "gen2-image" | "light-curve", inputs: readonly string[], o: PlotOptions, ctx: CliContext): Promise<Drawn> {
  const [{ BinSourceDirectory, binGen2Directory, inferGen2EpochYear }, { TimestampRange }, gen2, specs, render] = await Promise.all([
    import("@daqkit/gen2-bin"),
    import("@daqkit/timestamps"),
    import("./gen2.js"),
    import("../plot/specs.js"),
    import("../plot/render.js"),
  ]);
  if ((o.from === undefined) !== (o.to === undefined)) throw new CliUsageError("--from and --to go together (a range of the night)");
  const binUs = o.bin !== undefined ? parseBinUs(o.bin) : undefined;
  if (kind === "gen2-image" && binUs !== undefined) throw new CliUsageError("--bin is an option of light-curve, not of gen2-image");
  const dir = await BinSourceDirectory.open(await gen2Night(inputs));
  const first = dir.files[0]!;
  const last = dir.files[dir.files.length - 1]!;
  const year = gen2.parseYear(o.year) ?? inferGen2EpochYear(first.name, first.firstHeader);
  const night = new TimestampRange(first.range.startUs, last.range.stopUs);
  let range: InstanceType<typeof TimestampRange> | null = null;
  if (o.from !== undefined && o.to !== undefined) {
    const from = gen2.parseTime(o.from, "--from");
    const to = gen2.parseTime(o.to, "--to");
    if (year === undefined && ("ns" in from || "ns" in to)) {
      throw new CliUsageError(
        `--from/--to are dates, and the epoch year cannot be inferred from the file names of ${dir.source.name}: give --year`,
      );
    }
    range = new TimestampRange(gen2.timeToUs(from, year!), gen2.timeToUs(to, year!));
    // As `gen2 read`: --from after --to (mod M) crosses the wrap, which only a night that crosses it can mean.
    if (range.wraps && !night.wraps && !("ns" in from && "ns" in to)) {
      throw new CliUsageError(
        `--from ${o.from} (${range.startUs} µs) is later than --to ${o.to} (${range.stopUs} µs); a range across the 36-bit wrap is only accepted when the night crosses it, and ${dir.source.name} spans ${night.key()} µs`,
      );
    }
    if (dir.filesForTimerange(range).length === 0) {
      throw new PlotInputError(
        "PLOT_NO_DATA",
        `plot: ${range.key()} µs (--from ${o.from} --to ${o.to}) matches no file of ${dir.source.name}, which spans ${night.key()} µs`,
        dir.source.name,
      );
    }
  }
  // A picture of a light curve holds at most MAX_CURVE_POINTS points: by default the bin is 1 s or as many
  // whole seconds as keep it under DEFAULT_CURVE_POINTS; a --bin that gives more is refused.
  const spanUs = (range ?? night).durationUs;
  const curveBinUs = binUs ?? Math.max(1, Math.ceil((spanUs + 1) / DEFAULT_CURVE_POINTS / 1e6)) * 1e6;
  if (kind === "light-curve" && Math.floor(spanUs / curveBinUs) + 1 > MAX_CURVE_POINTS) {
    throw new CliUsageError(
      `--bin ${o.bin} gives ${Math.floor(spanUs / curveBinUs) + 1} bins over ${spanUs} µs: a picture takes at most ${MAX_CURVE_POINTS}; use --bin ${Math.ceil(spanUs / MAX_CURVE_POINTS / 1000)}ms or more`,
    );
  }
  const bar = lazyBar(ctx, "bin");
  let binned: Awaited<ReturnType<typeof binGen2Directory>>;
  try {
    binned = await binGen2Directory(dir, {
      range,
      histograms: false, // neither picture shows them; they are most of the binning cost
      lightCurveBinUs: curveBinUs,
      onProgress: bar.report,
    });
  } finally {
    bar.stop();
  }
  const shown = range ?? night;
  const utc = gen2.utcOf(shown, year);
  const when = utc ? `${utc.start} … ${utc.stop}` : `${shown.startUs} … ${shown.stopUs} µs`;
  const frame = { width: Number(o.width), height: Number(o.height), subtitle: `${when} · ${binned.photons} photons` };
  const summary = {
    photons: binned.photons,
    widePhotons: binned.widePhotons,
    outside: binned.outside,
    files: binned.files.length,
    range: { startUs: shown.startUs, stopUs: shown.stopUs, wraps: shown.wraps, ...(utc ? { utc } : {}) },
  };
  if (kind === "gen2-image") {
    const img = binned.image;
    const low = o.log ? 1 : 0;
    const high = Math.max(img.max, low + 1);
    const png = render.heatmapPng(
      img.counts,
      img.width,
      img.height,
      await render.colormap(o.scheme),
      low,
      high,
      o.log,
      ...cellScale(o, img.width, img.height),
    );
    const spec = specs.heatmapSpec(
      { ...frame, title: o.title ?? `gen2 count image · ${basename(dir.source.name)}` },
      {
        png,
        columns: img.width,
        rows: img.height,
        xTitle: "x (pixel)",
        yTitle: "y (pixel)",
        colorTitle: "photons",
        low,
        high,
        scheme: o.scheme,
        log: o.log,
      },
    );
    return { spec, summary: { ...summary, image: { width: img.width, height: img.height, maxCount: img.max } } };
  }
  const curve = binned.lightCurve;
  const seconds = Float64Array.from(curve.counts, (_, i) => (i * curve.binUs) / 1e6);
  const rate = Float64Array.from(curve.counts, (c) => c / (curve.binUs / 1e6));
  const start = utc ? utc.start : `${curve.originUs} µs`;
  const spec = specs.linesSpec(
    { ...frame, title: o.title ?? `gen2 light curve · ${basename(dir.source.name)}` },
    [{ name: "photons", x: seconds, y: rate }],
    `time since ${start} (s), bins of ${curve.binUs / 1e6} s`,
    "photons / s",
    true,
  );
  return {
    spec,
    summary: { ...summary, lightCurve: { originUs: curve.originUs, binUs: curve.binUs, bins: curve.counts.length, before: curve.before } },
  };
}

/** The kind of file `path` is, by content: an HDF5 file (LH5) or by extension a Parquet/Arrow table. */
async function tableKind(path: string): Promise<"lh5" | "arrow"> {
  const ext = extname(path).toLowerCase();
  if ([".parquet", ".arrow", ".arrows", ".feather"].includes(ext)) return "arrow";
  const { open } = await import("node:fs/promises");
  const handle = await open(path, "r");
  try {
    const head = new Uint8Array(8);
    await handle.read(head, 0, 8, 0);
    if (head.every((b, i) => b === [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a][i])) return "lh5";
  } finally {
    await handle.close();
  }
  throw new PlotInputError(
    "PLOT_WRONG_INPUT",
    `plot histogram: ${path} is neither an LH5 (HDF5) file nor a .parquet/.arrow/.arrows table (a load output)`,
    path,
  );
}

async function drawHistogram(inputs: readonly string[], o: PlotOptions, ctx: CliContext): Promise<Drawn> {
  if (inputs.length !== 1) throw new CliUsageError(`histogram takes one file (an LH5 file or a load output), got ${inputs.length}`);
  if (o.column === undefined)
    throw new CliUsageError("histogram needs --column (an LH5 object path such as ch1084803/dsp/trapEmax, or a table column)");
  const file = inputs[0]!;
  const bins = o.bins !== undefined ? positiveInt(o.bins, "--bins", 10_000) : 100;
  const range = o.range !== undefined ? parseRange(o.range) : undefined;
  const [specs] = await Promise.all([import("../plot/specs.js")]);
  const frame = { width: Number(o.width), height: Number(o.height) };
  if ((await tableKind(file)) === "lh5") {
    const { openLh5, histogramLh5Column } = await import("@daqkit/lh5/node");
    await using f = await openLh5(file);
    const bar = lazyBar(ctx, "histogram");
    let h: Awaited<ReturnType<typeof histogramLh5Column>>;
    try {
      h = await histogramLh5Column(f, o.column, { bins, ...(range ? { range } : {}), onProgress: bar.report });
    } finally {
      bar.stop();
    }
    const xTitle = `${h.objectPath}${h.units ? ` (${h.units})` : ""}`;
    const spec = specs.histogramSpec({ ...frame, title: o.title ?? `${basename(file)}` }, h, xTitle, o.log);
    return { spec, summary: histogramSummary(h, { column: h.objectPath, rows: h.rows }) };
  }
  const [{ histogramArrowColumn }, { readTableBatches }] = await Promise.all([import("@daqkit/io"), import("../table-input.js")]);
  const column = o.column;
  const h = await histogramArrowColumn(() => readTableBatches(file), column, { bins, ...(range ? { range } : {}), name: file });
  const spec = specs.histogramSpec({ ...frame, title: o.title ?? basename(file) }, h, column, o.log);
  return { spec, summary: histogramSummary(h, { column, nulls: h.nulls }) };
}

function histogramSummary(
  h: { low: number; high: number; counts: Float64Array; entries: number; underflow: number; overflow: number; nan: number },
  extra: Record<string, unknown>,
): Record<string, unknown> {
  return {
    ...extra,
    bins: h.counts.length,
    low: h.low,
    high: h.high,
    entries: h.entries,
    underflow: h.underflow,
    overflow: h.overflow,
    nan: h.nan,
  };
}

/** Most samples of a waveforms picture (Vega draws every point; millions exhaust its memory). */
const MAX_WAVEFORM_POINTS = 1_000_000;

export function checkPoints(waveforms: ReadonlyArray<{ x: ArrayLike<number> }>, where: string): void {
  const points = waveforms.reduce((n, w) => n + w.x.length, 0);
  if (points > MAX_WAVEFORM_POINTS) {
    const each = Math.ceil(points / waveforms.length);
    throw new CliUsageError(
      `${waveforms.length} waveforms of ${where} have ${points} samples: a picture takes at most ${MAX_WAVEFORM_POINTS}; use --count ${Math.max(1, Math.floor(MAX_WAVEFORM_POINTS / each))} or less`,
    );
  }
}

async function drawWaveforms(inputs: readonly string[], o: PlotOptions): Promise<Drawn> {
  if (inputs.length !== 2) {
    throw new CliUsageError("waveforms takes FILE.lh5 OBJECT_PATH (a waveform table) or STORE RUN (strax records of a run)");
  }
  const [where, what] = inputs as [string, string];
  const first = o.first !== undefined ? nonNegativeInt(o.first, "--first") : 0;
  const count = o.count !== undefined ? positiveInt(o.count, "--count", 1000) : 10;
  const specs = await import("../plot/specs.js");
  const frame = { width: Number(o.width), height: Number(o.height) };
  if ((await stat(where)).isDirectory()) {
    const { DataDirectory, readStraxWaveforms } = await import("@daqkit/runs/node");
    const dir = new DataDirectory(where, { readonly: true });
    const channel = o.channel !== undefined ? nonNegativeInt(o.channel, "--channel") : undefined;
    const w = await readStraxWaveforms(dir, what, o.dataType, { first, count, ...(channel !== undefined ? { channel } : {}) });
    checkPoints(w.waveforms, where);
    const series = w.waveforms.map((s) => ({ name: `row ${s.row} ch ${s.channel}`, x: s.x, y: s.y }));
    const spec = specs.linesSpec(
      { ...frame, title: o.title ?? `${w.runId} ${w.dataType}`, subtitle: `${w.waveforms.length} records from row ${first}` },
      series,
      `time since ${w.originNs} ns (ns)`,
      "ADC counts above baseline",
    );
    return {
      spec,
      summary: { source: "strax", run: w.runId, dataType: w.dataType, originNs: w.originNs, rows: w.waveforms.map((s) => s.row) },
    };
  }
  const { openLh5, readLh5Waveforms } = await import("@daqkit/lh5/node");
  await using f = await openLh5(where);
  const w = readLh5Waveforms(f, what, { first, count });
  checkPoints(w.waveforms, where);
  const series = w.waveforms.map((s) => ({ name: `row ${s.row}`, x: s.x, y: s.y }));
  const spec = specs.linesSpec(
    {
      ...frame,
      title: o.title ?? `${basename(where)}:${w.objectPath}`,
      subtitle: `rows ${first}–${first + w.waveforms.length - 1} of ${w.rows}`,
    },
    series,
    w.xUnits === "sample" ? "sample" : `time${w.xUnits ? ` (${w.xUnits})` : ""}`,
    w.yUnits ? `value (${w.yUnits})` : "value",
  );
  return { spec, summary: { source: "lh5", objectPath: w.objectPath, rows: w.waveforms.map((s) => s.row), tableRows: w.rows } };
}

async function drawLarpix(
  kind: "larpix-adc" | "larpix-occupancy",
  inputs: readonly string[],
  o: PlotOptions,
  ctx: CliContext,
): Promise<Drawn> {
  if (inputs.length !== 1) throw new CliUsageError(`${kind} takes one LArPix raw HDF5 file, got ${inputs.length}`);
  const file = inputs[0]!;
  const [{ binRawfilePackets }, { openFileSource }, specs, render] = await Promise.all([
    import("@daqkit/rawhdf5"),
    import("@daqkit/io/node"),
    import("../plot/specs.js"),
    import("../plot/render.js"),
  ]);
  const bins = o.bins !== undefined ? positiveInt(o.bins, "--bins", 256) : 256;
  const range = o.range !== undefined ? parseRange(o.range) : undefined;
  const source = await openFileSource(file);
  const bar = lazyBar(ctx, "packets");
  let b: Awaited<ReturnType<typeof binRawfilePackets>>;
  try {
    b = await binRawfilePackets(source, { name: file, adcBins: bins, ...(range ? { adcRange: range } : {}), onProgress: bar.report });
  } finally {
    bar.stop();
    await source.close?.();
  }
  const frame = { width: Number(o.width), height: Number(o.height) };
  const summary = { dataPackets: b.dataPackets, badParity: b.badParity, otherPackets: b.otherPackets, chips: b.occupancy.chips };
  if (kind === "larpix-adc") {
    const spec = specs.histogramSpec({ ...frame, title: o.title ?? `ADC · ${basename(file)}` }, b.adc, "ADC (dataword)", o.log);
    return { spec, summary: histogramSummary(b.adc, summary) };
  }
  const occ = b.occupancy;
  if (occ.chips.length === 0) throw new PlotInputError("PLOT_NO_DATA", `plot larpix-occupancy: ${file} has no data packets`, file);
  const low = o.log ? 1 : 0;
  const high = Math.max(occ.max, low + 1);
  const png = render.heatmapPng(
    occ.counts,
    occ.channels,
    occ.chips.length,
    await render.colormap(o.scheme),
    low,
    high,
    o.log,
    ...cellScale(o, occ.channels, occ.chips.length),
  );
  const spec = specs.heatmapSpec(
    { ...frame, title: o.title ?? `occupancy · ${basename(file)}`, subtitle: `${b.dataPackets} data packets` },
    {
      png,
      columns: occ.channels,
      rows: occ.chips.length,
      xTitle: "channel",
      yTitle: "chip (io_group-io_channel-chip_id)",
      colorTitle: "packets",
      low,
      high,
      scheme: o.scheme,
      log: o.log,
      rowLabels: occ.chips,
    },
  );
  return { spec, summary: { ...summary, maxCount: occ.max } };
}

async function drawBluesky(inputs: readonly string[], o: PlotOptions): Promise<Drawn> {
  if (inputs.length !== 1) throw new CliUsageError(`bluesky-image takes one msgpack run file, got ${inputs.length}`);
  if (o.field === undefined) throw new CliUsageError("bluesky-image needs --field (the image data key, e.g. --field cam_image)");
  const file = inputs[0]!;
  const event = nonNegativeInt(o.event, "--event");
  const [{ loadMsgpackRun }, { readImageFrame }, specs, render] = await Promise.all([
    import("@daqkit/docmodel/node"),
    import("@daqkit/docmodel"),
    import("../plot/specs.js"),
    import("../plot/render.js"),
  ]);
  if ((await stat(file)).isDirectory()) throw new CliUsageError(`bluesky-image takes a run file (<uid>.msgpack), and ${file} is a folder`);
  const run = loadMsgpackRun(file);
  const f = readImageFrame(run, o.stream, o.field, event);
  let low = f.min;
  let high = f.max > f.min ? f.max : f.min + 1;
  if (o.log) {
    low = Math.max(low, Number.MIN_VALUE);
    if (high <= low) high = low * 10;
  }
  const png = render.heatmapPng(
    f.values,
    f.width,
    f.height,
    await render.colormap(o.scheme),
    low,
    high,
    o.log,
    ...cellScale(o, f.width, f.height),
  );
  const [yName, xName] = f.dims.length === 2 ? (f.dims as [string, string]) : ["row", "column"];
  const spec = specs.heatmapSpec(
    {
      width: Number(o.width),
      height: Number(o.height),
      title: o.title ?? `${o.field} · ${o.stream} event ${event}`,
      subtitle: `${basename(file)} · ${f.height}×${f.width} ${f.dtype} · event ${event + 1} of ${f.events}`,
    },
    { png, columns: f.width, rows: f.height, xTitle: xName, yTitle: yName, colorTitle: o.field, low, high, scheme: o.scheme, log: o.log },
  );
  return {
    spec,
    summary: {
      run: run.metadata.start.uid,
      stream: o.stream,
      field: o.field,
      event,
      events: f.events,
      width: f.width,
      height: f.height,
      min: f.min,
      max: f.max,
    },
  };
}

/** `daqkit plot KIND INPUT… --out FILE.svg|FILE.png`: pictures without a browser. */
export function registerPlotCommand(program: Command, getContext: () => CliContext): void {
  program
    .command("plot")
    .description(
      "draw a picture of a file as SVG or PNG: gen2 count image and light curve, histograms, waveforms, LArPix ADC and occupancy, Bluesky images",
    )
    .argument("<kind>", `what to draw: ${PLOT_KINDS.join(", ")}`)
    .argument(
      "<inputs...>",
      "the input(s): a gen2 night folder or .bin files; an LH5 file or a load output (.parquet/.arrow); FILE.lh5 OBJECT or STORE RUN for waveforms; a LArPix raw file; a Bluesky msgpack run",
    )
    .requiredOption("--out <file>", "the picture: FILE.svg or FILE.png (written under a temporary name, then renamed)")
    .option("--width <px>", "picture width in pixels", "640")
    .option("--height <px>", "picture height in pixels", "480")
    .option("--title <text>", "title (default: what and which file)")
    .option("--from <t>", "gen2: first µs of the range (since the year epoch) or an ISO date")
    .option("--to <t>", "gen2: last µs of the range (inclusive) or an ISO date; before --from only across the 36-bit wrap")
    .option("--year <yyyy>", "gen2: board epoch year (default: inferred from the file names)")
    .option(
      "--bin <duration>",
      "light-curve: bin width, e.g. 10ms, 1s, 500us (a plain number is seconds; default 1s, or whole seconds for at most 2000 bins; at most 100000 bins)",
    )
    .option("--column <path>", "histogram: LH5 object path (ch1084803/dsp/trapEmax) or table column (a/b for a struct field)")
    .option("--bins <n>", "histogram, larpix-adc: number of bins (default 100; larpix-adc 256)")
    .option("--range <low:high>", "histogram, larpix-adc: bin range (default: the data's min..max; larpix-adc 0:256)")
    .option("--log", "logarithmic counts (histogram y axis, heatmap colours)", false)
    .option("--scheme <name>", "heatmap colour scheme (a Vega scheme: viridis, magma, greys, …)", "viridis")
    .option("--first <n>", "waveforms: first row (default 0)")
    .option("--count <n>", "waveforms: how many (default 10)")
    .option("--data-type <type>", "waveforms of strax: the data type (records or raw_records)", "records")
    .option("--channel <n>", "waveforms of strax: only this channel")
    .option("--stream <name>", "bluesky-image: the stream", "primary")
    .option("--field <key>", "bluesky-image: the image data key")
    .option("--event <i>", "bluesky-image: event index (from 0)", "0")
    .action(async (kindText: string, inputs: string[], o: PlotOptions) => {
      const ctx = getContext();
      if (!(PLOT_KINDS as readonly string[]).includes(kindText)) {
        throw new CliUsageError(`unknown plot kind ${JSON.stringify(kindText)}: expected one of ${PLOT_KINDS.join(", ")}`);
      }
      const kind = kindText as PlotKind;
      const format = extname(o.out).toLowerCase();
      if (format !== ".svg" && format !== ".png") throw new CliUsageError(`--out must end in .svg or .png, got ${JSON.stringify(o.out)}`);
      positiveInt(o.width, "--width", 10_000);
      positiveInt(o.height, "--height", 10_000);
      let drawn: Drawn;
      switch (kind) {
        case "gen2-image":
        case "light-curve":
          drawn = await drawGen2(kind, inputs, o, ctx);
          break;
        case "histogram":
          drawn = await drawHistogram(inputs, o, ctx);
          break;
        case "waveforms":
          drawn = await drawWaveforms(inputs, o);
          break;
        case "larpix-adc":
        case "larpix-occupancy":
          drawn = await drawLarpix(kind, inputs, o, ctx);
          break;
        case "bluesky-image":
          drawn = await drawBluesky(inputs, o);
          break;
      }
      const [render, { writeFileAtomic }] = await Promise.all([import("../plot/render.js"), import("@daqkit/io/node")]);
      const svg = await render.renderSvg(drawn.spec);
      let bytes: Uint8Array | string = svg;
      let size = { width: Number(o.width), height: Number(o.height) };
      if (format === ".png") {
        const png = await render.svgToPng(svg);
        bytes = png.png;
        size = { width: png.width, height: png.height };
      }
      const written = await writeFileAtomic(o.out, bytes);
      ctx.print(
        { kind, out: resolve(o.out), format: format.slice(1), bytes: written, ...size, ...drawn.summary },
        () => `${kind}: wrote ${o.out} (${format.slice(1).toUpperCase()}, ${size.width}×${size.height}, ${written} bytes)`,
      );
    });
}
