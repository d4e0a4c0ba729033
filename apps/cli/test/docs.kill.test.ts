import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NdArray, decodeMsgpackRecords } from "@daqkit/docmodel";
import { encodeTiff } from "@daqkit/docmodel/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleScript, killAt, prng, scaled } from "../../../test/support/fault.js";

/*
 * kill -9 at random points of `docs ingest` and `docs export` (msgpack and jsonl): afterwards no file under its
 * final name is torn or differs from the uninterrupted result, and re-running gives the uninterrupted result.
 * A killed writer's temporary (`.NAME.daqkit-PID-HOST-RANDOM.tmp`, @daqkit/io's atomic writer) is removed by the
 * re-run, which writes the same final name.
 */

const tmp = mkdtempSync(join(tmpdir(), "daqkit-docs-kill-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let cli = "";
const FRAMES = join(tmp, "frames");

beforeAll(async () => {
  // The CLI bundled from source; `../package.json` (read for --version) must sit beside `bin/`.
  copyFileSync(join(import.meta.dirname, "../package.json"), join(tmp, "package.json"));
  cli = await bundleScript(join(import.meta.dirname, "../src/index.ts"), join(tmp, "bin", "daqkit.mjs"), []);
  mkdirSync(FRAMES);
  for (let i = 0; i < 40; i++) {
    const f = join(FRAMES, `frame_${String(i).padStart(2, "0")}.tiff`);
    writeFileSync(
      f,
      encodeTiff([
        new NdArray(
          "<u2",
          [256, 256],
          Uint16Array.from({ length: 65536 }, (_, j) => (i * 7 + j) & 0xffff),
        ),
      ]),
    );
    utimesSync(f, 1559144355 + i, 1559144355 + i);
  }
});

/** Files under their final names (temporary files of killed writers start with '.'). */
function finals(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => !f.startsWith("."))
      .sort();
  } catch {
    return [];
  }
}

function names(path: string): string[] {
  return [...decodeMsgpackRecords(readFileSync(path), path)].map(([n]) => n);
}

async function run(args: string[]): Promise<void> {
  const r = await killAt([cli, ...args], 600_000);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
}

describe("docs ingest/export under kill -9", () => {
  it("never leaves a torn or different file under the final name; a re-run completes it", async () => {
    // Uninterrupted results. Ingest gives fresh descriptor/event uids per run (same length): compare the record
    // names and size; export copies an existing run: compare bytes.
    const refIngest = join(tmp, "ref-ingest");
    await run(["docs", "ingest", "tiff", join(FRAMES, "frame_*.tiff"), "--out", refIngest]);
    const [ingested] = finals(refIngest);
    const refPath = join(refIngest, ingested as string);
    const refNames = names(refPath);
    const refSize = readFileSync(refPath).length;
    const refExport = join(tmp, "ref-export");
    await run(["docs", "export", refIngest, "--out", refExport]);
    const refJsonl = join(tmp, "ref-jsonl");
    await run(["docs", "export", refIngest, "--out", refJsonl, "--format", "jsonl", "--canonical"]);
    const expectedExport = readFileSync(join(refExport, ingested as string));
    const expectedJsonl = readFileSync(join(refJsonl, (ingested as string).replace(/\.msgpack$/, ".jsonl")));

    const rnd = prng(0x6b11);
    const kills = scaled(1);
    let killed = 0;
    for (let k = 0; k < kills; k++) {
      for (const job of ["ingest", "export", "jsonl"] as const) {
        const out = join(tmp, `${job}-${k}`);
        const args =
          job === "ingest"
            ? ["docs", "ingest", "tiff", join(FRAMES, "frame_*.tiff"), "--out", out]
            : job === "export"
              ? ["docs", "export", refIngest, "--out", out]
              : ["docs", "export", refIngest, "--out", out, "--format", "jsonl", "--canonical"];
        const r = await killAt([cli, ...args], 150 + Math.floor(rnd() * 900));
        if (r.killed) killed++;
        const check = (): void => {
          for (const f of finals(out)) {
            const path = join(out, f);
            if (job === "ingest") {
              expect(names(path)).toEqual(refNames);
              expect(readFileSync(path).length).toBe(refSize);
            } else expect(readFileSync(path).equals(job === "export" ? expectedExport : expectedJsonl)).toBe(true);
          }
        };
        check();
        await run([...args, "--overwrite"]);
        expect(finals(out)).toHaveLength(1);
        expect(readdirSync(out).filter((f) => f.startsWith("."))).toEqual([]);
        check();
      }
    }
    console.info(`docs kill suite: ${kills * 3} runs, ${killed} killed mid-run`);
    expect(killed).toBeGreaterThan(0);
  });
});
