// Bluesky msgpack runs (suitcase-msgpack files, or a folder of them): the catalog with a
// MongoDB-style query box, a run's documents, stream columns as a table and lines, and image columns
// as heatmaps with an event slider.
import { useEffect, useMemo, useState } from "react";
import { JobView, useJob, useWorker } from "../ui/job.js";
import { Heatmap, Line } from "../ui/plots.js";
import { TextTable } from "../ui/text-table.js";
import type { ImageFrame } from "@daqkit/docmodel";
import type { CatalogRow, RunDocuments, StreamView } from "../worker/jobs/bluesky.js";
import type { DetectContext, FormatModule, PanelProps } from "./types.js";

/** A msgpack run starts with a 2-element array (fixarray 0x92) whose first item is the string "start". */
const START = [0x92, 0xa5, 0x73, 0x74, 0x61, 0x72, 0x74];

function detect(ctx: DetectContext): number {
  if (ctx.kind === "file") {
    if (!ctx.path.endsWith(".msgpack")) return 0;
    return START.every((b, i) => ctx.head[i] === b) ? 3 : 1;
  }
  const runs = ctx.entries.filter((e) => e.kind === "file" && e.path.endsWith(".msgpack"));
  if (runs.length === 0) return 0;
  return runs.some((e) => !e.path.includes("/")) ? 3 : 1;
}

type Base = { ref: PanelProps["target"]["input"]["ref"]; path: string; kind: "file" | "directory" };

function Panel({ target }: PanelProps) {
  const client = useWorker();
  const base: Base = { ref: target.input.ref, path: target.path, kind: target.kind };
  const [queryText, setQueryText] = useState("");
  const [query, setQuery] = useState("");
  const [catalog, cancel, retry] = useJob<{ total: number; rows: CatalogRow[] }>(
    client,
    { name: "bluesky.catalog", args: { ...base, query } },
    [target.input, target.path, query],
  );
  return (
    <div data-testid="bluesky-panel">
      <form
        className="controls"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(queryText);
        }}
      >
        <input
          data-testid="bluesky-query"
          size={56}
          placeholder={'MongoDB-style query on the RunStart, e.g. {"plan_name": "scan", "num_points": {"$gt": 3}}'}
          value={queryText}
          onChange={(e) => setQueryText(e.target.value)}
        />
        <button type="submit" data-testid="bluesky-search">
          Search
        </button>
      </form>
      <JobView state={catalog} cancel={cancel} retry={retry} label="Reading the runs">
        {(c) => <Catalog base={base} rows={c.rows} total={c.total} client={client} />}
      </JobView>
    </div>
  );
}

function Catalog({ base, rows, total, client }: { base: Base; rows: CatalogRow[]; total: number; client: ReturnType<typeof useWorker> }) {
  const [uid, setUid] = useState(rows[0]?.uid ?? "");
  useEffect(() => {
    if (!rows.some((r) => r.uid === uid)) setUid(rows[0]?.uid ?? "");
  }, [rows, uid]);
  const table = useMemo(
    () => ({
      columns: ["uid", "scan_id", "plan_name", "time (UTC)", "exit", "streams"],
      rows: rows.map((r) => [r.uid.slice(0, 8), r.scanId, r.planName, r.time, r.exitStatus, r.streams.map((s) => `${s.name} (${s.length})`).join(", ")]),
    }),
    [rows],
  );
  const run = rows.find((r) => r.uid === uid);
  return (
    <>
      <h2>
        Catalog: <span data-testid="bluesky-run-count">{rows.length}</span> of {total} runs
      </h2>
      <TextTable testid="bluesky-catalog" table={table} selectedRow={rows.findIndex((r) => r.uid === uid)} onRowClick={(i) => setUid(rows[i]!.uid)} />
      {run && <Run key={run.uid} base={base} run={run} client={client} />}
    </>
  );
}

function Run({ base, run, client }: { base: Base; run: CatalogRow; client: ReturnType<typeof useWorker> }) {
  const [stream, setStream] = useState(run.streams.find((s) => s.name === "primary")?.name ?? run.streams[0]?.name ?? "");
  const [docs, cancelDocs, retryDocs] = useJob<RunDocuments>(client, { name: "bluesky.documents", args: { ...base, uid: run.uid } }, [run.uid]);
  const [view, cancelView, retryView] = useJob<StreamView>(
    client,
    stream ? { name: "bluesky.stream", args: { ...base, uid: run.uid, stream } } : null,
    [run.uid, stream],
  );
  return (
    <>
      <h2>
        Run <code data-testid="bluesky-run-uid">{run.uid}</code>
      </h2>
      <div className="controls">
        Streams:
        {run.streams.map((s) => (
          <button
            type="button"
            key={s.name}
            className={s.name === stream ? "tab selected" : "tab"}
            data-testid={`bluesky-stream-${s.name}`}
            onClick={() => setStream(s.name)}
          >
            {s.name} ({s.length})
          </button>
        ))}
      </div>
      <JobView state={view} cancel={cancelView} retry={retryView} label={`Reading stream ${stream}`}>
        {(v) => <Stream base={base} uid={run.uid} stream={stream} view={v} client={client} />}
      </JobView>
      <JobView state={docs} cancel={cancelDocs} retry={retryDocs} label="Reading the documents">
        {(d) => (
          <>
            <h3>
              Documents (<span data-testid="bluesky-document-count">{d.total}</span>)
            </h3>
            <ol data-testid="bluesky-documents" className="documents">
              {d.documents.map((doc, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: documents are shown in their order
                <li key={i} data-testid="bluesky-document" data-name={doc.name}>
                  <details>
                    <summary>{doc.name}</summary>
                    <pre style={{ whiteSpace: "pre-wrap", fontSize: "12px" }}>{doc.text}</pre>
                  </details>
                </li>
              ))}
            </ol>
            {d.total > d.documents.length && <p className="muted">… {d.total - d.documents.length} more</p>}
          </>
        )}
      </JobView>
    </>
  );
}

function Stream({ base, uid, stream, view, client }: { base: Base; uid: string; stream: string; view: StreamView; client: ReturnType<typeof useWorker> }) {
  const table = useMemo(
    () => ({
      columns: ["seq_num", "time", ...view.scalars.map((s) => s.name)],
      rows: Array.from({ length: view.length }, (_, i) => [
        String(view.seqNum[i]),
        new Date(view.time[i]! * 1000).toISOString(),
        ...view.scalars.map((s) => s.text[i]!),
      ]),
    }),
    [view],
  );
  const numeric = view.scalars.filter((s) => s.values.some((v) => Number.isFinite(v)));
  const [image, setImage] = useState(view.arrays.find((a) => a.shape.length >= 2)?.name ?? "");
  const [index, setIndex] = useState(0);
  const x = useMemo(() => view.seqNum.map(Number), [view]);
  const extra = useMemo(() => numeric.slice(1).map((s) => ({ label: s.name, values: s.values })), [numeric]);
  const [frame, cancelFrame, retryFrame] = useJob<ImageFrame>(
    client,
    image ? { name: "bluesky.frame", args: { ...base, uid, stream, column: image, index } } : null,
    [uid, stream, image, index],
  );
  return (
    <>
      <p>
        Stream {stream}: <span className="stat" data-testid="bluesky-stream-length">{view.length}</span> events
      </p>
      {view.unfilled && (
        <p className="muted" data-testid="bluesky-unfilled">
          External assets not loaded in the browser (their columns show datum ids): {view.unfilled}
        </p>
      )}
      <div className="row">
        <TextTable testid="bluesky-columns" table={table} />
        {numeric.length > 0 && view.length > 0 && (
          <Line
            testid="bluesky-lines"
            title={numeric.map((s) => s.name).join(", ")}
            values={numeric[0]!.values}
            extra={extra}
            x={x}
            xLabel="seq_num"
            yLabel={numeric[0]!.name}
            glyphs={view.length <= 200}
            small
          />
        )}
      </div>
      {view.arrays.length > 0 && (
        <>
          <div className="controls">
            Image column{" "}
            <select data-testid="bluesky-image-column" value={image} onChange={(e) => setImage(e.target.value)}>
              {view.arrays
                .filter((a) => a.shape.length >= 2)
                .map((a) => (
                  <option key={a.name} value={a.name}>
                    {a.name} [{a.shape.join("×")}]
                  </option>
                ))}
            </select>
            <label>
              event{" "}
              <input
                type="range"
                data-testid="bluesky-event-slider"
                min={0}
                max={Math.max(0, view.length - 1)}
                value={index}
                onChange={(e) => setIndex(Number(e.target.value))}
              />{" "}
              <span data-testid="bluesky-event-index">{index + 1}</span> / {view.length}
            </label>
          </div>
          <JobView state={frame} cancel={cancelFrame} retry={retryFrame} label="Reading the image">
            {(f) => (
              <>
                <p className="muted" data-testid="bluesky-image-range">
                  {f.width}×{f.height}, values {f.min} … {f.max}
                </p>
                <Heatmap
                  testid="bluesky-image"
                  width={f.width}
                  height={f.height}
                  values={f.values}
                  title={`${image}, event ${index + 1} of ${f.events}`}
                  xLabel={f.dims[1] ?? "x"}
                  yLabel={f.dims[0] ?? "y"}
                />
              </>
            )}
          </JobView>
        </>
      )}
    </>
  );
}

export const blueskyFormat: FormatModule = { id: "bluesky", label: "Bluesky runs", detect, Panel };
