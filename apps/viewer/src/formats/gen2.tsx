// gen2 night: a folder of MKID gen2 `.bin` photon files (or the picked `.bin` files themselves).
import { JobView, useJob, useWorker } from "../ui/job.js";
import type { Gen2ScanResult } from "../worker/jobs/gen2.js";
import type { FormatModule, PanelProps } from "./types.js";

function detect(ctx: Parameters<FormatModule["detect"]>[0]): number {
  if (ctx.kind === "file") return ctx.path.endsWith(".bin") ? 1 : 0;
  // a night: `.bin` files directly in the folder
  return ctx.entries.some((e) => e.kind === "file" && !e.path.includes("/") && e.path.endsWith(".bin")) ? 3 : 0;
}

function Panel({ target }: PanelProps) {
  const client = useWorker();
  const night = target.kind === "directory" ? target.path : target.path.split("/").slice(0, -1).join("/");
  const args = { ref: target.input.ref, path: night };
  const [scan, cancelScan, retryScan] = useJob<Gen2ScanResult>(client, { name: "gen2.scan", args }, [target.input, night]);
  const [count, cancelCount, retryCount] = useJob<{ photons: number[]; total: number }>(
    client,
    scan.status === "done" ? { name: "gen2.count", args } : null,
    [scan.status],
  );
  return (
    <div data-testid="gen2-panel">
      <JobView state={scan} cancel={cancelScan} retry={retryScan} label="Scanning the night">
        {(s) => (
          <>
            <h2>
              Night: {s.files.length} file{s.files.length === 1 ? "" : "s"}, time range{" "}
              <span data-testid="gen2-time-range">
                {s.files[0]!.startUs} – {s.files[s.files.length - 1]!.stopUs} µs
              </span>
              {s.year !== null && (
                <span className="muted" data-testid="gen2-time-range-utc">
                  {" "}
                  ({s.files[0]!.startUtc} – {s.files[s.files.length - 1]!.stopUtc} UTC)
                </span>
              )}
            </h2>
            <JobView state={count} cancel={cancelCount} retry={retryCount} label="Counting photons">
              {(c) => (
                <p>
                  Photons: <span className="stat" data-testid="gen2-photon-count">{c.total}</span>
                </p>
              )}
            </JobView>
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
                    <td data-testid="gen2-file-photons">{count.status === "done" ? count.value.photons[i] : "…"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {s.skipped.length > 0 && (
              <p className="muted">Skipped: {s.skipped.map((k) => `${k.path} (${k.reason})`).join(", ")}</p>
            )}
          </>
        )}
      </JobView>
    </div>
  );
}

export const gen2Format: FormatModule = { id: "gen2", label: "gen2 night", detect, Panel };
