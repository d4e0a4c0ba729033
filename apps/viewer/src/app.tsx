import { useCallback, useEffect, useRef, useState } from "react";
import { type Detection, detectFormats } from "./formats/detect.js";
import { formats } from "./formats/index.js";
import { type OpenedInput, filesOfDrop, openFiles, openServed, type Target } from "./input.js";
import { codedError, ErrorBox } from "./ui/job.js";
import { isServedUrl } from "./served.js";
import { preloadPlots } from "./ui/plots.js";
import { dropEarly, prestartWorker } from "./worker/client.js";

function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

type Opening = { status: "none" } | { status: "opening" } | { status: "open"; input: OpenedInput; serial: number } | { status: "error"; error: { code: string; message: string } };

export function App() {
  // a served page opens its listing at once: it starts as "opening", not with the empty page's text for a
  // moment (issue 16: each change of what the page shows is a frame, ~20 ms of GPU-process CPU when software-rendered)
  const [opening, setOpening] = useState<Opening>(() => (isServedUrl(location.href) ? { status: "opening" } : { status: "none" }));
  const [dragging, setDragging] = useState(false);
  const serial = useRef(0);

  const open = useCallback(async (make: () => Promise<OpenedInput | undefined>) => {
    setOpening({ status: "opening" });
    // the first panel's worker starts (its script loads and compiles) while the input is listed and detected
    prestartWorker();
    try {
      const input = await make();
      serial.current++;
      setOpening(input ? { status: "open", input, serial: serial.current } : { status: "none" });
    } catch (error) {
      setOpening({ status: "error", error: codedError(error) });
    }
  }, []);

  useEffect(() => {
    if (isServedUrl(location.href)) void open(() => openServed(location));
  }, [open]);

  const onFiles = (list: FileList | null) => {
    const files = Array.from(list ?? []);
    if (files.length === 0) return;
    // a served night's scan started by the bootstrap is not for these
    dropEarly();
    void open(() => openFiles(files));
  };
  // Drops anywhere in the window (files or folders).
  useEffect(() => {
    const over = (event: DragEvent) => {
      event.preventDefault();
      setDragging(true);
    };
    const leave = () => setDragging(false);
    const drop = (event: DragEvent) => {
      event.preventDefault();
      setDragging(false);
      const transfer = event.dataTransfer;
      if (!transfer) return;
      dropEarly();
      void open(async () => openFiles(await filesOfDrop(transfer), "dropped"));
    };
    window.addEventListener("dragover", over);
    window.addEventListener("dragleave", leave);
    window.addEventListener("drop", drop);
    return () => {
      window.removeEventListener("dragover", over);
      window.removeEventListener("dragleave", leave);
      window.removeEventListener("drop", drop);
    };
  }, [open]);

  return (
    <div className={dragging ? "app dragging" : "app"} data-testid="app">
      <header>
        <h1>daqkit viewer</h1>
        <label className="button">
          Open files…
          <input type="file" multiple hidden data-testid="open-files" onChange={(e) => onFiles(e.target.files)} />
        </label>
        <label className="button">
          Open folder…
          <input
            type="file"
            hidden
            data-testid="open-folder"
            ref={(el) => {
              el?.setAttribute("webkitdirectory", "");
            }}
            onChange={(e) => onFiles(e.target.files)}
          />
        </label>
        <span className="muted">or drop files or a folder anywhere. Nothing is uploaded: files are read in this page.</span>
      </header>
      {opening.status === "none" && (
        <div className="empty" data-testid="empty">
          Open a gen2 night (folder of <code>.bin</code> files), an LH5 file or a LArPix raw file.
        </div>
      )}
      {opening.status === "opening" && <div className="job">Opening…</div>}
      {opening.status === "error" && <ErrorBox error={opening.error} />}
      {opening.status === "open" && <Browser key={opening.serial} input={opening.input} />}
    </div>
  );
}

function Browser({ input }: { input: OpenedInput }) {
  const initial: { path: string; kind: "file" | "directory" } = input.initialPath
    ? { path: input.initialPath, kind: "file" }
    : { path: "", kind: "directory" };
  const [selected, setSelected] = useState(initial);
  // the plotting code loads while the panel's worker reads the data (a failure shows where a plot would be)
  useEffect(() => {
    preloadPlots().catch(() => undefined);
  }, []);
  const dirs = input.entries.filter((e) => e.kind === "directory");
  const files = input.entries.filter((e) => e.kind === "file");
  return (
    <div className="browser">
      <nav className="sidebar" data-testid="entries">
        <button
          type="button"
          className={selected.path === "" ? "entry selected" : "entry"}
          data-testid="entry-root"
          onClick={() => setSelected({ path: "", kind: "directory" })}
        >
          {input.name}/
        </button>
        {[...dirs, ...files]
          .sort((a, b) => (a.path < b.path ? -1 : 1))
          .map((e) => (
            <button
              type="button"
              key={e.path}
              className={selected.path === e.path ? "entry selected" : "entry"}
              data-testid="entry"
              data-path={e.path}
              style={{ paddingLeft: `${0.5 + e.path.split("/").length - 1}em` }}
              onClick={() => setSelected({ path: e.path, kind: e.kind })}
            >
              {e.path.split("/").pop()}
              {e.kind === "directory" ? "/" : ""}
              {e.kind === "file" && <span className="muted"> {formatSize(e.size)}</span>}
            </button>
          ))}
      </nav>
      <main>
        <TargetView key={`${selected.kind}:${selected.path}`} target={{ input, ...selected }} />
      </main>
    </div>
  );
}

function TargetView({ target }: { target: Target }) {
  const [detections, setDetections] = useState<Detection[] | null>(null);
  const [error, setError] = useState<{ code: string; message: string } | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const alive = useRef(true);
  // nothing to show, or no panel: a job the bootstrap started early is not needed (a panel that
  // mounts takes it or stops it, see useWorker)
  useEffect(() => {
    if (error || detections?.length === 0) dropEarly();
  }, [error, detections]);
  useEffect(() => {
    alive.current = true;
    detectFormats(target.input, target.path, target.kind).then(
      (d) => alive.current && setDetections(d),
      (e) => alive.current && setError(codedError(e)),
    );
    return () => {
      alive.current = false;
    };
  }, [target.input, target.path, target.kind]);
  if (error) return <ErrorBox error={error} />;
  if (!detections) return <div className="job">Detecting the format…</div>;
  if (detections.length === 0) {
    if (target.kind === "directory") {
      return (
        <div className="notice" data-testid="no-format">
          No viewer claims this folder as a whole: choose a file or a sub-folder on the left.
        </div>
      );
    }
    return (
      <div data-testid="no-format">
        <ErrorBox
          error={{
            code: "VIEW_UNKNOWN_FORMAT",
            message: `view: ${target.path}: not a format the viewer knows (a folder of gen2 .bin files, an LH5 file, a LArPix raw HDF5 file${formats.length > 3 ? ", …" : ""})`,
          }}
        />
      </div>
    );
  }
  const current = detections.find((d) => d.format.id === chosen) ?? detections[0]!;
  const Panel = current.format.Panel;
  return (
    <section data-testid="panel" data-format={current.format.id}>
      <div className="tabs">
        {detections.map((d) => (
          <button
            type="button"
            key={d.format.id}
            className={d === current ? "tab selected" : "tab"}
            data-testid={`format-${d.format.id}`}
            onClick={() => setChosen(d.format.id)}
          >
            {d.format.label}
          </button>
        ))}
        <span className="muted path">{target.path || target.input.name}</span>
      </div>
      <Panel target={target} />
    </section>
  );
}
