/** Messages between the page and the viewer's Web Worker (see client.ts and worker.ts). */
import type { SerializedError } from "@daqkit/io";

/** What every job gets besides its arguments. */
export interface JobEnv {
  /** Absolute URL of the h5wasm compression plugins folder (copied beside the app at build). */
  readonly pluginBaseUrl: string;
}

export interface JobRequest {
  readonly id: number;
  readonly job: string;
  readonly args: unknown;
  readonly env: JobEnv;
}

export type JobReply =
  | { readonly id: number; readonly type: "progress"; readonly done: number; readonly total: number; readonly label?: string }
  | { readonly id: number; readonly type: "ok"; readonly result: unknown }
  | { readonly id: number; readonly type: "error"; readonly error: SerializedError };

/** The worker side of one job: report progress, see cancellation (the worker may also be terminated). */
export interface JobContext {
  readonly env: JobEnv;
  progress(done: number, total: number, label?: string): void;
  /** Hand buffers over instead of copying them. */
  transfer(...buffers: ArrayBufferLike[]): void;
}

export type JobHandler = (args: any, ctx: JobContext) => unknown;
