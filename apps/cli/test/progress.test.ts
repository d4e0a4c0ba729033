import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NdArray } from "@daqkit/docmodel";
import { encodeTiff } from "@daqkit/docmodel/node";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProgress } from "../src/progress.js";

// Progress lines appear on a terminal only: run the built binary under a pseudo-TTY (util-linux `script`) and
// with plain pipes. Skips locally when `script` or the build is missing, fails under CI=true.
const bin = join(import.meta.dirname, "../dist/index.js");
const LH5 = join(import.meta.dirname, "../../../../shared/testdata/lh5");
const RAW = join(LH5, "prod-ref-l200/generated/tier/raw/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_raw.lh5");
const DSP = join(LH5, "prod-ref-l200/generated/tier/dsp/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_dsp.lh5");
const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;
const missing = !hasScript ? "util-linux `script` is not installed" : !existsSync(bin) ? "apps/cli/dist is not built" : undefined;
if (missing && process.env.CI === "true") throw new Error(`progress test needs ${missing}`);
if (missing) console.warn(`skipped: ${missing}`);

const tmp = mkdtempSync(join(tmpdir(), "daqkit-progress-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** `daqkit ARGS` with stdin/stdout/stderr on a pseudo-terminal; returns everything the terminal showed. */
function onTty(...args: string[]): { status: number | null; screen: string } {
  const cmd = [process.execPath, bin, ...args].map(quote).join(" ");
  const r = spawnSync("script", ["-qec", cmd, "/dev/null"], { encoding: "utf8", env: { ...process.env, COLUMNS: "120" } });
  return { status: r.status, screen: r.stdout };
}

/** `daqkit ARGS` with pipes: returns stderr. */
function piped(...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  return { status: r.status, stderr: r.stderr };
}

beforeAll(() => {
  for (let i = 0; i < 3; i++) {
    writeFileSync(
      join(tmp, `frame_${i}.tiff`),
      encodeTiff([
        new NdArray(
          "<u2",
          [2, 3],
          Uint16Array.from({ length: 6 }, (_, j) => i + j),
        ),
      ]),
    );
  }
  const time = BigInt64Array.from({ length: 100 }, (_, i) => BigInt(i * 10));
  const endtime = BigInt64Array.from(time, (t) => t + 5n);
  writeFileSync(
    join(tmp, "peaks.arrow"),
    tableToIPC(tableFromArrays({ time, endtime, area: Float32Array.from({ length: 100 }, (_, i) => i) }), "file"),
  );
});

describe.skipIf(missing !== undefined)("progress lines: on a TTY only", () => {
  // [label shown on the TTY, args]; each command is then run again with pipes and must keep stderr empty.
  const commands = (): Array<[RegExp, string[]]> => [
    [/rows \[/, ["lh5", "export", RAW, "ch1084803/raw", "--out", join(tmp, "raw.parquet"), "--batch-rows", "4"]],
    [
      /tiff: documents \d/,
      [
        "docs",
        "ingest",
        "tiff",
        join(tmp, "frame_0.tiff"),
        join(tmp, "frame_1.tiff"),
        join(tmp, "frame_2.tiff"),
        "--out",
        join(tmp, "runs"),
        "--overwrite",
      ],
    ],
    [/runs \[/, ["docs", "export", join(tmp, "runs"), "--out", join(tmp, "copy"), "--overwrite"]],
    [/peaks\.arrow: rows \d/, ["runs", "put", join(tmp, "store"), "7", "peaks", join(tmp, "peaks.arrow"), "--overwrite"]],
    [/7\/peaks: chunks \d/, ["runs", "load", join(tmp, "store"), "7", "peaks", "--out", join(tmp, "back.arrow")]],
    [/histogram \[/, ["plot", "histogram", DSP, "--column", "ch1084803/dsp/trapEmax", "--out", join(tmp, "trapEmax.svg")]],
  ];

  it("each long command draws a progress line on a terminal and erases it", () => {
    for (const [label, args] of commands()) {
      const r = onTty(...args);
      expect(r.status, `${args.slice(0, 2).join(" ")}: ${r.screen}`).toBe(0);
      expect(r.screen, args.slice(0, 2).join(" ")).toMatch(label);
      expect(r.screen).toContain("\r\x1b[K");
    }
  });

  it("without a terminal (pipes, CI) and under --json on a terminal, nothing is drawn", () => {
    for (const [, args] of commands()) {
      const r = piped(...args);
      expect(r.status, args.slice(0, 2).join(" ")).toBe(0);
      expect(r.stderr, args.slice(0, 2).join(" ")).toBe("");
    }
    const [label, args] = commands()[0]!;
    const json = onTty("--json", ...args);
    expect(json.status).toBe(0);
    expect(json.screen).not.toMatch(label);
    expect(() => JSON.parse(json.screen)).not.toThrow();
  });
});

describe("createProgress", () => {
  it("draws a bar with a known total, a count without, and nothing off a TTY", () => {
    let text = "";
    const tty = {
      isTTY: true,
      columns: 80,
      write: (s: string) => {
        text += s;
        return true;
      },
    } as unknown as NodeJS.WriteStream;
    const bar = createProgress(tty, 10, "convert");
    bar.update(10);
    bar.stop();
    bar.stop();
    expect(text).toContain("convert [");
    expect(text).toContain("100% 10/10");
    expect(text.endsWith("\r\x1b[K")).toBe(true);
    text = "";
    const count = createProgress(tty, 0, "docs");
    count.tick(7);
    count.stop();
    expect(text).toContain("docs 7");
    text = "";
    const pipe = {
      isTTY: false,
      write: (s: string) => {
        text += s;
        return true;
      },
    } as unknown as NodeJS.WriteStream;
    createProgress(pipe, 10, "x").tick();
    expect(text).toBe("");
  });
});
