// The writer itself (Parquet/Arrow output, atomicity, failing sources, DuckDB read-back) is tested in
// packages/io/test/table-file.test.ts; here only what the CLI wrapper adds: the format from the
// extension, and CLI usage errors.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromArrays, tableFromIPC } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { tableFormatOf, writeTableFile } from "../src/table-output.js";

const dir = mkdtempSync(join(tmpdir(), "daqkit-table-output-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const batch = () => tableFromArrays({ id: Int32Array.from([1, 2, 3]) });

describe("the CLI's table output", () => {
  it("picks the format from the extension, case-insensitively", async () => {
    expect(tableFormatOf("a/B.PARQUET")).toBe(".parquet");
    expect(await writeTableFile(join(dir, "t.ARROW"), [batch()])).toBe(3);
    expect([
      ...tableFromIPC(readFileSync(join(dir, "t.ARROW")))
        .getChild("id")!
        .toArray(),
    ]).toEqual([1, 2, 3]);
  });

  it("turns an unknown extension and an empty input without a schema into CLI usage errors", async () => {
    await expect(writeTableFile(join(dir, "x.csv"), [batch()])).rejects.toMatchObject({ code: "CLI_USAGE" });
    await expect(writeTableFile(join(dir, "y.parquet"), [])).rejects.toMatchObject({ code: "CLI_USAGE" });
    expect(readdirSync(dir).filter((f) => f !== "t.ARROW")).toEqual([]);
  });
});
