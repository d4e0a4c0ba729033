// gen2 night: a folder of MKID gen2 `.bin` photon files (or `.bin` files picked together).
import { GEN2_WRAP_US, gen2UsToDate } from "@daqkit/timestamps";
import { useEffect, useMemo, useState } from "react";
import { ErrorBox, JobView, useJob, useWorker } from "../ui/job.js";
import { Heatmap, Histogram, Line, Staggered } from "../ui/plots.js";
import type { WorkerClient } from "../worker/client.js";
import type { Gen2BinArgs, Gen2BinReply, Gen2ScanResult } from "../worker/jobs/gen2.js";
import type { DetectContext, FormatModule, PanelProps } from "./types.js";
import { gen2ScanJob, isGen2Night, niceBinUs } from "./gen2-defaults.js";

function detect(ctx: DetectContext): number {
  if (ctx.kind === "file") return ctx.path.endsWith(".bin") ? 1 : 0;
  // a night: `.bin` files directly in the folder
  return isGen2Night(ctx.entries) ? 3 : 0;
}

export { niceBinUs } from "./gen2-defaults.js";

/** UTC of a night time (mod M), unwrapped relative to the night's start (see the worker's `utc`). */
function utcOf(us: number, year: number | null, nightStartUs: number): string {
  if (year === null || !Number.isSafeInteger(us) || us < 0 || us >= GEN2_WRAP_US) return "";
  const unwrapped = nightStartUs + ((((us - nightStartUs) % GEN2_WRAP_US) + GEN2_WRAP_US) % GEN2_WRAP_US);
  return gen2UsToDate(unwrapped, year).toISOString().replace("T", " ").replace("Z", "");
}

/** The night a target names: the folder, or a `.bin` file's folder. */
export function nightOf(target: { kind: "file" | "directory"; path: string }): string {
  return target.kind === "directory" ? target.path : target.path.split("/").slice(0, -1).join("/");
}

function Panel({ target }: PanelProps) {
  const night = nightOf(target);
  // the scan, after which the worker goes on to bin the whole night as the Night below asks (no round
  // trip through the page first); for a served night the bootstrap may have started it already
  const first = gen2ScanJob(target.input.ref, night);
  const client = useWorker(first);
  const [scan, cancelScan, retryScan] = useJob<Gen2ScanResult>(client, first, [target.input, night]);
  return (
    <div data-testid="gen2-panel">
      <JobView state={scan} cancel={cancelScan} retry={retryScan} label="Scanning the night">
        {(s) => <Night scan={s} target={target} night={night} client={client} />}
      </JobView>
    </div>
  );
}

function Night({
  scan: s,
  target,
  night,
  client,
}: {
  scan: Gen2ScanResult;
  target: PanelProps["target"];
  night: string;
  /** The panel's worker, which scanned the night and keeps it open: the whole night is binned there. */
  client: WorkerClient;
}) {
  const rangeClient = useWorker();
  const defaultBin = niceBinUs(s.durationUs);
  const [binText, setBinText] = useState(String(defaultBin));
  const [fromText, setFromText] = useState(String(s.startUs));
  const [toText, setToText] = useState(String(s.stopUs));
  const [query, setQuery] = useState<{ range: [number, number]; binUs: number } | null>(null);
  const [inputError, setInputError] = useState<{ code: string; message: string } | null>(null);

  const base = { ref: target.input.ref, path: night };
  const [whole, cancelWhole, retryWhole] = useJob<Gen2BinReply>(
    client,
    { name: "gen2.bin", args: { ...base, range: null, binUs: defaultBin } satisfies Gen2BinArgs },
    [target.input, night],
  );
  const [ranged, cancelRanged, retryRanged] = useJob<Gen2BinReply>(
    rangeClient,
    query ? { name: "gen2.bin", args: { ...base, range: query.range, binUs: query.binUs } satisfies Gen2BinArgs } : null,
    [query],
  );

  const apply = () => {
    const from = Number(fromText);
    const to = Number(toText);
    const bin = Number(binText);
    const bad = (what: string) => setInputError({ code: "VIEW_BAD_INPUT", message: what });
    if (!Number.isSafeInteger(from) || from < 0 || from >= GEN2_WRAP_US) return bad(`from: expected an integer µs in [0, ${GEN2_WRAP_US}), found ${JSON.stringify(fromText)}`);
    if (!Number.isSafeInteger(to) || to < 0 || to >= GEN2_WRAP_US) return bad(`to: expected an integer µs in [0, ${GEN2_WRAP_US}), found ${JSON.stringify(toText)}`);
    if (!Number.isSafeInteger(bin) || bin < 1) return bad(`light-curve bin: expected a positive integer µs, found ${JSON.stringify(binText)}`);
    setInputError(null);
    setQuery({ range: [from, to], binUs: bin });
  };

  const first = s.files[0]!;
  const last = s.files[s.files.length - 1]!;
  return (
    <>
      <h2>
        Night {night || target.input.name}: {s.files.length} file{s.files.length === 1 ? "" : "s"}
      </h2>
      <p>
        Time range:{" "}
        <span data-testid="gen2-time-range">
          {s.startUs} – {s.stopUs} µs
        </span>
        {s.startUs > s.stopUs && <span className="muted"> (crosses the 36-bit counter wrap)</span>}
        {s.year !== null ? (
          <span className="muted" data-testid="gen2-time-range-utc">
            {" "}
            = {first.startUtc} – {last.stopUtc} UTC (epoch year {s.year})
          </span>
        ) : (
          <span className="muted"> (UTC unknown: file names are not unix seconds)</span>
        )}
      </p>
      <JobView state={whole} cancel={cancelWhole} retry={retryWhole} label="Decoding and binning the night">
        {(w) => (
          <>
            <p>
              Photons: <span className="stat" data-testid="gen2-photon-count">{w.photons}</span>
              <span className="muted">
                {" "}
                ({w.widePhotons} with x or y ≥ 256{w.firstUs !== null ? `; first ${w.firstUs} µs, last ${w.lastUs} µs` : ""})
              </span>
            </p>
            {w.warnings.map((x) => (
              <ErrorBox key={x.message} error={x} testid="warning" />
            ))}
          </>
        )}
      </JobView>
      <FileTable scan={s} whole={whole.status === "done" ? whole.value : null} />
      {whole.status === "done" && <Boards boards={whole.value.boards} />}

      <h2>Time range</h2>
      <div className="controls" data-testid="gen2-range-controls">
        <label>
          from (µs){" "}
          <input data-testid="gen2-from" value={fromText} onChange={(e) => setFromText(e.target.value)} size={18} />
        </label>
        <label>
          to (µs) <input data-testid="gen2-to" value={toText} onChange={(e) => setToText(e.target.value)} size={18} />
        </label>
        <label>
          light-curve bin (µs){" "}
          <input data-testid="gen2-bin" value={binText} onChange={(e) => setBinText(e.target.value)} size={10} />
        </label>
        <button type="button" data-testid="gen2-apply" onClick={apply}>
          Show range
        </button>
        <button
          type="button"
          onClick={() => {
            setFromText(String(s.startUs));
            setToText(String(s.stopUs));
            setQuery(null);
          }}
        >
          Whole night
        </button>
        <span className="muted">
          {utcOf(Number(fromText), s.year, s.startUs)} – {utcOf(Number(toText), s.year, s.startUs)}
          {Number(fromText) > Number(toText) ? " (across the wrap)" : ""}
        </span>
      </div>
      {inputError && <ErrorBox error={inputError} />}
      {query ? (
        <JobView state={ranged} cancel={cancelRanged} retry={retryRanged} label="Binning the range">
          {(r) => (
            <>
              <p>
                Photons in range: <span className="stat" data-testid="gen2-range-photon-count">{r.photons}</span>{" "}
                <span className="muted">
                  ({r.files.length} file(s) decoded, {r.outside} photons of those outside)
                </span>
              </p>
              <Pictures binned={r} />
            </>
          )}
        </JobView>
      ) : (
        whole.status === "done" && <Pictures binned={whole.value} />
      )}
    </>
  );
}

function FileTable({ scan: s, whole }: { scan: Gen2ScanResult; whole: Gen2BinReply | null }) {
  return (
    <table className="data" data-testid="gen2-files">
      <thead>
        <tr>
          <th>file</th>
          <th>board</th>
          <th>bytes</th>
          <th>start µs</th>
          <th>stop µs</th>
          <th>start UTC</th>
          <th>stop UTC</th>
          <th>photons</th>
        </tr>
      </thead>
      <tbody>
        {s.files.map((f, i) => (
          <tr key={f.path} data-testid="gen2-file-row">
            <td style={{ textAlign: "left" }}>{f.name}</td>
            <td>{f.board}</td>
            <td>{f.size}</td>
            <td>{f.startUs}</td>
            <td>{f.stopUs}</td>
            <td>{f.startUtc ?? "—"}</td>
            <td>{f.stopUtc ?? "—"}</td>
            <td data-testid="gen2-file-photons">{whole?.filePhotons ? whole.filePhotons[i] : "…"}</td>
          </tr>
        ))}
        {s.skipped.map((k) => (
          <tr key={k.path}>
            <td style={{ textAlign: "left" }}>{k.path}</td>
            <td colSpan={7} style={{ textAlign: "left" }} className="muted">
              skipped: {k.reason}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Boards({ boards }: { boards: [number, number][] }) {
  return (
    <>
      <h3>Photons per board</h3>
      <table className="data" data-testid="gen2-boards">
        <tbody>
          <tr>
            <th>board</th>
            {boards.map(([b]) => (
              <td key={b}>{b}</td>
            ))}
          </tr>
          <tr>
            <th>photons</th>
            {boards.map(([b, c]) => (
              <td key={b} data-testid="gen2-board-count" data-board={b}>
                {c}
              </td>
            ))}
          </tr>
        </tbody>
      </table>
    </>
  );
}

function Pictures({ binned }: { binned: Gen2BinReply }) {
  const curveX = useMemo(() => {
    const n = binned.lightCurve.counts.length;
    const x = new Float64Array(n);
    // seconds since the first bin's start
    for (let i = 0; i < n; i++) x[i] = (i * binned.lightCurve.binUs) / 1e6;
    return x;
  }, [binned]);
  // The count image first, alone: the light curve and histograms (three more WebGL canvases, each a
  // long task to set up in software GL) mount once it has drawn, one per task (issue 16), or after
  // IMAGE_WAIT_MS if it has not (e.g. a hidden page draws nothing).
  const [imageDrawn, setImageDrawn] = useState(false);
  useEffect(() => {
    const t = setTimeout(() => setImageDrawn(true), IMAGE_WAIT_MS);
    return () => clearTimeout(t);
  }, []);
  return (
    <div className="grid2">
      <Heatmap
        values={binned.image.counts}
        width={binned.image.width}
        height={binned.image.height}
        title={`Count image (${binned.photons} photons, max ${binned.image.max} per pixel)`}
        testid="gen2-image"
        // two frames later, so that the frame with the image reaches the screen before the next long task
        onDrawn={() => requestAnimationFrame(() => requestAnimationFrame(() => setImageDrawn(true)))}
      />
      {imageDrawn && (
        <Staggered>
          {[
            <Line
              key="curve"
              values={binned.lightCurve.counts}
              x={curveX}
              title={`Light curve: photons per ${binned.lightCurve.binUs} µs bin from ${binned.lightCurve.originUs} µs`}
              xLabel="seconds from the first bin"
              yLabel="photons"
              testid="gen2-light-curve"
              step
            />,
            <Histogram key="phase" hist={binned.phase} title="Phase" xLabel="raw phase (rad × 32768)" testid="gen2-phase-histogram" />,
            <Histogram key="baseline" hist={binned.baseline} title="Baseline" xLabel="raw baseline (rad × 16384)" testid="gen2-baseline-histogram" />,
          ]}
        </Staggered>
      )}
    </div>
  );
}

/** How long the other plots wait for the count image to draw before they mount anyway. */
const IMAGE_WAIT_MS = 5000;

export const gen2Format: FormatModule = { id: "gen2", label: "gen2 night", detect, Panel };
