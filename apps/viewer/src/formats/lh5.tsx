// LH5 (LEGEND HDF5) files: the object tree with LGDO types, tables with paging, column histograms,
// waveforms (t0/dt axes, encoded waveforms decoded), LGDO histograms, arrays and vectors of vectors.
import { useMemo, useState } from "react";
import { JobView, useJob, useWorker } from "../ui/job.js";
import { Heatmap, Histogram, Line } from "../ui/plots.js";
import type { WorkerClient } from "../worker/client.js";
import type { Lh5ColumnHistogram, Lh5Waveforms } from "@daqkit/lh5";
import type { Lh5Node, Lh5ObjectView, Lh5Page } from "../worker/jobs/lh5.js";
import { hdf5RootMembers } from "./hdf5-root.js";
import type { DetectContext, FormatModule, PanelProps } from "./types.js";

async function detect(ctx: DetectContext): Promise<number> {
  const members = await hdf5RootMembers(ctx);
  if (members === null) return 0;
  return members.includes("msgs") && members.includes("meta") ? 1 : 2;
}

const PAGE = 50;

function Panel({ target }: PanelProps) {
  const client = useWorker();
  const base = { ref: target.input.ref, path: target.path };
  const [tree, cancel, retry] = useJob<Lh5Node[]>(client, { name: "lh5.list", args: base }, [target.input, target.path]);
  return (
    <div data-testid="lh5-panel">
      <JobView state={tree} cancel={cancel} retry={retry} label="Reading the object tree">
        {(nodes) => <Lh5Browser nodes={nodes} client={client} base={base} />}
      </JobView>
    </div>
  );
}

type Base = { ref: PanelProps["target"]["input"]["ref"]; path: string };

function isWaveformNode(n: Lh5Node): boolean {
  return (
    n.type === "WaveformTable" ||
    n.type === "ArrayOfEqualSizedArrays" ||
    n.type === "ArrayOfEncodedEqualSizedArrays" ||
    n.type === "VectorOfEncodedVectors"
  );
}

function Lh5Browser({ nodes, client, base }: { nodes: Lh5Node[]; client: WorkerClient; base: Base }) {
  const firstTable = nodes.find((n) => n.type === "Table" || n.type === "WaveformTable") ?? nodes.find((n) => n.type !== null) ?? nodes[0];
  const [selected, setSelected] = useState<string | undefined>(firstTable?.path);
  const node = nodes.find((n) => n.path === selected);
  return (
    <div className="lh5">
      <div className="lh5-tree" data-testid="lh5-tree">
        {nodes.map((n) => (
          <button
            type="button"
            key={n.path}
            className={n.path === selected ? "entry selected" : "entry"}
            style={{ paddingLeft: `${n.depth * 0.9}em` }}
            data-testid="lh5-node"
            data-path={n.path}
            onClick={() => setSelected(n.path)}
            title={n.datatype ?? n.dtype ?? n.kind}
          >
            {n.name}
            <span className="muted">
              {" "}
              {n.type ?? n.kind}
              {n.nRows !== undefined ? ` · ${n.nRows} rows` : n.shape?.length ? ` · ${n.shape.join("×")}` : ""}
              {n.units ? ` · ${n.units}` : ""}
            </span>
          </button>
        ))}
      </div>
      <div className="lh5-view">
        {node ? <ObjectView key={node.path} node={node} nodes={nodes} client={client} base={base} /> : <p>Choose an object.</p>}
      </div>
    </div>
  );
}

function Info({ node }: { node: Lh5Node }) {
  return (
    <div className="info" data-testid="lh5-info">
      <h2>
        /{node.path} <span className="muted">({node.type ?? `HDF5 ${node.kind}`})</span>
      </h2>
      <div className="muted">
        {node.datatype && (
          <div>
            datatype: <code data-testid="lh5-datatype">{node.datatype}</code>
          </div>
        )}
        {node.nRows !== undefined && <div>rows: {node.nRows}</div>}
        {node.shape && (
          <div>
            shape: {node.shape.join(" × ")} {node.dtype ? `(${node.dtype})` : ""}
            {node.chunks ? `, chunks ${node.chunks.join("×")}` : ""}
            {node.filters ? `, filters: ${node.filters}` : ""}
          </div>
        )}
        {Object.entries(node.attrs).length > 0 && (
          <div>
            attributes:{" "}
            {Object.entries(node.attrs)
              .map(([k, v]) => `${k}=${v}`)
              .join(", ")}
          </div>
        )}
      </div>
    </div>
  );
}

function ObjectView({ node, nodes, client, base }: { node: Lh5Node; nodes: Lh5Node[]; client: WorkerClient; base: Base }) {
  const isTable = node.type === "Table" || node.type === "WaveformTable";
  const children = nodes.filter((n) => n.path.startsWith(`${node.path}/`) && n.depth === node.depth + 1);
  const waveformColumns = isTable
    ? node.type === "WaveformTable"
      ? [""]
      : children.filter(isWaveformNode).map((c) => c.name)
    : isWaveformNode(node)
      ? [""]
      : [];
  const rowBearing = node.nRows !== undefined && node.type !== null;
  return (
    <>
      <Info node={node} />
      {rowBearing && node.type !== "Histogram" && <TablePager node={node} client={client} base={base} />}
      {(isTable || node.type === "Array" || node.type === "VectorOfVectors" || node.type === "ArrayOfEqualSizedArrays") && (
        <ColumnHistogram node={node} nodes={nodes} client={client} base={base} />
      )}
      {waveformColumns.length > 0 && <WaveformView node={node} columns={waveformColumns} client={client} base={base} />}
      {(node.type === "Histogram" || node.type === "Scalar" || node.type === "Array" || node.type === "FixedSizeArray" || (node.type === null && node.kind === "dataset")) && (
        <WholeObject node={node} client={client} base={base} />
      )}
    </>
  );
}

function TablePager({ node, client, base }: { node: Lh5Node; client: WorkerClient; base: Base }) {
  const [start, setStart] = useState(0);
  const [page, cancel, retry] = useJob<Lh5Page>(
    client,
    { name: "lh5.page", args: { ...base, object: node.path, start, count: PAGE } },
    [node.path, start],
  );
  const nRows = node.nRows ?? 0;
  return (
    <>
      <h3>Rows</h3>
      <div className="controls">
        <button type="button" data-testid="lh5-page-prev" disabled={start === 0} onClick={() => setStart(Math.max(0, start - PAGE))}>
          ◀ previous
        </button>
        <span data-testid="lh5-page-range">
          rows {Math.min(start, nRows)}–{Math.min(nRows, start + PAGE) - 1} of <span data-testid="lh5-rows">{nRows}</span>
        </span>
        <button type="button" data-testid="lh5-page-next" disabled={start + PAGE >= nRows} onClick={() => setStart(start + PAGE)}>
          next ▶
        </button>
        <label>
          go to row{" "}
          <input
            size={8}
            data-testid="lh5-page-start"
            onKeyDown={(e) => {
              if (e.key === "Enter") {
                const v = Number((e.target as HTMLInputElement).value);
                if (Number.isSafeInteger(v) && v >= 0) setStart(Math.min(v, Math.max(0, nRows - 1)));
              }
            }}
          />
        </label>
      </div>
      <JobView state={page} cancel={cancel} retry={retry} label="Reading rows">
        {(p) => (
          <div className="table-scroll">
            <table className="data" data-testid="lh5-table">
              <thead>
                <tr>
                  <th>row</th>
                  {p.columns.map((c) => (
                    <th key={c.name} title={c.type}>
                      {c.name}
                      {c.units ? <span className="muted"> [{c.units}]</span> : null}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {p.rows.map((cells, i) => ({ row: p.start + i, cells })).map(({ row, cells }) => (
                  <tr key={row}>
                    <th>{row}</th>
                    {cells.map((cell, c) => (
                      <td key={p.columns[c]!.name} data-testid="lh5-cell" data-row={row} data-col={p.columns[c]!.name}>
                        {cell}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </JobView>
    </>
  );
}

/** Numeric leaf columns of a table node (nested tables flattened), for the histogram's choice. */
function numericColumns(node: Lh5Node, nodes: Lh5Node[]): string[] {
  const out: string[] = [];
  const walk = (parent: Lh5Node, prefix: string) => {
    for (const c of nodes.filter((n) => n.path.startsWith(`${parent.path}/`) && n.depth === parent.depth + 1)) {
      if (c.type === "Table" || c.type === "WaveformTable" || c.type === "Struct") walk(c, `${prefix}${c.name}/`);
      else if (c.type && c.type !== "Scalar" && !(c.dtype ?? "").startsWith("S") && c.dtype !== "string") out.push(`${prefix}${c.name}`);
    }
  };
  walk(node, "");
  return out;
}

function ColumnHistogram({ node, nodes, client, base }: { node: Lh5Node; nodes: Lh5Node[]; client: WorkerClient; base: Base }) {
  const isTable = node.type === "Table" || node.type === "WaveformTable";
  const columns = useMemo(() => (isTable ? numericColumns(node, nodes) : [""]), [isTable, node, nodes]);
  const [column, setColumn] = useState<string | undefined>(undefined);
  const [bins, setBins] = useState(100);
  const [binsText, setBinsText] = useState("100");
  const chosen = isTable ? column : "";
  const [hist, cancel, retry] = useJob<Lh5ColumnHistogram>(
    client,
    chosen === undefined ? null : { name: "lh5.histogram", args: { ...base, object: node.path, column: chosen || undefined, bins } },
    [node.path, chosen, bins],
  );
  if (columns.length === 0) return null;
  return (
    <>
      <h3>Histogram</h3>
      <div className="controls">
        {isTable && (
          <label>
            column{" "}
            <select data-testid="lh5-column-select" value={column ?? ""} onChange={(e) => setColumn(e.target.value || undefined)}>
              <option value="">(choose a column)</option>
              {columns.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          bins{" "}
          <input
            size={5}
            value={binsText}
            data-testid="lh5-bins"
            onChange={(e) => setBinsText(e.target.value)}
            onBlur={() => {
              const b = Number(binsText);
              if (Number.isInteger(b) && b >= 1 && b <= 100000) setBins(b);
              else setBinsText(String(bins));
            }}
          />
        </label>
      </div>
      {chosen !== undefined && (
        <JobView state={hist} cancel={cancel} retry={retry} label="Histogramming (streamed by row batches)">
          {(h) => (
            <>
              <p className="muted" data-testid="lh5-histogram-entries">
                {h.entries} values ({h.nan} NaN)
              </p>
              <Histogram
                hist={h}
                title={h.objectPath}
                xLabel={`${chosen || node.name}${h.units ? ` [${h.units}]` : ""}`}
                testid="lh5-histogram"
                small={false}
              />
            </>
          )}
        </JobView>
      )}
    </>
  );
}

function WaveformView({ node, columns, client, base }: { node: Lh5Node; columns: string[]; client: WorkerClient; base: Base }) {
  const [column, setColumn] = useState(columns[0]!);
  const [row, setRow] = useState(0);
  const [overlay, setOverlay] = useState(1);
  const nRows = node.nRows ?? 0;
  const [wf, cancel, retry] = useJob<Lh5Waveforms>(
    client,
    { name: "lh5.waveforms", args: { ...base, object: node.path, column: column || undefined, start: row, count: overlay } },
    [node.path, column, row, overlay],
  );
  return (
    <>
      <h3>Waveforms</h3>
      <div className="controls">
        {columns.length > 1 || columns[0] !== "" ? (
          <label>
            column{" "}
            <select value={column} onChange={(e) => setColumn(e.target.value)}>
              {columns.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <label>
          row{" "}
          <input
            type="range"
            min={0}
            max={Math.max(0, nRows - 1)}
            value={row}
            data-testid="lh5-waveform-row"
            onChange={(e) => setRow(Number(e.target.value))}
          />{" "}
          {row}
        </label>
        <label>
          overlay{" "}
          <select value={overlay} onChange={(e) => setOverlay(Number(e.target.value))}>
            {[1, 5, 10, 20].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>{" "}
          rows
        </label>
      </div>
      <JobView state={wf} cancel={cancel} retry={retry} label="Reading waveforms">
        {(w) =>
          w.waveforms.length === 0 ? (
            <p>No rows.</p>
          ) : (
            <WaveformPlot w={w} />
          )
        }
      </JobView>
    </>
  );
}

function WaveformPlot({ w }: { w: Lh5Waveforms }) {
  const first = w.waveforms[0]!;
  // h5web's LineVis has one abscissa: later rows are drawn on the first row's time axis
  const aux = w.waveforms.slice(1).filter((s) => s.y.length === first.y.length);
  const xLabel = w.xUnits === "sample" ? "sample" : `time (t0 + i·dt${w.xUnits ? `, ${w.xUnits}` : ""})`;
  return (
    <Line
      values={first.y}
      x={first.x}
      title={`${w.objectPath}, row ${first.row}${aux.length ? `–${first.row + aux.length}` : ""}: ${first.y.length} samples`}
      xLabel={xLabel}
      yLabel={w.yUnits ?? "value"}
      testid="lh5-waveforms"
      extra={aux.map((s) => ({ values: s.y, label: `row ${s.row}` }))}
    />
  );
}

function WholeObject({ node, client, base }: { node: Lh5Node; client: WorkerClient; base: Base }) {
  const [view, cancel, retry] = useJob<Lh5ObjectView>(client, { name: "lh5.object", args: { ...base, object: node.path } }, [node.path]);
  return (
    <JobView state={view} cancel={cancel} retry={retry} label="Reading the object">
      {(v) => {
        switch (v.kind) {
          case "scalar":
            return (
              <p>
                value: <span className="stat" data-testid="lh5-scalar">{v.text}</span>
              </p>
            );
          case "histogram1d":
            return (
              <Histogram
                hist={{ edges: v.edges, counts: v.counts }}
                title={`LGDO histogram${v.isDensity ? " (density)" : ""}`}
                xLabel={v.label || node.name}
                testid="lh5-lgdo-histogram"
                small={false}
              />
            );
          case "histogram2d":
            return (
              <Heatmap
                values={v.counts}
                width={v.width}
                height={v.height}
                xValues={v.xEdges}
                yValues={v.yEdges}
                title="LGDO histogram (2-D)"
                xLabel={v.xLabel}
                yLabel={v.yLabel}
                testid="lh5-lgdo-histogram"
              />
            );
          case "array1d":
            return <Line values={v.values} title={`${node.name} (${v.n} values)`} xLabel="index" yLabel={node.units ?? node.name} testid="lh5-array-plot" />;
          case "array2d":
            return <Heatmap values={v.values} width={v.width} height={v.height} title={node.name} xLabel="column" yLabel="row" testid="lh5-array-plot" />;
          default:
            return <p className="muted">Not drawn: {v.reason}.</p>;
        }
      }}
    </JobView>
  );
}

export const lh5Format: FormatModule = { id: "lh5", label: "LH5", detect, Panel };
