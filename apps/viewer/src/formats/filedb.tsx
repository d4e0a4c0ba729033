// FileDB / DataLoader (pygama.flow): a production folder with its FileDB and DataLoader configs — the
// cycle table with a query box, and a load with cuts per level (hit:, evt: through a TCM) into a table
// and a histogram.
import { useEffect, useState } from "react";
import { JobView, useJob, useWorker } from "../ui/job.js";
import { Histogram } from "../ui/plots.js";
import { TextTable } from "../ui/text-table.js";
import type { FiledbConfigs, FiledbCycles, LoadResult } from "../worker/jobs/filedb.js";
import type { DetectContext, FormatModule, PanelProps } from "./types.js";

const CONFIG_NAME = /(^|\/)[^/]*(filedb|data-loader|loader)[^/]*\.json$/i;

function detect(ctx: DetectContext): number {
  if (ctx.kind === "file") return CONFIG_NAME.test(ctx.path) ? 2 : 0;
  const configs = ctx.entries.filter((e) => e.kind === "file" && CONFIG_NAME.test(e.path));
  if (configs.length === 0) return 0;
  return configs.some((e) => !e.path.includes("/")) ? 3 : 2;
}

function Panel({ target }: PanelProps) {
  const client = useWorker();
  // a config file opens the panel on the input's root, with that config chosen
  const folder = target.kind === "directory" ? target.path : "";
  const preferred = target.kind === "file" ? target.path : undefined;
  const base = { ref: target.input.ref, path: folder };
  const [configs, cancelConfigs, retryConfigs] = useJob<FiledbConfigs>(client, { name: "filedb.configs", args: base }, [target.input, folder]);
  return (
    <div data-testid="filedb-panel">
      <JobView state={configs} cancel={cancelConfigs} retry={retryConfigs} label="Looking for FileDB and DataLoader configs">
        {(c) => <Production base={base} configs={c} preferred={preferred} client={client} />}
      </JobView>
    </div>
  );
}

function Production({
  base,
  configs,
  preferred,
  client,
}: {
  base: { ref: PanelProps["target"]["input"]["ref"]; path: string };
  configs: FiledbConfigs;
  preferred?: string;
  client: ReturnType<typeof useWorker>;
}) {
  const usable = configs.loader.filter((l) => l.filedb !== null && configs.filedb.includes(l.filedb));
  const initialLoader = usable.find((l) => l.path === preferred) ?? usable.find((l) => l.filedb === preferred) ?? usable[0];
  const [loaderConfig, setLoaderConfig] = useState(initialLoader?.path ?? "");
  const filedbConfig = usable.find((l) => l.path === loaderConfig)?.filedb ?? preferred ?? configs.filedb[0] ?? "";
  const [dataDir, setDataDir] = useState("");
  const [queryText, setQueryText] = useState("");
  const [query, setQuery] = useState("");
  const open = { ...base, config: filedbConfig, dataDir };
  const [cycles, cancelCycles, retryCycles] = useJob<FiledbCycles>(
    client,
    filedbConfig ? { name: "filedb.cycles", args: { ...open, query } } : null,
    [filedbConfig, dataDir, query],
  );
  if (!filedbConfig) {
    return <div className="notice">No FileDB config (a JSON with file_format and tier_dirs) below this folder.</div>;
  }
  return (
    <>
      <div className="controls">
        <label>
          DataLoader config{" "}
          <select data-testid="filedb-loader-config" value={loaderConfig} onChange={(e) => setLoaderConfig(e.target.value)}>
            {usable.length === 0 && <option value="">(none)</option>}
            {usable.map((l) => (
              <option key={l.path} value={l.path}>
                {l.path}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">
          FileDB config <code data-testid="filedb-config">{filedbConfig}</code>
        </span>
        <label>
          data folder{" "}
          <input
            data-testid="filedb-data-dir"
            placeholder="(from data_dir)"
            defaultValue=""
            onKeyDown={(e) => e.key === "Enter" && setDataDir((e.target as HTMLInputElement).value.trim())}
            onBlur={(e) => setDataDir(e.target.value.trim())}
          />
        </label>
      </div>
      <h2>Cycles</h2>
      <form
        className="controls"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(queryText);
        }}
      >
        <input
          data-testid="filedb-query"
          size={48}
          placeholder="FileDB query, e.g. type == 'cal' and run == 'r001'"
          value={queryText}
          onChange={(e) => setQueryText(e.target.value)}
        />
        <button type="submit" data-testid="filedb-query-run">
          Query
        </button>
      </form>
      <JobView state={cycles} cancel={cancelCycles} retry={retryCycles} label="Scanning the production (files, tables, columns)">
        {(c) => (
          <>
            <p>
              <span className="stat" data-testid="filedb-cycle-count">
                {c.selected.length}
              </span>{" "}
              of {c.table.numRows} cycles{c.query ? ` match ${c.query}` : ""}; data folder <code data-testid="filedb-data-folder">{c.dataDir || "."}</code>,
              tiers {c.tiers.join(", ")}
            </p>
            <TextTable testid="filedb-cycles" table={c.table} />
            {loaderConfig && <Load open={open} loaderConfig={loaderConfig} client={client} />}
          </>
        )}
      </JobView>
    </>
  );
}

const LEVELS = ["hit", "evt"] as const;

function Load({
  open,
  loaderConfig,
  client,
}: {
  open: { ref: PanelProps["target"]["input"]["ref"]; path: string; config: string; dataDir: string };
  loaderConfig: string;
  client: ReturnType<typeof useWorker>;
}) {
  const [form, setForm] = useState({ files: "all", channels: "", hit: "", evt: "", columns: "trapEmax", histogram: "", bins: "100" });
  const [submitted, setSubmitted] = useState<typeof form | null>(null);
  // a new loader config: clear the last load
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the config changes
  useEffect(() => setSubmitted(null), [loaderConfig]);
  const args = submitted && {
    ...open,
    loaderConfig,
    files: submitted.files,
    channels: submitted.channels,
    cuts: { hit: submitted.hit, evt: submitted.evt },
    columns: submitted.columns
      .split(/[\s,]+/)
      .map((c) => c.trim())
      .filter(Boolean),
    histogram: submitted.histogram.trim() || undefined,
    bins: Number(submitted.bins) || 100,
  };
  const [result, cancel, retry] = useJob<LoadResult>(client, args ? { name: "filedb.load", args } : null, [JSON.stringify(args)]);
  const field = (key: keyof typeof form, label: string, size = 24, placeholder = "") => (
    <label>
      {label}{" "}
      <input
        data-testid={key === "histogram" ? "load-histogram-column" : `load-${key}`}
        size={size}
        placeholder={placeholder}
        value={form[key]}
        onChange={(e) => setForm({ ...form, [key]: e.target.value })}
      />
    </label>
  );
  return (
    <>
      <h2>Load (DataLoader)</h2>
      <form
        className="controls"
        onSubmit={(e) => {
          e.preventDefault();
          setSubmitted({ ...form });
        }}
      >
        {field("files", "files", 18, "all, or a FileDB query")}
        {field("channels", "channels", 14, "e.g. 1084803 1084804")}
        {LEVELS.map((level) => (
          <span key={level}>{field(level, `${level}:`, 18, level === "hit" ? "trapEmax > 5000" : "multiplicity > 1")}</span>
        ))}
        {field("columns", "columns", 24, "trapEmax, multiplicity")}
        {field("histogram", "histogram of", 12, "(first column)")}
        {field("bins", "bins", 4)}
        <button type="submit" data-testid="load-run">
          Load
        </button>
      </form>
      <JobView state={result} cancel={cancel} retry={retry} label="Loading">
        {(r) => (
          <>
            <p>
              <span className="stat" data-testid="load-rows">
                {r.numRows}
              </span>{" "}
              rows{r.numRows > r.table.rows.length ? ` (first ${r.table.rows.length} shown)` : ""}
            </p>
            <div className="row">
              <TextTable testid="load-table" table={r.table} />
              {r.histogram ? (
                <Histogram
                  testid="load-histogram"
                  hist={r.histogram}
                  xLabel={r.histogram.column}
                  title={`${r.histogram.column}: ${r.histogram.entries} values${r.histogram.nulls ? `, ${r.histogram.nulls} null` : ""}`}
                />
              ) : (
                <p className="muted" data-testid="load-histogram-error">
                  {r.histogramError ?? "No column to histogram."}
                </p>
              )}
            </div>
          </>
        )}
      </JobView>
    </>
  );
}

export const filedbFormat: FormatModule = { id: "filedb", label: "FileDB / DataLoader", detect, Panel };
