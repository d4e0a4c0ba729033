// Pictures, drawn by h5web's visualization components (WebGL through react-three-fiber). Most of the
// app's code (three.js, h5web): loaded on demand through ./plots.tsx, not with the app.
import { CurveType, HeatmapVis, Interpolation, LineVis, ScaleType } from "@h5web/lib";
import { useFrame } from "@react-three/fiber";
import ndarray from "ndarray";
import { type RefObject, useMemo, useRef, useState } from "react";

/** The histogram shape the binning functions return (`Histogram1D` of @daqkit/io). */
export interface HistogramData {
  readonly edges: Float64Array | readonly number[];
  readonly counts: Float64Array | readonly number[];
  readonly underflow?: number;
  readonly overflow?: number;
  readonly entries?: number;
}

function safeDomain(values: ArrayLike<number>, log: boolean): [number, number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(min <= max)) return log ? [1, 10] : [0, 1];
  if (min === max) return log ? [min / 2, max * 2] : [min - 0.5, max + 0.5];
  return [min, max];
}

/**
 * Inside a plot's canvas: after the canvas's first rendered frame, marks the plot container
 * `data-drawn` and calls `onDrawn` once. (useFrame callbacks run just before react-three-fiber renders
 * the frame, in the same animation-frame callback; the microtask runs once that render is done, so the
 * attribute lands in the frame that shows the drawing: the `.plot.gl` container's contents stay hidden until
 * then, see style.css.)
 */
function FirstFrame({ container, onDrawn }: { container: RefObject<HTMLDivElement | null>; onDrawn?: () => void }) {
  const done = useRef(false);
  useFrame(() => {
    if (done.current) return;
    done.current = true;
    queueMicrotask(() => {
      container.current?.setAttribute("data-drawn", "");
      onDrawn?.();
    });
  });
  return null;
}

/** A 2-D count image (`values[y * width + x]`), x to the right and y up. */
export function Heatmap({
  values,
  width,
  height,
  title,
  xLabel = "x",
  yLabel = "y",
  testid,
  log: initialLog = false,
  xValues,
  yValues,
  onDrawn,
}: {
  values: Float64Array;
  /** Pixel coordinates (width or width + 1 values: bin edges), default 0, 1, … */
  xValues?: Float64Array;
  yValues?: Float64Array;
  width: number;
  height: number;
  title: string;
  xLabel?: string;
  yLabel?: string;
  testid: string;
  log?: boolean;
  /** Called once the image's canvas has rendered its first frame. */
  onDrawn?: () => void;
}) {
  const container = useRef<HTMLDivElement>(null);
  const [log, setLog] = useState(initialLog);
  const data = useMemo(() => ndarray(values, [height, width]), [values, width, height]);
  const domain = useMemo(() => {
    let max = 0;
    let minPositive = Number.POSITIVE_INFINITY;
    for (const v of values) {
      if (v > max) max = v;
      if (v > 0 && v < minPositive) minPositive = v;
    }
    if (log) return [Number.isFinite(minPositive) ? minPositive : 1, Math.max(max, 1) * (max === minPositive ? 10 : 1)] as [number, number];
    return [0, max > 0 ? max : 1] as [number, number];
  }, [values, log]);
  return (
    <div>
      <div className="controls">
        <strong>{title}</strong>
        <label>
          <input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} /> log colour scale
        </label>
      </div>
      <div className="plot gl" data-testid={testid} ref={container}>
        <HeatmapVis
          dataArray={data}
          domain={domain}
          scaleType={log ? ScaleType.Log : ScaleType.Linear}
          colorMap="Viridis"
          aspect={xValues || yValues ? "auto" : "equal"}
          abscissaParams={{ label: xLabel, value: xValues }}
          ordinateParams={{ label: yLabel, value: yValues }}
          ignoreValue={log ? (v) => v <= 0 : undefined}
        >
          <FirstFrame container={container} onDrawn={onDrawn} />
        </HeatmapVis>
      </div>
    </div>
  );
}

/** One or more curves over a common x axis. */
export function Line({
  values,
  x,
  title,
  xLabel,
  yLabel,
  testid,
  step = false,
  small = false,
  glyphs = false,
  extra = [],
}: {
  values: ArrayLike<number>;
  /** More curves on the same abscissa (h5web auxiliaries). */
  extra?: { values: ArrayLike<number>; label: string }[];
  x?: ArrayLike<number>;
  title: string;
  xLabel: string;
  yLabel: string;
  testid: string;
  step?: boolean;
  small?: boolean;
  glyphs?: boolean;
}) {
  const container = useRef<HTMLDivElement>(null);
  const [log, setLog] = useState(false);
  const data = useMemo(() => ndarray(Float64Array.from(values as ArrayLike<number>)), [values]);
  const abscissa = useMemo(() => (x ? Float64Array.from(x as ArrayLike<number>) : undefined), [x]);
  const auxiliaries = useMemo(() => extra.map((e) => ({ array: ndarray(Float64Array.from(e.values)), label: e.label })), [extra]);
  const domain = useMemo(() => {
    if (extra.length === 0) return safeDomain(values, log);
    const all = [safeDomain(values, log), ...extra.map((e) => safeDomain(e.values, log))];
    return [Math.min(...all.map((d) => d[0])), Math.max(...all.map((d) => d[1]))] as [number, number];
  }, [values, extra, log]);
  if (values.length === 0) return <div className="notice">{title}: no data</div>;
  return (
    <div>
      <div className="controls">
        <strong>{title}</strong>
        <label>
          <input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} /> log y
        </label>
      </div>
      <div className={small ? "plot gl small" : "plot gl"} data-testid={testid} ref={container}>
        <LineVis
          dataArray={data}
          domain={domain}
          scaleType={log ? ScaleType.Log : ScaleType.Linear}
          curveType={glyphs ? CurveType.LineAndGlyphs : CurveType.LineOnly}
          interpolation={step ? Interpolation.Constant : Interpolation.Linear}
          abscissaParams={{ label: xLabel, value: abscissa }}
          ordinateLabel={yLabel}
          ignoreValue={log ? (v) => v <= 0 : undefined}
          auxiliaries={auxiliaries.length ? auxiliaries : undefined}
          showGrid
        >
          <FirstFrame container={container} />
        </LineVis>
      </div>
    </div>
  );
}

/** A histogram drawn as steps at the bins' lower edges (plus the last upper edge). */
export function Histogram({
  hist,
  title,
  xLabel,
  testid,
  small = true,
}: {
  hist: HistogramData;
  title: string;
  xLabel: string;
  testid: string;
  small?: boolean;
}) {
  const { x, y } = useMemo(() => {
    const n = hist.counts.length;
    const xs = new Float64Array(n + 1);
    const ys = new Float64Array(n + 1);
    for (let i = 0; i <= n; i++) {
      xs[i] = Number(hist.edges[i]);
      ys[i] = Number(hist.counts[Math.min(i, n - 1)]);
    }
    return { x: xs, y: ys };
  }, [hist]);
  const extra =
    hist.underflow !== undefined || hist.overflow !== undefined ? ` (underflow ${hist.underflow ?? 0}, overflow ${hist.overflow ?? 0})` : "";
  return <Line values={y} x={x} title={`${title}${extra}`} xLabel={xLabel} yLabel="counts" testid={testid} step small={small} />;
}
