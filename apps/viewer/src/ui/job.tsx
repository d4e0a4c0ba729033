import { type DependencyList, type ReactNode, useEffect, useMemo, useRef, useState } from "react";
import { CancelledError, dropEarly, type Progress, takeEarly, WorkerClient } from "../worker/client.js";

export type JobState<T> =
  | { readonly status: "idle" }
  | { readonly status: "running"; readonly progress?: Progress }
  | { readonly status: "done"; readonly value: T }
  | { readonly status: "error"; readonly error: { code: string; message: string } }
  | { readonly status: "cancelled" };

/**
 * One worker per panel, closed when the panel goes away. `first` is the panel's first job: when the
 * bootstrap started that job (same name and arguments) before the app loaded, the panel takes its
 * client and the job under way (issue 16); otherwise such an early job is stopped (the user opened
 * something else).
 */
export function useWorker(first?: { name: string; args: unknown }): WorkerClient {
  // biome-ignore lint/correctness/useExhaustiveDependencies: one client for the panel's life
  const client = useMemo(() => {
    const taken = first ? takeEarly(first.name, first.args) : undefined;
    if (!taken) dropEarly();
    return taken ?? new WorkerClient();
  }, []);
  useEffect(() => () => client.close(), [client]);
  return client;
}

export function codedError(error: unknown): { code: string; message: string } {
  const e = error as { code?: unknown; message?: unknown };
  return { code: typeof e?.code === "string" ? e.code : "VIEW_FAILED", message: typeof e?.message === "string" ? e.message : String(error) };
}

/**
 * Run `job` in the panel's worker whenever `deps` change (not when `job` is null); the previous run is
 * cancelled. Returns the state, a cancel function and a retry function.
 */
export function useJob<T>(
  client: WorkerClient,
  job: { name: string; args: unknown } | null,
  deps: DependencyList,
): [JobState<T>, () => void, () => void] {
  const [state, setState] = useState<JobState<T>>({ status: "idle" });
  const controller = useRef<AbortController | null>(null);
  const [attempt, setAttempt] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps describe the job
  useEffect(() => {
    if (!job) {
      setState({ status: "idle" });
      return;
    }
    const ac = new AbortController();
    controller.current = ac;
    setState({ status: "running" });
    client
      .run<T>(job.name, job.args, {
        signal: ac.signal,
        onProgress: (progress) => {
          if (!ac.signal.aborted) setState({ status: "running", progress });
        },
      })
      .then(
        (value) => {
          if (!ac.signal.aborted) setState({ status: "done", value });
        },
        (error: unknown) => {
          if (error instanceof CancelledError) setState({ status: "cancelled" });
          else if (!ac.signal.aborted) setState({ status: "error", error: codedError(error) });
        },
      );
    return () => ac.abort();
  }, [...deps, attempt]);
  return [state, () => controller.current?.abort(), () => setAttempt((a) => a + 1)];
}

export function ErrorBox({ error, testid = "error" }: { error: { code: string; message: string }; testid?: string }) {
  return (
    <div className="error" role="alert" data-testid={testid}>
      <strong data-testid={`${testid}-code`}>{error.code}</strong> <span>{error.message}</span>
    </div>
  );
}

/** Progress bar + cancel while running, the coded error, a "cancelled" note with retry; else the children. */
export function JobView<T>({
  state,
  cancel,
  retry,
  label,
  children,
}: {
  state: JobState<T>;
  cancel: () => void;
  retry: () => void;
  label: string;
  children: (value: T) => ReactNode;
}) {
  if (state.status === "running") {
    const p = state.progress;
    const pct = p && p.total > 0 ? Math.min(100, (100 * p.done) / p.total) : undefined;
    return (
      <div className="job" data-testid="job-running">
        <span>{label}…</span>
        {/* no bar until the job reports progress: an indeterminate <progress> animates, and in
            software-rendered Chromium each of its frames costs ~20 ms of GPU-process CPU (issue 16) */}
        {pct !== undefined && (
          <>
            <progress max={100} value={pct} />
            <span>{pct.toFixed(0)} %</span>
          </>
        )}
        {p?.label && <span className="muted"> {p.label}</span>}
        <button type="button" onClick={cancel} data-testid="job-cancel">
          Cancel
        </button>
      </div>
    );
  }
  if (state.status === "error") return <ErrorBox error={state.error} />;
  if (state.status === "cancelled")
    return (
      <div className="job">
        {label}: cancelled.{" "}
        <button type="button" onClick={retry}>
          Run again
        </button>
      </div>
    );
  if (state.status === "done") return <>{children(state.value)}</>;
  return null;
}
