// Runs in the page: drives WorkerClient against the real worker (plus test jobs) and reports.
import { WorkerClient } from "../../src/worker/client.js";

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "resolved";
  } catch (error) {
    return String((error as { code?: string }).code);
  }
}

export async function run(_arg: unknown, origin: string) {
  let started = 0;
  const client = new WorkerClient(() => {
    started++;
    return new Worker(`${origin}/bundle/client-worker.js`, { type: "module" });
  });
  const echo = await client.run("test.echo", { a: 1 });
  const failed = await codeOf(client.run("test.fail", {}));
  const unknown = await codeOf(client.run("no.such.job", {}));

  // the worker's only job, cancelled while it runs: rejected at once, the worker replaced
  const ac = new AbortController();
  const t0 = performance.now();
  const long = client.run("test.busy", { ms: 30_000 }, { signal: ac.signal });
  setTimeout(() => ac.abort(), 300);
  const cancelled = await codeOf(long);
  const cancelMs = performance.now() - t0;
  const afterCancel = await client.run("test.echo", "fresh worker");

  // two jobs in one worker: cancelling the queued one leaves the running one
  const ac2 = new AbortController();
  const first = client.run("test.busy", { ms: 300 });
  const second = client.run("test.echo", 3, { signal: ac2.signal });
  ac2.abort();
  const secondCode = await codeOf(second);
  const firstResult = await first;

  const progress: number[] = [];
  await client.run("test.steps", { steps: 5 }, { onProgress: (p) => progress.push(p.done / p.total) });
  const quickProgress: number[] = [];
  await client.run("test.quick", { steps: 5 }, { onProgress: (p) => quickProgress.push(p.done / p.total) });
  client.close();

  // a job started early is taken by the first run of the same job with equal arguments: run once, its
  // progress (the last before the taker came, then the rest) handed over; a job with other arguments runs anew
  const early = new WorkerClient(() => new Worker(`${origin}/bundle/client-worker.js`, { type: "module" }));
  early.runEarly("test.count", { night: "a" });
  const taken = await early.run("test.count", { night: "a" });
  const notTakenTwice = await early.run("test.count", { night: "a" });
  early.runEarly("test.count", { night: "b" });
  const otherArgs = await early.run("test.count", { night: "c" });
  const earlyProgress: number[] = [];
  early.runEarly("test.steps", { steps: 4 });
  await new Promise((resolve) => setTimeout(resolve, 1300));
  await early.run("test.steps", { steps: 4 }, { onProgress: (p) => earlyProgress.push(p.done) });
  // cancelling the taken job stops it (the worker's only job: the worker is replaced)
  early.runEarly("test.busy", { ms: 30_000 });
  const ac3 = new AbortController();
  const t1 = performance.now();
  const takenLong = early.run("test.busy", { ms: 30_000 }, { signal: ac3.signal });
  setTimeout(() => ac3.abort(), 200);
  const takenCancelled = await codeOf(takenLong);
  const takenCancelMs = performance.now() - t1;
  const afterTakenCancel = await early.run("test.count", {});
  early.close();
  return {
    echo,
    failed,
    unknown,
    cancelled,
    cancelMs,
    afterCancel,
    secondCode,
    firstResult,
    progress,
    quickProgress,
    started,
    early: { taken, notTakenTwice, otherArgs, earlyProgress, takenCancelled, takenCancelMs, afterTakenCancel },
  };
}
