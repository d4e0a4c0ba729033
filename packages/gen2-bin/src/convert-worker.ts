/**
 * Worker-thread entry of the Parquet conversion (built to `dist/convert-worker.js`). Receives
 * {@link ConvertJob}s, answers each with `{ id, result }` or `{ id, error }`.
 */
import { parentPort } from "node:worker_threads";
import { type ConvertJob, convertBinFile } from "./convert-file.js";

/** Message from the main thread. */
export interface WorkerRequest {
  id: number;
  job: ConvertJob;
}

/** Serialised error (coded errors keep their code, path and offset). */
export interface WorkerErrorPayload {
  name: string;
  code?: string;
  message: string;
  path?: string;
  byteOffset?: number;
  stack?: string;
}

if (parentPort) {
  const port = parentPort;
  port.on("message", (message: WorkerRequest) => {
    convertBinFile(message.job).then(
      (result) => port.postMessage({ id: message.id, result }),
      (error: unknown) => {
        const e = error as Partial<WorkerErrorPayload> & Error;
        const payload: WorkerErrorPayload = {
          name: e?.name ?? "Error",
          message: e?.message ?? String(error),
          ...(typeof e?.code === "string" ? { code: e.code } : {}),
          ...(typeof e?.path === "string" ? { path: e.path } : {}),
          ...(typeof e?.byteOffset === "number" ? { byteOffset: e.byteOffset } : {}),
          ...(typeof e?.stack === "string" ? { stack: e.stack } : {}),
        };
        port.postMessage({ id: message.id, error: payload });
      },
    );
  });
}
