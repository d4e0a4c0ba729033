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
  client.close();
  return { echo, failed, unknown, cancelled, cancelMs, afterCancel, secondCode, firstResult, progress, started };
}
