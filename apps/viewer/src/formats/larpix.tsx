// LArPix raw HDF5 message files (larpix-control's rawhdf5 format): version, io_groups, messages
// with their PACMAN header fields, decoded packets, ADC histogram and chip × channel occupancy.
import { useState } from "react";
import { JobView, useJob, useWorker } from "../ui/job.js";
import { Heatmap, Histogram } from "../ui/plots.js";
import type { WorkerClient } from "../worker/client.js";
import type { LarpixPage, LarpixSummary } from "../worker/jobs/larpix.js";
import { hdf5RootMembers } from "./hdf5-root.js";
import type { DetectContext, FormatModule, PanelProps } from "./types.js";

async function detect(ctx: DetectContext): Promise<number> {
  const members = await hdf5RootMembers(ctx);
  if (members === null) return 0;
  return members.includes("msgs") && members.includes("meta") ? 3 : 0;
}

function unixText(s: number): string {
  return Number.isFinite(s) ? new Date(s * 1000).toISOString().replace("T", " ").replace("Z", " UTC") : "—";
}

function Panel({ target }: PanelProps) {
  const client = useWorker();
  const args = { ref: target.input.ref, path: target.path };
  const [sum, cancel, retry] = useJob<LarpixSummary>(client, { name: "larpix.summary", args }, [target.input, target.path]);
  return (
    <div data-testid="larpix-panel">
      <JobView state={sum} cancel={cancel} retry={retry} label="Reading and decoding the messages">
        {(s) => (
          <>
            <h2>LArPix raw file {target.path}</h2>
            <table className="data" data-testid="larpix-meta">
              <tbody>
                <tr>
                  <th>version</th>
                  <td data-testid="larpix-version">{s.version}</td>
                  <th>io_version</th>
                  <td data-testid="larpix-io-version">{s.ioVersion ?? "—"}</td>
                </tr>
                <tr>
                  <th>created</th>
                  <td>{unixText(s.created)}</td>
                  <th>modified</th>
                  <td>{unixText(s.modified)}</td>
                </tr>
                <tr>
                  <th>messages</th>
                  <td data-testid="larpix-message-count">{s.messages}</td>
                  <th>packets</th>
                  <td data-testid="larpix-packet-count">{s.packets}</td>
                </tr>
                <tr>
                  <th>data packets</th>
                  <td data-testid="larpix-data-packet-count">{s.dataPackets}</td>
                  <th>bad parity</th>
                  <td>{s.badParity}</td>
                </tr>
              </tbody>
            </table>
            <div className="row">
              <div>
                <h3>io_groups</h3>
                <table className="data" data-testid="larpix-io-groups">
                  <thead>
                    <tr>
                      <th>io_group</th>
                      <th>messages</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.ioGroups.map(([g, n]) => (
                      <tr key={g}>
                        <td>{g}</td>
                        <td data-testid="larpix-io-group-count" data-io-group={g}>
                          {n}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <div>
                <h3>Packet types</h3>
                <table className="data" data-testid="larpix-packet-types">
                  <tbody>
                    {s.packetTypes.map(([t, n]) => (
                      <tr key={t}>
                        <td style={{ textAlign: "left" }}>{t}</td>
                        <td>{n}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
            <div className="row">
              <Histogram hist={s.adc} title={`ADC of ${s.dataPackets} data packets`} xLabel="ADC (dataword)" testid="larpix-adc-histogram" />
              {s.occupancy.chips.length > 0 ? (
                <div>
                  <Heatmap
                    values={s.occupancy.counts}
                    width={s.occupancy.channels}
                    height={s.occupancy.chips.length}
                    title={`Occupancy: data packets per chip × channel (max ${s.occupancy.max})`}
                    xLabel="channel"
                    yLabel="chip (row, see keys)"
                    testid="larpix-occupancy"
                  />
                  <p className="muted" data-testid="larpix-chips">
                    chip rows (io_group-io_channel-chip_id): {s.occupancy.chips.map((c, i) => `${i}: ${c}`).join(", ")}
                  </p>
                </div>
              ) : (
                <p className="muted">No data packets: no occupancy.</p>
              )}
            </div>
            <Messages client={client} args={args} total={s.messages} />
          </>
        )}
      </JobView>
    </div>
  );
}

const PAGE = 20;

function Messages({ client, args, total }: { client: WorkerClient; args: { ref: unknown; path: string }; total: number }) {
  const [start, setStart] = useState(0);
  const [page, cancel, retry] = useJob<LarpixPage>(client, { name: "larpix.page", args: { ...args, start, count: PAGE } }, [start, args.path]);
  if (total === 0) return <p>No messages.</p>;
  return (
    <>
      <h3>Messages and packets</h3>
      <div className="controls">
        <button type="button" disabled={start === 0} onClick={() => setStart(Math.max(0, start - PAGE))} data-testid="larpix-page-prev">
          ◀ previous
        </button>
        <span>
          messages {start}–{Math.min(total, start + PAGE) - 1} of {total}
        </span>
        <button type="button" disabled={start + PAGE >= total} onClick={() => setStart(start + PAGE)} data-testid="larpix-page-next">
          next ▶
        </button>
      </div>
      <JobView state={page} cancel={cancel} retry={retry} label="Decoding messages">
        {(p) => (
          <>
            <table className="data" data-testid="larpix-messages">
              <thead>
                <tr>
                  <th>message</th>
                  <th>io_group</th>
                  <th>bytes</th>
                  <th>type</th>
                  <th>PACMAN time</th>
                  <th>word count (header)</th>
                  <th>words</th>
                </tr>
              </thead>
              <tbody>
                {p.messages.map((m) => (
                  <tr key={m.index} data-testid="larpix-message-row">
                    <td>{m.index}</td>
                    <td>{m.ioGroup}</td>
                    <td>{m.bytes}</td>
                    <td>{m.type}</td>
                    <td title={unixText(m.unixTime)}>{m.unixTime}</td>
                    <td>{m.wordCount}</td>
                    <td>{m.words}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h3>Decoded packets of these messages ({p.packets.length})</h3>
            <div className="table-scroll">
              <table className="data" data-testid="larpix-packets">
                <thead>
                  <tr>
                    {p.fields.map((f) => (
                      <th key={f}>{f}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {p.packets.map((row, r) => ({ key: `${start}:${r}`, row, r })).map(({ key, row, r }) => (
                    <tr key={key}>
                      {row.map((v, c) => (
                        <td key={p.fields[c]} data-testid="larpix-packet-cell" data-row={r} data-col={p.fields[c]}>
                          {v}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </JobView>
    </>
  );
}

export const larpixFormat: FormatModule = { id: "larpix", label: "LArPix raw", detect, Panel };
