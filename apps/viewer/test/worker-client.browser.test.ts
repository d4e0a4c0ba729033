/**
 * The viewer's Web Worker protocol in Chromium (src/worker/client.ts + worker.ts): results, coded
 * errors, progress, and cancel (a running job is stopped by replacing the worker; a queued job is
 * dropped without disturbing the running one). Skips with a message when /usr/bin/chromium is
 * missing (a failure under CI=true).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BROWSER_SKIP, type BrowserHarness, startBrowser } from "../../../test/support/browser.js";

describe.skipIf(BROWSER_SKIP !== undefined)("the viewer's worker client in Chromium", () => {
  let harness: BrowserHarness;
  beforeAll(async () => {
    harness = await startBrowser({
      entries: {
        "client-page": join(import.meta.dirname, "browser/client-page.ts"),
        "client-worker": join(import.meta.dirname, "browser/client-worker.ts"),
      },
    });
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
  });

  test("results, coded errors, progress and cancel", async () => {
    const got = await harness.run<{
      echo: unknown;
      failed: string;
      unknown: string;
      cancelled: string;
      cancelMs: number;
      afterCancel: unknown;
      secondCode: string;
      firstResult: unknown;
      progress: number[];
      quickProgress: number[];
      started: number;
      early: {
        taken: number;
        notTakenTwice: number;
        otherArgs: number;
        earlyProgress: number[];
        takenCancelled: string;
        takenCancelMs: number;
        afterTakenCancel: number;
      };
    }>("client-page");
    expect(got.echo).toEqual({ a: 1 });
    expect(got.failed).toBe("TEST_BAD_INPUT");
    expect(got.unknown).toBe("VIEW_NO_JOB");
    expect(got.cancelled).toBe("VIEW_CANCELLED");
    // the 30 s job was stopped, not waited for
    expect(got.cancelMs).toBeLessThan(10_000);
    expect(got.afterCancel).toBe("fresh worker");
    expect(got.secondCode).toBe("VIEW_CANCELLED");
    expect(got.firstResult).toBe("busy done");
    // one report per step, each longer than the progress interval (the worker reports at most once per interval, and always the last)
    expect(got.progress).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    // the interval counts from the job's start (issue 16: no report, and no repaint, just after a job begins): a
    // job that ends within it reports only its last step
    expect(got.quickProgress).toEqual([1]);
    // one worker for everything but the cancelled running job, which needed a replacement
    expect(got.started).toBe(2);
    // runEarly (issue 16): the early job ran once for its taker, then a second run ran anew; a run with
    // other arguments did not take the early job (both ran: counts 3 and 4)
    expect(got.early.taken).toBe(1);
    expect(got.early.notTakenTwice).toBe(2);
    expect(got.early.otherArgs).toBe(4);
    // the steps reported before the taker came (≥ 1 step of 530 ms in the 1.3 s wait) reach it as the last one, then the rest
    expect(got.early.earlyProgress.length).toBeGreaterThanOrEqual(2);
    expect(got.early.earlyProgress.at(-1)).toBe(4);
    expect(got.early.earlyProgress[0]).toBeGreaterThanOrEqual(1);
    expect(got.early.earlyProgress).toEqual([...got.early.earlyProgress].sort((a, b) => a - b));
    expect(got.early.takenCancelled).toBe("VIEW_CANCELLED");
    expect(got.early.takenCancelMs).toBeLessThan(10_000);
    // a fresh worker: its count starts again
    expect(got.early.afterTakenCancel).toBe(1);
  });
});
