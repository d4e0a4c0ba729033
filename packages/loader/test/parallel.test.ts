import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LoaderError } from "../src/errors.js";
import { runCyclesShared } from "../src/parallel.js";
import { CONFIGS, TESTDATA } from "./paths.js";

// Worker threads run the built package (dist/load-worker.js, through @daqkit/loader/node); CI builds before testing.
const DIST = join(import.meta.dirname, "../dist/node.js");
const built = existsSync(join(import.meta.dirname, "../dist/load-worker.js"));

describe.skipIf(!built)("parallel load (worker threads, built package)", () => {
  it("gives the same table as the in-thread load, in both orientations and modes", async () => {
    const { openDataLoader } = (await import(DIST)) as typeof import("../src/node.js");
    const cfg = join(CONFIGS, "variants/data-loader-config-evt_synthetic.json");
    const one = await openDataLoader(cfg, { filedbOptions: { cwd: TESTDATA } });
    const two = await openDataLoader(cfg, { filedbOptions: { cwd: TESTDATA }, workers: 2, minParallelBytes: 0 });
    for (const dl of [one, two]) {
      dl.setFiles("all");
      dl.setCuts({ hit: "trapEmax > 1000" });
      dl.setOutput({ columns: ["trapEmax", "energies", "multiplicity", "waveform"] });
    }
    for (const options of [{}, { tcmLevel: "tcm", mode: "any" as const }, { orientation: "evt" as const }]) {
      const a = await one.load(undefined, options);
      const b = await two.load(undefined, options);
      expect(b.numRows).toBe(a.numRows);
      expect(b.schema.fields.map(String)).toEqual(a.schema.fields.map(String));
      for (const f of a.schema.fields)
        expect(JSON.stringify([...(b.getChild(f.name) ?? [])].slice(0, 50))).toEqual(
          JSON.stringify([...(a.getChild(f.name) ?? [])].slice(0, 50)),
        );
    }
    // errors from a worker keep their code
    two.setCuts({ evt: "multiplicity > 1" });
    const bad = await openDataLoader(join(CONFIGS, "pygama-flow/data-loader-config.json"), {
      filedbOptions: { cwd: TESTDATA },
      workers: 2,
      minParallelBytes: 0,
    });
    bad.setFiles("all");
    bad.setCuts({ evt: "x > 1" });
    bad.setOutput({ columns: ["trapEmax"] });
    await expect(bad.load()).rejects.toMatchObject({ code: "LOADER_FILE_MISSING" });
  });
});

describe("errors posted by a worker thread", () => {
  it("keep their class, code, category and daqkit marker (the CLI's exit code depends on them)", async () => {
    const { reviveWorkerError } = await import("../src/parallel.js");
    const { FileDbError } = await import("@daqkit/filedb");
    const marker = Symbol.for("daqkit.error");
    const { serializeError } = await import("@daqkit/io");
    // What a worker of @daqkit/io's pool posts for an error of another daqkit package:
    const source = new FileDbError("FILEDB_UNREADABLE", "filedb: cannot stat x", { path: "/x" });
    const foreign = reviveWorkerError(structuredClone(serializeError(source))) as Error & Record<string | symbol, unknown>;
    expect(foreign).toMatchObject({ code: "FILEDB_UNREADABLE", category: "not-found", name: "FileDbError", path: "/x" });
    expect(foreign[marker]).toBe(true);
    expect(foreign.stack).toBe(source.stack);
    const loader = reviveWorkerError({
      name: "LoaderError",
      code: "LOADER_TCM_OUT_OF_RANGE",
      message: "m",
      daqkit: true,
      context: { row: 3 },
    });
    expect(loader).toMatchObject({ name: "LoaderError", code: "LOADER_TCM_OUT_OF_RANGE", category: "data", row: 3 });
    // A bug in the worker stays a plain error, without the marker.
    const bug = reviveWorkerError({
      name: "TypeError",
      code: "ERR_INVALID_ARG_TYPE",
      message: "bad",
      daqkit: false,
      context: {},
    }) as Error & Record<symbol, unknown>;
    expect(bug[marker]).toBeUndefined();
    expect(bug.name).toBe("TypeError");
  });
});

// The scheduler (issue 17): this thread and the workers take cycles from one queue.
describe.skipIf(!built)("parallel load: work stealing between this thread and the workers", () => {
  const cfg = join(CONFIGS, "variants/data-loader-config-evt_synthetic.json");
  type Schedule = { workersStarted: number; cyclesOnWorkers: number; inputBytes: number | null };
  const columns = ["trapEmax", "energies", "multiplicity", "waveform"];
  async function loader(options: Record<string, unknown>) {
    const { openDataLoader } = (await import(DIST)) as typeof import("../src/node.js");
    const dl = await openDataLoader(cfg, { filedbOptions: { cwd: TESTDATA }, ...options });
    dl.setFiles("all");
    dl.setCuts({ hit: "trapEmax > 1000" });
    dl.setOutput({ columns });
    return dl;
  }
  /** Every value of every column, in row order. */
  const dump = (t: import("apache-arrow").Table) =>
    JSON.stringify(
      t.schema.fields.map((f) => [String(f), [...(t.getChild(f.name) ?? [])]]),
      (_k, v) => (typeof v === "bigint" ? `${v}n` : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v),
    );
  // A real worker_threads worker that starts (answers the warm-up) and exits on its first cycle.
  const dyingWorker = async () => {
    const { nodeWorkerFactory } = await import("@daqkit/io/node");
    return nodeWorkerFactory(
      `const { parentPort } = require("node:worker_threads");
       parentPort.on("message", ({ id, job }) => {
         if (job && job.warmUp) parentPort.postMessage({ id, ok: true, result: null });
         else process.exit(3);
       });`,
      { eval: true },
    );
  };

  it("loads cycles on the real worker script (dist/load-worker.js, bundled) with the one-thread result", async () => {
    const { loaderWorkerFactory } = (await import(DIST)) as typeof import("../src/node.js");
    const one = await loader({});
    // This thread opens its first cycle only once the worker has answered its warm-up, so the worker
    // takes cycles whatever the machine's speed (on this small input it would otherwise get none).
    // Each load starts its own worker, and waits for that one.
    let warm!: () => void;
    let warmedUp = Promise.resolve();
    const factory = loaderWorkerFactory();
    const spawnWorker = async () => {
      warmedUp = new Promise<void>((r) => {
        warm = r;
      });
      const w = await factory();
      return {
        ...w,
        onMessage: (listener: (m: unknown) => void) =>
          w.onMessage((m) => {
            listener(m);
            if ((m as { result?: unknown }).result === null) warm();
          }),
      };
    };
    const catalog = one.catalog;
    const waiting = new Proxy(catalog, {
      get(target, key) {
        const v = Reflect.get(target, key) as unknown;
        if (typeof v !== "function") return v;
        if (key === "openTier")
          return async (...args: unknown[]) => {
            await warmedUp;
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        return (v as (...a: unknown[]) => unknown).bind(target);
      },
    });
    const schedules: Schedule[] = [];
    const two = await loader({
      filedb: waiting,
      workers: 2,
      minParallelBytes: 0,
      spawnWorker,
      onSchedule: (s: Schedule) => schedules.push(s),
    });
    for (const options of [{}, { tcmLevel: "tcm", mode: "any" as const }, { orientation: "evt" as const }]) {
      const a = await one.load(undefined, options);
      const b = await two.load(undefined, options);
      expect(dump(b)).toBe(dump(a));
    }
    expect(schedules).toHaveLength(3);
    for (const s of schedules) expect(s.cyclesOnWorkers).toBeGreaterThan(0);
  });

  it("gives every row of a one-thread load in the same order (hit, TCM and evt loads)", async () => {
    const one = await loader({});
    const schedules: Schedule[] = [];
    const two = await loader({ workers: 2, minParallelBytes: 0, onSchedule: (s: Schedule) => schedules.push(s) });
    for (const options of [{}, { tcmLevel: "tcm", mode: "any" as const }, { orientation: "evt" as const }]) {
      const progress: number[] = [];
      const b = await two.load(undefined, { ...options, onProgress: (done: number) => progress.push(done) });
      const a = await one.load(undefined, options);
      expect(b.numRows).toBe(a.numRows);
      expect(dump(b)).toBe(dump(a));
      expect(progress).toEqual(Array.from({ length: progress.length }, (_, k) => k + 1));
    }
    expect(schedules).toHaveLength(3);
    for (const s of schedules) {
      expect(s.workersStarted).toBe(1);
      expect(s.inputBytes).toBeGreaterThan(0);
    }
  });

  it("starts no worker for an input below the byte threshold", async () => {
    const schedules: Schedule[] = [];
    const two = await loader({ workers: 2, minParallelBytes: Number.MAX_SAFE_INTEGER, onSchedule: (s: Schedule) => schedules.push(s) });
    const a = await (await loader({})).load();
    expect(dump(await two.load())).toBe(dump(a));
    expect(schedules).toEqual([{ workersStarted: 0, cyclesOnWorkers: 0, inputBytes: schedules[0]?.inputBytes }]);
    expect(schedules[0]?.inputBytes).toBeLessThan(Number.MAX_SAFE_INTEGER);
  });

  it("gives the same result with a worker that dies on its first cycle", async () => {
    const schedules: Schedule[] = [];
    const two = await loader({
      workers: 2,
      minParallelBytes: 0,
      spawnWorker: await dyingWorker(),
      onSchedule: (s: Schedule) => schedules.push(s),
    });
    const a = await (await loader({})).load(undefined, { tcmLevel: "tcm", mode: "any" });
    expect(dump(await two.load(undefined, { tcmLevel: "tcm", mode: "any" }))).toBe(dump(a));
    expect(schedules[0]).toMatchObject({ workersStarted: 1, cyclesOnWorkers: 0 });
  });

  it("loads in this thread when no worker can start", async () => {
    const two = await loader({
      workers: 3,
      minParallelBytes: 0,
      spawnWorker: () => {
        throw new Error("no workers here");
      },
    });
    const a = await (await loader({})).load();
    expect(dump(await two.load())).toBe(dump(a));
  });

  it("throws the error of the earliest failing cycle, as a one-thread load does, and stops the workers", async () => {
    const { openDataLoader } = (await import(DIST)) as typeof import("../src/node.js");
    const errors: unknown[] = [];
    for (const workers of [1, 2]) {
      const bad = await openDataLoader(join(CONFIGS, "pygama-flow/data-loader-config.json"), {
        filedbOptions: { cwd: TESTDATA },
        workers,
        minParallelBytes: 0,
      });
      bad.setFiles("all");
      bad.setCuts({ evt: "x > 1" });
      bad.setOutput({ columns: ["trapEmax"] });
      errors.push(await bad.load().catch((e: unknown) => e));
    }
    const [one, two] = errors as (Error & { code: string; path?: string })[];
    expect(one?.code).toBe("LOADER_FILE_MISSING");
    expect({ code: two?.code, message: two?.message, path: two?.path }).toEqual({
      code: one?.code,
      message: one?.message,
      path: one?.path,
    });
  });
});

// The scheduler alone, with scripted real worker threads (deterministic: this thread waits for the
// worker's warm-up and then runs slowly, so the worker surely takes cycles).
describe("runCyclesShared", () => {
  const files = [7, 2, 9, 4, 0, 5, 8, 1, 6, 3];
  const catalog = {
    size: 10,
    tiers: [] as string[],
    tierPath: () => "",
    tierTables: async () => null,
    tableColumns: async () => null,
    tableName: () => "",
    tableField: () => undefined,
    select: () => [],
    columnValues: () => [],
  };
  const job = { tiers: [] } as unknown as import("../src/cycle-job.js").CycleJob;
  const result = (fileIndex: number, by: string) =>
    ({ chunk: { fileIndex }, exported: {}, warnings: [by] }) as unknown as import("../src/cycle-job.js").CycleResult;
  /** A real worker thread: answers the warm-up, then each cycle (`fail`: LOADER_IO for that file; `die`: exits). */
  async function scripted(mode: { fail?: number[]; die?: boolean }) {
    const { nodeWorkerFactory } = await import("@daqkit/io/node");
    const factory = nodeWorkerFactory(
      `const { parentPort } = require("node:worker_threads");
       const mode = ${JSON.stringify(mode)};
       parentPort.on("message", ({ id, job }) => {
         if (job.warmUp) return parentPort.postMessage({ id, ok: true, result: null });
         if (mode.die) process.exit(3);
         const f = job.snapshot.fileIndex;
         if ((mode.fail || []).includes(f)) return parentPort.postMessage({ id, ok: false, error: { name: "LoaderError", code: "LOADER_IO", message: "bad " + f, daqkit: true, context: { fileIndex: f } } });
         parentPort.postMessage({ id, ok: true, result: { chunk: { fileIndex: f }, exported: {}, warnings: ["worker"] } });
       });`,
      { eval: true },
    );
    let warm!: () => void;
    const warmedUp = new Promise<void>((r) => {
      warm = r;
    });
    const spawn = async () => {
      const w = await factory();
      return {
        ...w,
        onMessage: (listener: (m: unknown) => void) =>
          w.onMessage((m) => {
            listener(m);
            if ((m as { result?: unknown }).result === null) warm();
          }),
      };
    };
    return { spawn, warmedUp };
  }
  const slowInline =
    (warmedUp: Promise<void>, calls: number[], fails: (f: number) => boolean = () => false) =>
    async (f: number) => {
      calls.push(f);
      await warmedUp;
      await new Promise((r) => setTimeout(r, 30));
      if (fails(f)) throw new LoaderError("LOADER_IO", `bad ${f} here`, { fileIndex: f });
      return result(f, "main");
    };

  it("shares the cycles between this thread and the worker, results in files order", async () => {
    const { spawn, warmedUp } = await scripted({});
    const calls: number[] = [];
    const schedules: unknown[] = [];
    const out = await runCyclesShared(catalog, files, job, {
      workers: 2,
      spawn,
      inline: slowInline(warmedUp, calls),
      onSchedule: (s) => schedules.push(s),
    });
    expect(out.map((r) => r.chunk.fileIndex)).toEqual(files);
    const byWorker = out.filter((r) => r.warnings[0] === "worker").length;
    expect(byWorker).toBeGreaterThan(0);
    expect(calls.length).toBeGreaterThan(0);
    expect(byWorker + calls.length).toBe(files.length);
    expect(schedules).toEqual([{ workersStarted: 1, cyclesOnWorkers: byWorker, inputBytes: null }]);
  });

  it("runs the cycles of a worker that died in this thread", async () => {
    const { spawn, warmedUp } = await scripted({ die: true });
    const calls: number[] = [];
    const out = await runCyclesShared(catalog, files, job, { workers: 2, spawn, inline: slowInline(warmedUp, calls) });
    expect(out.map((r) => [r.chunk.fileIndex, r.warnings[0]])).toEqual(files.map((f) => [f, "main"]));
    expect([...calls].sort()).toEqual([...files].sort());
  });

  it("on a failure takes no further cycle and throws the earliest failing cycle's error", async () => {
    // Files 7 (position 0, taken by this thread first, slow) and 6 (position 8) fail whichever thread
    // loads them: the error is file 7's, as in a one-thread load, though the worker fails file 6 first.
    const fails = (f: number) => f === 7 || f === 6;
    const { spawn, warmedUp } = await scripted({ fail: [7, 6] });
    let done = 0;
    const error = await runCyclesShared(catalog, files, job, {
      workers: 2,
      spawn,
      inline: slowInline(warmedUp, [], fails),
      onProgress: (d) => {
        done = d;
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoaderError);
    expect(error).toMatchObject({ code: "LOADER_IO", fileIndex: 7 });
    expect(done).toBeLessThan(files.length - 1);
  });

  it("starts no worker below minBytes (tier sizes from the catalog)", async () => {
    let spawned = 0;
    const sized = { ...catalog, tiers: ["hit"], tierSize: () => 1000 };
    const calls: number[] = [];
    const out = await runCyclesShared(sized, files, { tiers: ["hit"] } as never, {
      workers: 2,
      spawn: () => {
        spawned++;
        throw new Error("not expected");
      },
      minBytes: 10_001,
      inline: async (f) => {
        calls.push(f);
        return result(f, "main");
      },
    });
    expect(spawned).toBe(0);
    expect(calls).toEqual(files);
    expect(out.map((r) => r.chunk.fileIndex)).toEqual(files);
  });
});
