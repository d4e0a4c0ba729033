// strax DataDirectory (a folder of `<run>-<type>-<lineage>` data folders and `<run>-metadata.json`
// run documents): runs with availability per data type, superrun definitions with their subrun maps, a
// data type's chunk table, fields as a table, and records/raw_records waveforms as lines (dt-scaled).
import { useEffect, useMemo, useState } from "react";
import { JobView, useJob, useWorker } from "../ui/job.js";
import { Line } from "../ui/plots.js";
import { TextTable } from "../ui/text-table.js";
import type { StraxData, StraxOverview } from "../worker/jobs/strax.js";
import type { DetectContext, FormatModule, PanelProps } from "./types.js";

const DATA_FOLDER = /^[^/-]+-[^/-]+-[a-z0-9]+$/;
const RUN_DOC = /^[^/]+-metadata\.json$/;

function detect(ctx: DetectContext): number {
  if (ctx.kind !== "directory") return 0;
  const top = ctx.entries.filter((e) => !e.path.includes("/"));
  const folders = top.filter((e) => e.kind === "directory" && DATA_FOLDER.test(e.path)).length;
  const docs = top.filter((e) => e.kind === "file" && RUN_DOC.test(e.path)).length;
  return folders > 0 && (docs > 0 || ctx.entries.some((e) => /\/[^/]+-metadata\.json$/.test(e.path))) ? 3 : 0;
}

function Panel({ target }: PanelProps) {
  const client = useWorker();
  const args = { ref: target.input.ref, path: target.path };
  const [overview, cancel, retry] = useJob<StraxOverview>(client, { name: "strax.overview", args }, [target.input, target.path]);
  return (
    <div data-testid="strax-panel">
      <JobView state={overview} cancel={cancel} retry={retry} label="Reading the DataDirectory">
        {(o) => <Store args={args} overview={o} client={client} />}
      </JobView>
    </div>
  );
}

function Store({
  args,
  overview,
  client,
}: {
  args: { ref: PanelProps["target"]["input"]["ref"]; path: string };
  overview: StraxOverview;
  client: ReturnType<typeof useWorker>;
}) {
  const firstWithData = overview.runs.find((r) => Object.values(r.available).some(Boolean));
  const [run, setRun] = useState(firstWithData?.id ?? overview.runs[0]?.id ?? "");
  const available = overview.runs.find((r) => r.id === run)?.available ?? {};
  const types = overview.dataTypes.filter((t) => available[t]);
  const [dataType, setDataType] = useState(types.includes("records") ? "records" : (types[0] ?? ""));
  useEffect(() => {
    if (!types.includes(dataType)) setDataType(types.includes("records") ? "records" : (types[0] ?? ""));
  }, [types, dataType]);
  const runTable = useMemo(
    () => ({
      columns: ["run", "mode", "start", ...overview.dataTypes],
      rows: overview.runs.map((r) => [
        r.id,
        r.mode,
        r.start ?? "",
        ...overview.dataTypes.map((t) => (r.available[t] === "stored" ? "✓" : r.available[t] === "from subruns" ? "◐ subruns" : "—")),
      ]),
    }),
    [overview],
  );
  const superruns = overview.runs.filter((r) => r.subruns);
  const [data, cancel, retry] = useJob<StraxData>(
    client,
    run && dataType ? { name: "strax.data", args: { ...args, run, dataType } } : null,
    [run, dataType],
  );
  return (
    <>
      <h2>
        Runs (<span data-testid="strax-run-count">{overview.runs.length}</span>) × data types
      </h2>
      <p className="muted">✓ stored · ◐ a superrun assembled from its stored subruns · — not available. Click a run.</p>
      <TextTable
        testid="strax-runs"
        table={runTable}
        selectedRow={overview.runs.findIndex((r) => r.id === run)}
        onRowClick={(i) => setRun(overview.runs[i]!.id)}
      />
      {superruns.length > 0 && (
        <>
          <h2>Superruns</h2>
          <TextTable
            testid="strax-superruns"
            table={{
              columns: ["superrun", "subrun", "range (ns)"],
              rows: superruns.flatMap((s) => s.subruns!.map((m) => [s.id, m.run, m.range])),
            }}
          />
        </>
      )}
      <div className="controls">
        <strong>
          Run <span data-testid="strax-selected-run">{run}</span>
        </strong>
        {types.map((t) => (
          <button
            type="button"
            key={t}
            className={t === dataType ? "tab selected" : "tab"}
            data-testid={`strax-type-${t}`}
            onClick={() => setDataType(t)}
          >
            {t}
          </button>
        ))}
      </div>
      <JobView state={data} cancel={cancel} retry={retry} label={`Reading ${dataType} of run ${run}`}>
        {(d) => (
          <>
            <p className="muted">
              {d.stored ? `stored, compressor ${d.compressor}, lineage ${d.lineageHash}, kind ${d.dataKind}` : "assembled from the subruns"}
            </p>
            {d.chunks.length > 0 && (
              <>
                <h3>
                  Chunks (<span data-testid="strax-chunk-count">{d.chunks.length}</span>)
                </h3>
                <TextTable
                  testid="strax-chunks"
                  table={{
                    columns: ["chunk", "start (ns)", "end (ns)", "rows", "bytes", "stored bytes", "file", "subruns"],
                    rows: d.chunks.map((c) => [
                      String(c.index),
                      c.start,
                      c.end,
                      String(c.n),
                      String(c.nbytes),
                      c.filesize === null ? "" : String(c.filesize),
                      c.filename,
                      c.subruns,
                    ]),
                  }}
                />
              </>
            )}
            <h3>Fields</h3>
            <TextTable testid="strax-fields" table={{ columns: ["field", "type", "shape"], rows: d.fields.map((f) => [f.name, f.type, f.shape]) }} />
            <h3>
              First rows (<span data-testid="strax-row-count">{d.table.rows.length}</span>)
            </h3>
            <TextTable testid="strax-table" table={d.table} />
            {d.waveforms && d.waveforms.length > 0 && <Waveforms waveforms={d.waveforms} />}
          </>
        )}
      </JobView>
    </>
  );
}

function Waveforms({ waveforms }: { waveforms: NonNullable<StraxData["waveforms"]> }) {
  // one abscissa, the longest row's sample times (i × dt); shorter rows padded with NaN. Points are
  // drawn too: a one-sample record is a dot, not an invisible line.
  const longest = waveforms.reduce((a, b) => (b.x.length > a.x.length ? b : a));
  const pad = (y: number[]) => longest.x.map((_t, i) => (i < y.length ? y[i]! : Number.NaN));
  const [first, ...rest] = waveforms;
  return (
    <Line
      testid="strax-waveforms"
      title={`Waveforms (first ${waveforms.length} rows, time = sample × dt)`}
      values={pad(first!.y)}
      extra={rest.map((w) => ({ label: w.label, values: pad(w.y) }))}
      x={longest.x}
      xLabel="time since the row start (ns)"
      yLabel="ADC"
      glyphs={longest.x.length <= 200}
    />
  );
}

export const straxFormat: FormatModule = { id: "strax", label: "strax DataDirectory", detect, Panel };
