/**
 * Outcome classes of the fault suites; no Node built-ins, so worker scripts can bundle it.
 */

/** True for an error thrown by a daqkit package (the `Symbol.for("daqkit.error")` marker). */
export function isDaqkitError(error: unknown): error is Error & { code: string } {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as Record<symbol, unknown>)[Symbol.for("daqkit.error")] === true &&
    typeof (error as { code?: unknown }).code === "string"
  );
}

/** What one input did. `ok` and `coded` are acceptable; `uncaught` and `hang` are defects. */
export type Outcome =
  | { readonly kind: "ok"; readonly detail?: string }
  | { readonly kind: "coded"; readonly code: string; readonly message: string }
  | { readonly kind: "uncaught"; readonly name: string; readonly message: string; readonly stack?: string }
  | { readonly kind: "hang"; readonly ms: number };

/** Classify a thrown value (use inside the code under test, in-process or in a worker). */
export function classify(error: unknown): Outcome {
  if (isDaqkitError(error)) return { kind: "coded", code: error.code, message: error.message };
  const e = error instanceof Error ? error : new Error(String(error));
  return { kind: "uncaught", name: e.name, message: e.message, stack: e.stack };
}

/** One input for `runIsolated`: a label and whatever the worker script expects (transferable). */
export interface IsolatedInput {
  readonly label: string;
  readonly data: unknown;
}
