/**
 * A small pool of worker threads that decode Blosc chunks in parallel with reading and with the
 * consumer (Node only). Workers run the self-contained decoder's source text (no extra file to
 * ship), are created lazily, and do not keep the process alive when idle.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { bloscDecodeStandalone } from "./blosc.js";
import { blosclzWasmBytes } from "./blosclz-wasm.js";

interface Job {
  resolve(value: Uint8Array | null): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  busy: number;
}

const workerSource = () => `
const { parentPort } = require("node:worker_threads");
let wasm = null;
try {
  const bytes = new Uint8Array([${Array.from(blosclzWasmBytes()).join(",")}]);
  wasm = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
} catch {}
const decodeStandalone = (${bloscDecodeStandalone.toString()});
const decode = (b) => decodeStandalone(b, wasm);
parentPort.on("message", (m) => {
  try {
    const out = decode(new Uint8Array(m.buffer, m.byteOffset, m.byteLength));
    if (out === null) parentPort.postMessage({ id: m.id, unsupported: true });
    else parentPort.postMessage({ id: m.id, out }, [out.buffer]);
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String((e && e.message) || e) });
  }
});
`;

/** Decodes Blosc chunks on worker threads. */
export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly jobs = new Map<number, Job & { slot: Slot }>();
  private nextId = 0;
  private broken = false;

  constructor(readonly size: number) {}

  /** True while the pool can take work (false after a worker failed to start or crashed). */
  get usable(): boolean {
    return !this.broken;
  }

  private spawn(): Slot {
    const worker = new Worker(workerSource(), { eval: true });
    const slot: Slot = { worker, busy: 0 };
    worker.unref();
    worker.on("message", (m: { id: number; out?: Uint8Array; unsupported?: boolean; error?: string }) => {
      const job = this.jobs.get(m.id);
      if (!job) return;
      this.jobs.delete(m.id);
      if (--slot.busy === 0) worker.unref();
      if (m.error !== undefined) job.reject(new Error(m.error));
      else job.resolve(m.unsupported ? null : m.out!);
    });
    const fail = (error: Error) => {
      this.broken = true;
      for (const [id, job] of this.jobs) {
        if (job.slot === slot) {
          this.jobs.delete(id);
          job.reject(error);
        }
      }
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
    };
    worker.on("error", fail);
    worker.on("exit", (code) => {
      if (code !== 0) fail(new Error(`blosc decode worker exited with code ${code}`));
    });
    this.slots.push(slot);
    return slot;
  }

  /**
   * Decode `bytes` on a worker (`null` = unsupported variant). The input buffer is transferred when
   * the view owns it entirely, otherwise copied.
   */
  decode(bytes: Uint8Array): Promise<Uint8Array | null> {
    let slot = this.slots.reduce<Slot | undefined>((best, s) => (!best || s.busy < best.busy ? s : best), undefined);
    if (!slot || (slot.busy > 0 && this.slots.length < this.size)) slot = this.spawn();
    const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    const input = owned ? bytes : bytes.slice();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject, slot: slot! });
      if (slot!.busy++ === 0) slot!.worker.ref();
      slot!.worker.postMessage({ id, buffer: input.buffer, byteOffset: input.byteOffset, byteLength: input.byteLength }, [input.buffer as ArrayBuffer]);
    });
  }

  /** Stop all workers. */
  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

let shared: DecodePool | undefined;

/** The process-wide pool (size = min(4, available cores)), or undefined with a single core. */
export function sharedDecodePool(): DecodePool | undefined {
  if (shared && !shared.usable) shared = undefined;
  if (!shared) {
    const size = Math.min(4, availableParallelism());
    if (size < 2) return undefined;
    shared = new DecodePool(size);
  }
  return shared;
}
