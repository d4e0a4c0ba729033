import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NdArray } from "@daqkit/docmodel";
import { encodeTiff } from "@daqkit/docmodel/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const tmp = mkdtempSync(join(tmpdir(), "daqkit-docs-paths-"));
const frames = join(tmp, "frames");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

beforeAll(() => {
  mkdirSync(frames);
  for (let i = 0; i < 3; i++) {
    const data = Uint16Array.from({ length: 6 }, (_, j) => i * 10 + j);
    writeFileSync(join(frames, `frame_${i}.tiff`), encodeTiff([new NdArray("<u2", [2, 3], data)]));
  }
  writeFileSync(join(frames, "notes.txt"), "not a frame");
});

const files = () => [0, 1, 2].map((i) => join(frames, `frame_${i}.tiff`));

describe("daqkit docs ingest: many paths and directories", () => {
  it("a shell-expanded glob (many file arguments) is one series", async () => {
    const r = await daqkit("--json", "docs", "ingest", "tiff", ...files(), "--out", join(tmp, "a"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).records).toEqual({ start: 1, descriptor: 1, event_page: 3, stop: 1 });
  });

  it("a directory stands for its TIFF files; the same run as the files and as the quoted pattern", async () => {
    const dir = await daqkit("--json", "docs", "ingest", "tiff", frames, "--out", join(tmp, "b"));
    expect(dir.stderr).toBe("");
    expect(dir.code).toBe(0);
    expect(JSON.parse(dir.stdout).records.event_page).toBe(3);
    const listed = await daqkit("--json", "docs", "ingest", "tiff", ...files(), "--out", join(tmp, "c"));
    expect(JSON.parse(listed.stdout).uid).toBe(JSON.parse(dir.stdout).uid);
  });

  it("an existing output names --overwrite; --overwrite replaces it", async () => {
    const out = join(tmp, "d");
    expect((await daqkit("docs", "ingest", "tiff", frames, "--out", out)).code).toBe(0);
    const again = await daqkit("docs", "ingest", "tiff", frames, "--out", out);
    expect(again.code).toBe(3);
    expect(again.stderr.trim()).toMatch(/^daqkit: DOCS_FILE_EXISTS: .*already exists \(use --overwrite to replace it\)$/);
    expect((await daqkit("docs", "ingest", "tiff", frames, "--out", out, "--overwrite")).code).toBe(0);
  });

  it("kinds that take one PATH refuse several with a usage error; stack takes one file", async () => {
    const r = await daqkit("docs", "ingest", "lh5", frames, frames, "--out", join(tmp, "e"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/takes one PATH, got 2/);
    const s = await daqkit("docs", "ingest", "tiff", ...files(), "--option", "stack=true", "--out", join(tmp, "e"));
    expect(s.code).toBe(2);
  });
});
