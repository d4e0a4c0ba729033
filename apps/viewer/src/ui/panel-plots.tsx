// Small wrappers over @h5web/lib's visualizations and a text table, used by the FileDB/DataLoader,
// strax and Bluesky panels. Each plot sits in a `.plot` box with a stable data-testid.
import type { Histogram1D } from "@daqkit/io";
import { getDomain, HeatmapVis, Interpolation, LineVis } from "@h5web/lib";
import ndarray from "ndarray";
import { useMemo } from "react";

function domainOf(values: ArrayLike<number>): [number, number] {
  const d = getDomain(values as number[]) ?? [0, 1];
  return d[0] === d[1] ? [d[0] - 0.5, d[1] + 0.5] : d;
}

export interface Curve {
  readonly label: string;
  readonly y: ArrayLike<number>;
}

/** One or more curves over a shared abscissa (LineVis; the first curve is the main one, the others auxiliaries). */
export function LinePlot({
  testid,
  x,
  curves,
  xLabel,
  yLabel,
  title,
  step = false,
}: {
  testid: string;
  x: ArrayLike<number>;
  curves: readonly Curve[];
  xLabel: string;
  yLabel: string;
  title?: string;
  step?: boolean;
}) {
  const data = useMemo(() => {
    const [first, ...rest] = curves;
    const main = ndarray(Float64Array.from(first?.y ?? []), [first?.y.length ?? 0]);
    const all = new Float64Array(curves.reduce((n, c) => n + c.y.length, 0));
    let at = 0;
    for (const c of curves) {
      all.set(Float64Array.from(c.y), at);
      at += c.y.length;
    }
    return {
      main,
      aux: rest.map((c) => ({ label: c.label, array: ndarray(Float64Array.from(c.y), [c.y.length]) })),
      domain: domainOf(all),
      x: Float64Array.from(x),
    };
  }, [x, curves]);
  return (
    <div className="plot small" data-testid={testid}>
      <LineVis
        dataArray={data.main}
        domain={data.domain}
        abscissaParams={{ value: data.x, label: xLabel }}
        ordinateLabel={yLabel}
        title={title}
        auxiliaries={data.aux}
        interpolation={step ? Interpolation.Constant : Interpolation.Linear}
        showGrid
      />
    </div>
  );
}

/** A 1-D histogram as a step curve over the bin centres. */
export function HistogramPlot({ testid, histogram, xLabel, title }: { testid: string; histogram: Histogram1D; xLabel: string; title?: string }) {
  const x = useMemo(() => {
    const e = histogram.edges;
    return Float64Array.from({ length: histogram.counts.length }, (_, i) => (e[i]! + e[i + 1]!) / 2);
  }, [histogram]);
  const curves = useMemo(() => [{ label: "counts", y: histogram.counts }], [histogram]);
  return <LinePlot testid={testid} x={x} curves={curves} xLabel={xLabel} yLabel="counts" title={title} step />;
}

/** A 2-D array (row-major, `height` rows of `width`) as a heatmap. */
export function HeatmapPlot({
  testid,
  width,
  height,
  values,
  title,
  xLabel = "x",
  yLabel = "y",
}: {
  testid: string;
  width: number;
  height: number;
  values: ArrayLike<number>;
  title?: string;
  xLabel?: string;
  yLabel?: string;
}) {
  const data = useMemo(() => {
    const arr = Float64Array.from(values);
    return { array: ndarray(arr, [height, width]), domain: domainOf(arr) };
  }, [values, width, height]);
  return (
    <div className="plot" data-testid={testid}>
      <HeatmapVis
        dataArray={data.array}
        domain={data.domain}
        title={title}
        abscissaParams={{ label: xLabel }}
        ordinateParams={{ label: yLabel }}
        aspect="auto"
        colorMap="Viridis"
      />
    </div>
  );
}

export interface TableData {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly types?: readonly string[];
}

/**
 * A text table. Cells carry `data-testid="{testid}-cell"` with `data-row` (index in `rows`) and
 * `data-col` (column name); rows `{testid}-row`.
 */
export function TextTable({
  testid,
  table,
  onRowClick,
  selectedRow,
}: {
  testid: string;
  table: TableData;
  onRowClick?: (row: number) => void;
  selectedRow?: number;
}) {
  return (
    <div style={{ maxHeight: "24rem", overflow: "auto", margin: "0.5rem 0" }}>
      <table className="data" data-testid={testid}>
        <thead>
          <tr>
            {table.columns.map((c, i) => (
              <th key={c} title={table.types?.[i]}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row, r) => (
            <tr
              // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity beyond their position
              key={r}
              data-testid={`${testid}-row`}
              className={selectedRow === r ? "selected" : undefined}
              style={onRowClick ? { cursor: "pointer", background: selectedRow === r ? "#dbeafe" : undefined } : undefined}
              onClick={onRowClick ? () => onRowClick(r) : undefined}
            >
              {row.map((cell, c) => (
                <td key={table.columns[c]} data-testid={`${testid}-cell`} data-row={r} data-col={table.columns[c]}>
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
