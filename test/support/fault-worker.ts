/**
 * The worker side of `runIsolated` (./fault.ts): import this in a worker script, call
 * `serveInputs(handler)`; each input's handler result or thrown error is classified and posted back.
 */
import { parentPort, workerData } from "node:worker_threads";
import { classify, type IsolatedInput, type Outcome } from "./outcome.js";

/** Serve inputs posted by `runIsolated` with `handler` (return value: optional detail string). */
export function serveInputs(handler: (data: unknown, label: string, workerData: unknown) => unknown): void {
  if (!parentPort) throw new Error("serveInputs must run in a worker thread");
  const port = parentPort;
  port.on("message", async (input: IsolatedInput) => {
    let outcome: Outcome;
    try {
      const detail = await handler(input.data, input.label, workerData);
      outcome = { kind: "ok", detail: typeof detail === "string" ? detail : undefined };
    } catch (error) {
      outcome = classify(error);
    }
    port.postMessage(outcome);
  });
}
