/**
 * Vega-Lite specs of the pictures `daqkit plot` draws: a heatmap (an embedded raster plus a colour
 * bar), a histogram and lines. Each spec fills exactly `width × height` pixels (autosize `fit`).
 */
import type { Histogram1D } from "@daqkit/io";
import { PLOT_FONT_FAMILY, type VegaLiteSpec } from "./render.js";

/** Size and title of a picture. */
export interface Frame {
  width: number;
  height: number;
  title?: string;
  /** A second title line (counts, ranges). */
  subtitle?: string;
}

function base(frame: Frame): VegaLiteSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: frame.width,
    height: frame.height,
    autosize: { type: "fit", contains: "padding" },
    padding: 8,
    background: "white",
    ...(frame.title !== undefined || frame.subtitle !== undefined
      ? {
          // `limit` truncates long titles (with …) instead of widening the layout, which `fit` would pay for with a narrower plot.
          title: {
            text: frame.title ?? "",
            ...(frame.subtitle ? { subtitle: frame.subtitle } : {}),
            anchor: "start",
            limit: Math.max(50, frame.width - 2 * 8),
          },
        }
      : {}),
    config: { font: PLOT_FONT_FAMILY, view: { stroke: null } },
  };
}

/** A heatmap: `png` (a raster of `columns × rows` cells, row 0 at the bottom) over x ∈ [0, columns], y ∈ [0, rows]. */
export interface HeatmapSpecInput {
  png: Uint8Array;
  columns: number;
  rows: number;
  xTitle: string;
  yTitle: string;
  colorTitle: string;
  low: number;
  high: number;
  scheme: string;
  log: boolean;
  /** Labels of the rows (categorical rows such as chips); numeric axes otherwise. */
  rowLabels?: readonly string[];
}

export function heatmapSpec(frame: Frame, h: HeatmapSpecInput): VegaLiteSpec {
  const url = `data:image/png;base64,${Buffer.from(h.png).toString("base64")}`;
  const yAxis = h.rowLabels
    ? {
        title: h.yTitle,
        values: h.rowLabels.map((_, i) => i + 0.5),
        labelExpr: `${JSON.stringify(h.rowLabels)}[floor(datum.value)]`,
        grid: false,
      }
    : { title: h.yTitle, grid: false };
  return {
    ...base(frame),
    layer: [
      {
        data: { values: [{ x: 0, x2: h.columns, y: 0, y2: h.rows, url }] },
        mark: { type: "image", aspect: false, smooth: false },
        encoding: {
          x: {
            field: "x",
            type: "quantitative",
            scale: { domain: [0, h.columns], nice: false, zero: false },
            axis: { title: h.xTitle, grid: false },
          },
          x2: { field: "x2" },
          y: { field: "y", type: "quantitative", scale: { domain: [0, h.rows], nice: false, zero: false }, axis: yAxis },
          y2: { field: "y2" },
          url: { field: "url", type: "nominal" },
        },
      },
      {
        // Invisible marks that carry the colour scale, so the legend is the colour bar of the raster.
        data: { values: [{ c: h.low }, { c: h.high }] },
        mark: { type: "point", opacity: 0 },
        encoding: {
          color: {
            field: "c",
            type: "quantitative",
            title: h.colorTitle,
            scale: { scheme: h.scheme, domain: [h.low, h.high], type: h.log ? "log" : "linear", nice: false },
          },
        },
      },
    ],
  };
}

/** A histogram as bars over its bin edges; the subtitle counts what is outside the bins. */
export function histogramSpec(frame: Frame, h: Histogram1D, xTitle: string, log = false): VegaLiteSpec {
  const bins = Array.from(h.counts, (count, i) => ({ low: h.edges[i]!, high: h.edges[i + 1]!, count }));
  const outside = [h.underflow ? `${h.underflow} below` : "", h.overflow ? `${h.overflow} above` : "", h.nan ? `${h.nan} NaN` : ""].filter(
    Boolean,
  );
  const subtitle = [frame.subtitle, `${h.entries} entries${outside.length ? ` (${outside.join(", ")})` : ""}`].filter(Boolean).join(" · ");
  return {
    ...base({ ...frame, subtitle }),
    data: { values: log ? bins.filter((b) => b.count > 0) : bins },
    mark: { type: "rect", color: "#4c78a8" },
    encoding: {
      x: { field: "low", type: "quantitative", scale: { domain: [h.low, h.high], nice: false, zero: false }, title: xTitle },
      x2: { field: "high" },
      y: { field: "count", type: "quantitative", title: "entries", ...(log ? { scale: { type: "log" } } : {}) },
      ...(log ? { y2: { datum: 0.5 } } : {}),
    },
  };
}

/** One x/y series. */
export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/** Lines (one colour per series, a legend when there are several); `step` draws a step curve. */
export function linesSpec(frame: Frame, series: readonly Series[], xTitle: string, yTitle: string, step = false): VegaLiteSpec {
  const values: Array<{ s: string; x: number; y: number }> = [];
  for (const s of series) for (let i = 0; i < s.x.length; i++) values.push({ s: s.name, x: s.x[i]!, y: s.y[i]! });
  return {
    ...base(frame),
    data: { values },
    mark: { type: "line", strokeWidth: 1, ...(step ? { interpolate: "step-after" } : {}) },
    encoding: {
      x: { field: "x", type: "quantitative", title: xTitle, scale: { zero: false, nice: false } },
      y: { field: "y", type: "quantitative", title: yTitle, scale: { zero: false } },
      ...(series.length > 1
        ? { color: { field: "s", type: "nominal", title: null, sort: null, legend: series.length <= 20 ? {} : null } }
        : {}),
    },
  };
}
