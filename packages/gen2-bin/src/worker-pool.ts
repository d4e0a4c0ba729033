/** A small pool of conversion worker threads. */
import { Worker } from "node:worker_threads";
import type { ConvertJob, ConvertResult } from "./convert-file.js";
import type { WorkerErrorPayload } from "./convert-worker.js";
import { Gen2BinError, type Gen2BinErrorCode } from "./errors.js";

interface Pending {
  job: ConvertJob;
  resolve: (r: ConvertResult) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
  id: number;
}

function revive(payload: WorkerErrorPayload): Error {
  if (payload.code?.startsWith("GEN2_")) {
    const error = new Gen2BinError(payload.code as Gen2BinErrorCode, payload.message, {
      ...(payload.path !== undefined ? { path: payload.path } : {}),
      ...(payload.byteOffset !== undefined ? { byteOffset: payload.byteOffset } : {}),
    });
    return error;
  }
  return new Gen2BinError("GEN2_WORKER_FAILED", `gen2: conversion worker failed: ${payload.message}`, {
    cause: Object.assign(new Error(payload.message), { name: payload.name, stack: payload.stack }),
  });
}

/** Runs {@link ConvertJob}s on `size` worker threads, in submission order per idle worker. */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(script: URL | string, size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(script);
      const slot: Slot = { worker, busy: null, id: 0 };
      worker.on("message", (message: { id: number; result?: ConvertResult; error?: WorkerErrorPayload }) => {
        const pending = slot.busy;
        slot.busy = null;
        if (pending) {
          if (message.error) pending.reject(revive(message.error));
          else pending.resolve(message.result!);
        }
        this.pump();
      });
      const fail = (error: unknown) => {
        const pending = slot.busy;
        slot.busy = null;
        const index = this.slots.indexOf(slot);
        if (index >= 0) this.slots.splice(index, 1);
        const wrapped = new Gen2BinError("GEN2_WORKER_FAILED", `gen2: conversion worker died: ${String(error)}`, { cause: error });
        pending?.reject(wrapped);
        if (this.slots.length === 0) {
          for (const p of this.queue.splice(0)) p.reject(wrapped);
        }
      };
      worker.on("error", fail);
      worker.on("exit", (code) => {
        if (!this.closed) fail(new Error(`worker exited with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  /** Convert one file on the next idle worker. */
  run(job: ConvertJob): Promise<ConvertResult> {
    return new Promise((resolve, reject) => {
      if (this.slots.length === 0) {
        reject(new Gen2BinError("GEN2_WORKER_FAILED", "gen2: no conversion worker is alive"));
        return;
      }
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy || this.queue.length === 0) continue;
      const pending = this.queue.shift()!;
      slot.busy = pending;
      slot.id = this.nextId++;
      slot.worker.postMessage({ id: slot.id, job: pending.job });
    }
  }

  /** Terminate every worker. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}
