import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleScript } from "../../../test/support/fault.js";
import { IoError, type JobPort, type SerializedError, serveJobs, WorkerPool, webWorkerFactory } from "../src/index.js";
import { execArgvWithoutConditions, nodeWorkerFactory } from "../src/node.js";

type Job =
  | { op: "square"; n: number }
  | { op: "fail" }
  | { op: "crash" }
  | { op: "bytes"; buffer: ArrayBuffer }
  | { op: "slow"; ms: number; n: number };

const dir = mkdtempSync(join(tmpdir(), "daqkit-io-pool-"));
let script: string;
beforeAll(async () => {
  script = await bundleScript(join(import.meta.dirname, "fixtures/pool-worker.ts"), join(dir, "pool-worker.mjs"), []);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const square = (job: Job): number => {
  if (job.op === "square") return job.n * job.n;
  throw new IoError("IO_OUT_OF_RANGE", "inline failure");
};

describe("WorkerPool, sequential fallback", () => {
  it("runs jobs one after another in this thread when n = 1 or no workers exist; errors unchanged", async () => {
    for (const pool of [
      new WorkerPool<Job, number>({ size: 1, spawn: nodeWorkerFactory(script), inline: square }),
      new WorkerPool<Job, number>({ size: 4, inline: square }),
    ]) {
      expect(pool.mode).toBe("sequential");
      const results = await Promise.all([1, 2, 3].map((n) => pool.run({ op: "square", n })));
      expect(results).toEqual([1, 4, 9]);
      await expect(pool.run({ op: "fail" })).rejects.toMatchObject({ code: "IO_OUT_OF_RANGE", message: "inline failure" });
      expect(await pool.run({ op: "square", n: 5 })).toBe(25);
      await pool.close();
      await expect(pool.run({ op: "square", n: 1 })).rejects.toMatchObject({ code: "IO_WORKER_FAILED" });
    }
    expect(() => new WorkerPool<Job, number>({ size: 0, spawn: nodeWorkerFactory(script) })).toThrow(
      expect.objectContaining({ code: "IO_BAD_ARGUMENT" }),
    );
  });

  it("falls back to the inline runner when a worker cannot start; without one, IO_WORKER_FAILED", async () => {
    const missing = join(dir, "no-such-worker.mjs");
    const pool = new WorkerPool<Job, number>({ size: 2, spawn: nodeWorkerFactory(missing), inline: square });
    expect(await Promise.all([pool.run({ op: "square", n: 3 }), pool.run({ op: "square", n: 4 })])).toEqual([9, 16]);
    expect(pool.mode).toBe("sequential");
    await pool.close();
    const bare = new WorkerPool<Job, number>({ size: 2, spawn: nodeWorkerFactory(missing) });
    await expect(bare.run({ op: "square", n: 3 })).rejects.toMatchObject({ code: "IO_WORKER_FAILED" });
    await bare.close();
  });
});

describe("WorkerPool on worker_threads", () => {
  it("runs jobs on up to n workers, transfers buffers both ways, revives coded errors", async () => {
    const revived: SerializedError[] = [];
    const pool = new WorkerPool<Job, unknown>({
      size: 2,
      spawn: nodeWorkerFactory(script),
      jobsPerWorker: 2,
      reviveError: (e) => {
        revived.push(e);
        return new IoError(e.code as "IO_OUT_OF_RANGE", e.message, { path: e.context.path as string });
      },
    });
    expect(pool.mode).toBe("workers");
    const results = await Promise.all(Array.from({ length: 20 }, (_, n) => pool.run({ op: "square", n })));
    expect(results).toEqual(Array.from({ length: 20 }, (_, n) => n * n));
    const buffer = new Uint8Array([1, 2, 3]).buffer;
    const out = (await pool.run({ op: "bytes", buffer }, [buffer])) as Uint8Array;
    expect(buffer.byteLength).toBe(0); // moved, not copied
    expect([...out]).toEqual([2, 3, 4]);
    await expect(pool.run({ op: "fail" })).rejects.toMatchObject({ code: "IO_OUT_OF_RANGE", path: "x.bin" });
    expect(revived[0]).toMatchObject({ name: "IoError", code: "IO_OUT_OF_RANGE", daqkit: true, context: { path: "x.bin" } });
    await pool.close();
  });

  it("a worker that dies fails its own job with IO_WORKER_FAILED; the pool goes on", async () => {
    const pool = new WorkerPool<Job, unknown>({ size: 2, spawn: nodeWorkerFactory(script) });
    const crash = pool.run({ op: "crash" });
    const other = pool.run({ op: "slow", ms: 50, n: 1 });
    await expect(crash).rejects.toMatchObject({ code: "IO_WORKER_FAILED" });
    expect(await other).toBe(1);
    expect(await pool.run({ op: "square", n: 6 })).toBe(36);
    // Default revival: a worker's error becomes IO_WORKER_FAILED with the original as cause.
    const failure = await pool.run({ op: "fail" }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: "IO_WORKER_FAILED", cause: { code: "IO_OUT_OF_RANGE", path: "x.bin" } });
    await pool.close();
  });

  it("close() rejects unfinished jobs instead of leaving them pending", async () => {
    const pool = new WorkerPool<Job, unknown>({ size: 1, spawn: nodeWorkerFactory(script) });
    const pending = pool.run({ op: "slow", ms: 10_000, n: 1 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    await pool.close();
    expect(await pending).toMatchObject({ code: "IO_WORKER_FAILED" });
    expect(pool.usable).toBe(false);
  });

  it("runs a worker from source text (eval), as a self-contained decoder does", async () => {
    const source = `
      const { parentPort } = require("node:worker_threads");
      parentPort.on("message", ({ id, job }) => parentPort.postMessage({ id, ok: true, result: job * 2 }));`;
    const pool = new WorkerPool<number, number>({ size: 2, spawn: nodeWorkerFactory(source, { eval: true }) });
    expect(await Promise.all([1, 2, 3].map((n) => pool.run(n)))).toEqual([2, 4, 6]);
    await pool.close();
  });

  it("strips export conditions from the workers' Node flags", () => {
    expect(execArgvWithoutConditions(["--conditions", "@daqkit/source", "-C=x", "--conditions=y", "--max-old-space-size=100"])).toEqual([
      "--max-old-space-size=100",
    ]);
  });

  it("starts workers from a `node --expose-gc` process (worker_threads rejects that flag)", async () => {
    expect(execArgvWithoutConditions(["--expose-gc", "--expose_gc", "--max-old-space-size=100"])).toEqual(["--max-old-space-size=100"]);
    const source = `
      const { parentPort } = require("node:worker_threads");
      parentPort.on("message", ({ id }) => parentPort.postMessage({ id, ok: true, result: typeof gc }));`;
    const pool = new WorkerPool<number, string>({
      size: 1,
      spawn: nodeWorkerFactory(source, { eval: true, execArgv: execArgvWithoutConditions(["--expose-gc"]) }),
    });
    expect(await pool.run(1)).toBe(typeof (globalThis as { gc?: unknown }).gc);
    await pool.close();
  });
});

describe("serveJobs and a result from another copy of @daqkit/io", () => {
  it("transfers a withTransfer() result made by a second instance of the module (a bundled worker script)", async () => {
    // A second instance of the module, as in a worker script that bundles @daqkit/io while
    // serveJobs comes from the external @daqkit/io/node: its Transferring is another class.
    const secondCopy = "../src/worker-pool.js?second-copy";
    const other = (await import(/* @vite-ignore */ secondCopy)) as typeof import("../src/worker-pool.js");
    expect(other.Transferring).not.toBe((await import("../src/worker-pool.js")).Transferring);
    const { MessageChannel: NodeChannel } = await import("node:worker_threads");
    const { port1, port2 } = new NodeChannel();
    const sent: ArrayBuffer[] = [];
    serveJobs(
      (n: number) => {
        const bytes = new Float64Array([n, n + 1]);
        sent.push(bytes.buffer);
        return other.withTransfer({ bytes, n }, [bytes.buffer]);
      },
      { postMessage: (m, t) => port2.postMessage(m, (t ?? []) as never), onMessage: (l) => port2.on("message", l) },
    );
    const reply = await new Promise<{ id: number; ok: boolean; result: { bytes: Float64Array; n: number } }>((resolve) => {
      port1.once("message", resolve);
      port1.postMessage({ id: 7, job: 5 });
    });
    port1.close();
    expect(reply.ok).toBe(true);
    expect(reply.result.n).toBe(5);
    expect(Array.from(reply.result.bytes)).toEqual([5, 6]);
    expect(sent[0]?.byteLength).toBe(0); // moved, not copied
  });
});

describe("WorkerPool on Web Workers", () => {
  it("webWorkerFactory is undefined where Worker does not exist (sequential fallback)", () => {
    expect(typeof (globalThis as { Worker?: unknown }).Worker).toBe("undefined");
    expect(webWorkerFactory("worker.js")).toBeUndefined();
  });

  it("drives a Web-Worker-shaped global with serveJobs on the other side", async () => {
    class FakeWorker extends EventTarget {
      readonly #port: MessagePort;
      constructor(_url: string | URL) {
        super();
        const { port1, port2 } = new MessageChannel();
        this.#port = port1;
        port1.onmessage = (e) => this.dispatchEvent(Object.assign(new Event("message"), { data: e.data }));
        const inside: JobPort = {
          postMessage: (m, t) => port2.postMessage(m, (t ?? []) as never),
          onMessage: (l) => {
            port2.onmessage = (e) => l(e.data);
          },
        };
        serveJobs((job: number) => job + 100, inside);
      }
      postMessage(m: unknown, t: Transferable[]): void {
        this.#port.postMessage(m, t as never);
      }
      terminate(): void {
        this.#port.close();
      }
    }
    const g = globalThis as { Worker?: unknown };
    g.Worker = FakeWorker;
    try {
      const spawn = webWorkerFactory(new URL("file:///worker.js"));
      expect(spawn).toBeDefined();
      const pool = new WorkerPool<number, number>({ size: 2, spawn });
      expect(await Promise.all([1, 2].map((n) => pool.run(n)))).toEqual([101, 102]);
      await pool.close();
    } finally {
      delete g.Worker;
    }
  });
});
