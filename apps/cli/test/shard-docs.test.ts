import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata/docmodel");

describe("docs export --shard", () => {
  const tmp = mkdtempSync(join(tmpdir(), "cli-docs-shard-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("3 shards export every run exactly once, the same files as one export", async () => {
    const one = await daqkit("--json", "docs", "export", TESTDATA, "--out", join(tmp, "one"));
    expect(one.code, one.stderr).toBe(0);
    const uids: string[] = [];
    for (const i of [0, 1, 2]) {
      const r = await daqkit("--json", "docs", "export", TESTDATA, "--out", join(tmp, "three"), "--shard", `${i}/3`);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.shard).toEqual({ index: i, count: 3, source: "flag" });
      uids.push(...out.runs.map((w: { uid: string }) => w.uid));
    }
    expect(new Set(uids).size).toBe(uids.length);
    expect([...uids].sort()).toEqual(
      JSON.parse(one.stdout)
        .runs.map((w: { uid: string }) => w.uid)
        .sort(),
    );
    expect(readdirSync(join(tmp, "three")).sort()).toEqual(readdirSync(join(tmp, "one")).sort());
    // A re-run of a shard rewrites its own files (with --overwrite).
    expect((await daqkit("docs", "export", TESTDATA, "--out", join(tmp, "three"), "--shard", "1/3", "--overwrite")).code).toBe(0);
    expect((await daqkit("docs", "export", TESTDATA, "RUN", "--out", join(tmp, "x"), "--shard", "1/3")).code).toBe(2);
  });
});
