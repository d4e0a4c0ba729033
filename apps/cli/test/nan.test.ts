import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { composeRun } from "@daqkit/docmodel";
import { exportMsgpack } from "@daqkit/docmodel/node";
import { afterAll, describe, expect, it } from "vitest";
import { previewText, toJson } from "../src/context.js";
import { daqkit } from "./run.js";

const tmp = mkdtempSync(join(tmpdir(), "daqkit-nan-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("NaN and ±Infinity stay apart from missing values", () => {
  it("--json writes them as the strings NaN, Infinity, -Infinity; missing stays null", () => {
    const json = JSON.parse(toJson({ a: Number.NaN, b: null, c: [Infinity, -Infinity, 1.5], d: Float64Array.of(Number.NaN, 2) }));
    expect(json).toEqual({ a: "NaN", b: null, c: ["Infinity", "-Infinity", 1.5], d: ["NaN", 2] });
    expect(previewText([Number.NaN, null, -Infinity])).toBe("[NaN,null,-Infinity]");
    expect(previewText(Number.NaN)).toBe("NaN");
  });

  it("docs show --stream: NaN in --json and in the text preview", async () => {
    const dir = join(tmp, "runs");
    const run = composeRun({ uid: "nan-run", time: 1700000000, metadata: {} });
    const d = run.composeDescriptor({ name: "primary", data_keys: { x: { dtype: "number", shape: [], source: "sim" } }, time: 1700000000 });
    const xs = [1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    await exportMsgpack(
      [
        ["start", run.startDoc],
        ["descriptor", d.descriptorDoc],
        ...xs.map((x, i) => ["event", d.composeEvent({ data: { x }, timestamps: { x: 1700000001 + i }, time: 1700000001 + i })] as const),
        ["stop", run.composeStop({ time: 1700000009 })],
      ] as never,
      dir,
    );
    const json = await daqkit("--json", "docs", "show", dir, "nan-run", "--stream", "primary");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).columns.x.head).toEqual([1.5, "NaN", "Infinity", "-Infinity"]);
    const text = await daqkit("docs", "show", dir, "nan-run", "--stream", "primary");
    expect(text.stdout).toMatch(/x\s+\S+\s+\[4\]\s+1\.5, NaN, Infinity, -Infinity/);
    expect(text.stdout).not.toContain("null");
  });
});
