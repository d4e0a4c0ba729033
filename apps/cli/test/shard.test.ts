import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CliUsageError } from "../src/errors.js";
import { parseShard, partition, resolveShard, selectShard, shardFromEnv, shardName, shardWorkerDefault } from "../src/shard.js";

const items = fc.uniqueArray(fc.record({ key: fc.string({ minLength: 1, maxLength: 12 }), bytes: fc.nat({ max: 1_000_000 }) }), {
  selector: (i) => i.key,
  maxLength: 80,
});

describe("shard arithmetic (property tests)", () => {
  it("the N parts are disjoint and cover the list", () => {
    fc.assert(
      fc.property(items, fc.integer({ min: 1, max: 12 }), (list, n) => {
        const parts = partition(list, n);
        expect(parts).toHaveLength(n);
        const all = parts.flat();
        expect(new Set(all).size).toBe(all.length);
        expect([...all].sort((a, b) => a - b)).toEqual(list.map((_, i) => i));
      }),
    );
  });

  it("is stable under re-listing (any order of the same list gives the same parts)", () => {
    fc.assert(
      fc.property(
        items.chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length }))),
        fc.integer({ min: 1, max: 12 }),
        ([list, shuffled], n) => {
          for (let i = 0; i < n; i++) {
            const a = selectShard(list, { index: i, count: n }).map((x) => x.key);
            const b = selectShard(shuffled, { index: i, count: n }).map((x) => x.key);
            expect(b).toEqual(a);
            expect([...a].sort()).toEqual(a);
          }
        },
      ),
    );
  });

  it("is balanced by bytes within the largest item", () => {
    fc.assert(
      fc.property(items, fc.integer({ min: 1, max: 12 }), (list, n) => {
        const parts = partition(list, n);
        const loads = parts.map((p) => p.reduce((s, i) => s + list[i]!.bytes, 0));
        const largest = Math.max(0, ...list.map((x) => x.bytes));
        expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(largest);
      }),
    );
  });

  it("items of 0 bytes are spread by count (equal bytes: the part with fewer items first)", () => {
    const empty = Array.from({ length: 10 }, (_, k) => ({ key: `f${k}`, bytes: 0 }));
    expect(partition(empty, 3).map((p) => p.length)).toEqual([4, 3, 3]);
    // one large item and many empty ones: the empty ones go to the other parts
    const mixed = [{ key: "big", bytes: 100 }, ...empty];
    expect(partition(mixed, 2).map((p) => p.length)).toEqual([1, 10]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 12 }), (n, parts) => {
        const sizes = partition(empty.concat(Array.from({ length: n }, (_, k) => ({ key: `g${k}`, bytes: 0 }))), parts).map(
          (p) => p.length,
        );
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it("null shard is the whole list in key order; duplicate keys are refused", () => {
    const list = [
      { key: "b", bytes: 1 },
      { key: "a", bytes: 5 },
    ];
    expect(selectShard(list, null).map((x) => x.key)).toEqual(["a", "b"]);
    expect(() => partition([...list, { key: "a", bytes: 1 }], 2)).toThrow(CliUsageError);
  });
});

describe("--shard and the environment", () => {
  it("parses I/N from 0 and refuses bad values", () => {
    expect(parseShard("2/4")).toEqual({ index: 2, count: 4 });
    expect(parseShard("0/1")).toEqual({ index: 0, count: 1 });
    for (const bad of ["4/4", "1", "-1/3", "a/3", "1/0", "1/2/3", "01/3", ""]) {
      expect(() => parseShard(bad), bad).toThrow(CliUsageError);
    }
    expect(shardName({ index: 2, count: 4 })).toBe("part-00002-of-00004");
  });

  it("reads Slurm array and Kubernetes Indexed Job variables", () => {
    expect(shardFromEnv({})).toBeNull();
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_COUNT: "4" })).toEqual({ index: 3, count: 4, source: "slurm" });
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: "4", SLURM_ARRAY_TASK_COUNT: "4", SLURM_ARRAY_TASK_MIN: "1" })).toEqual({
      index: 3,
      count: 4,
      source: "slurm",
    });
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: "1", DAQKIT_SHARD_COUNT: "3" })).toEqual({ index: 1, count: 3, source: "kubernetes" });
    expect(
      shardFromEnv({ JOB_COMPLETION_INDEX: "1", DAQKIT_SHARD_COUNT: "3", SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_COUNT: "3" }),
    ).toMatchObject({ index: 1, count: 3 });
  });

  it("a missing count, an index out of range or two engines disagreeing is a usage error", () => {
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: "1" })).toThrow(/DAQKIT_SHARD_COUNT/);
    expect(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: "1" })).toThrow(/SLURM_ARRAY_TASK_COUNT/);
    expect(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: "5", SLURM_ARRAY_TASK_COUNT: "4" })).toThrow(CliUsageError);
    expect(() =>
      shardFromEnv({ JOB_COMPLETION_INDEX: "0", DAQKIT_SHARD_COUNT: "3", SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_COUNT: "3" }),
    ).toThrow(/conflicting/);
  });

  it("an explicit --shard wins over the environment", () => {
    const env = { SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_COUNT: "4" };
    expect(resolveShard("0/2", env)).toEqual({ index: 0, count: 2, source: "flag" });
    expect(resolveShard(undefined, env)).toEqual({ index: 1, count: 4, source: "slurm" });
    expect(resolveShard(undefined, {})).toBeNull();
  });
});

describe("conversion threads of a shard", () => {
  it("a shard defaults to its own thread, or to the CPUs Slurm gave the task; no shard: the command decides", () => {
    const shard = { index: 1, count: 4 };
    expect(shardWorkerDefault(null, { SLURM_CPUS_PER_TASK: "2" })).toBeNull();
    expect(shardWorkerDefault(shard, {})).toBe(1);
    expect(shardWorkerDefault(shard, { SLURM_CPUS_PER_TASK: "2" })).toBe(2);
    expect(shardWorkerDefault(shard, { SLURM_CPUS_PER_TASK: " 8 " })).toBe(8);
    // Not a CPU count (empty, zero, malformed): the shard's own thread.
    for (const bad of ["", "0", "two", "2(x3)", "-1"]) expect(shardWorkerDefault(shard, { SLURM_CPUS_PER_TASK: bad })).toBe(1);
  });
});
