import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NdArray } from "@daqkit/docmodel";
import { encodeTiff } from "@daqkit/docmodel/node";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import type { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProgram } from "../src/program.js";
import { daqkit } from "./run.js";

/**
 * One table over every command of `daqkit`, checking the conventions of apps/cli/README.md:
 * `--help` works; an unknown option is a usage error (exit 2, one stderr line, and under `--json` the error object
 * with code CLI_USAGE); a good command line under `--json` prints one JSON object and nothing on stderr; a bad
 * input is a coded error (exit 3 or 4) with the `--json` error object. A new command must add its row here.
 */
const SHARED = join(import.meta.dirname, "../../../../shared/testdata");
const LH5 = join(SHARED, "lh5/prod-ref-l200/generated/tier/raw/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_raw.lh5");
const FILEDB = join(SHARED, "lh5/configs/pygama-flow/filedb-config.json");
const FLOW = join(SHARED, "lh5/configs/pygama-flow/data-loader-config.json");
const DATA_DIR = join(SHARED, "lh5/prod-ref-l200/generated/tier");
const RAWHDF5 = join(SHARED, "rawhdf5/raw_v0_0_two_iogroups.h5");
const DOCS = join(SHARED, "docmodel");
const BIN = join(SHARED, "gen2-bin/binney_test_packet.bin");
const [FROM, TO] = ["24213263997500", "24213263997999"];
const NONE = "/nonexistent/daqkit-conventions";

const tmp = mkdtempSync(join(tmpdir(), "daqkit-conventions-"));
const t = (name: string) => join(tmp, name);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => {
  process.env.XDG_CACHE_HOME = t("xdg");
  mkdirSync(t("night"));
  copyFileSync(BIN, join(t("night"), "binney_test_packet.bin"));
  cpSync(join(SHARED, "strax/v2/main"), t("store"), { recursive: true });
  copyFileSync(RAWHDF5, t("raw.h5"));
  writeFileSync(t("msgs.json"), JSON.stringify(["4400000000000000"]));
  writeFileSync(t("frame.tiff"), encodeTiff([new NdArray("<u2", [2, 2], Uint16Array.of(1, 2, 3, 4))]));
  const time = BigInt64Array.of(0n, 10n, 20n);
  writeFileSync(t("peaks.arrow"), tableToIPC(tableFromArrays({ time, endtime: BigInt64Array.from(time, (x) => x + 5n) }), "file"));
  copyFileSync(t("peaks.arrow"), t("peaks21.arrow"));
  copyFileSync(t("peaks.arrow"), t("peaks22.arrow"));
  writeFileSync(t("superruns.txt"), "_conv\n");
  writeFileSync(t("frame2.tiff"), encodeTiff([new NdArray("<u2", [2, 2], Uint16Array.of(5, 6, 7, 8))]));
});

interface Row {
  /** A good command line (run in order; some rows use the outputs of earlier ones), or why there is none. */
  ok: string[] | { skip: string };
  /** More good command lines (other forms of the command, e.g. sharded over a list), run after `ok`. */
  more?: string[][];
  /** A command line with bad input, and its exit code. */
  bad: [string[], 2 | 3 | 4];
}

const ROWS = (): Record<string, Row> => ({
  "time range": { ok: ["0", "10", "--inside", "5"], bad: [["x", "10"], 2] },
  "time key": { ok: ["20220716T105236Z"], bad: [["bogus"], 3] },
  "gen2 info": { ok: [BIN], bad: [[NONE], 4] },
  "gen2 convert-all": { ok: [t("night"), t("pq"), "--workers", "0"], bad: [[NONE, t("pq2")], 4] },
  "gen2 round-trip": { ok: [BIN, "--out", t("rt")], bad: [[NONE], 4] },
  "gen2 read": {
    ok: [t("night"), "--from", FROM, "--to", TO, "--out", t("photons.arrows"), "--workers", "0"],
    bad: [[NONE, "--from", FROM, "--to", TO, "--out", t("x.parquet")], 4],
  },
  "cache ls": { ok: [], bad: [["extra-arg"], 2] },
  "cache size": { ok: [], bad: [["extra-arg"], 2] },
  "cache clean": { ok: ["--older-than", "30"], bad: [["--older-than", "soon"], 2] },
  "lh5 ls": { ok: [LH5], bad: [[NONE], 4] },
  "lh5 show": { ok: [LH5, "ch1084803/raw", "--rows", "0:2"], bad: [[LH5, "no/such/table"], 4] },
  "lh5 export": { ok: [LH5, "ch1084803/raw", "--out", t("raw.parquet")], bad: [[NONE, "x", "--out", t("y.parquet")], 4] },
  load: {
    ok: [FLOW, "--data-dir", DATA_DIR, "--files", "all", "--channels", "1084803", "--columns", "trapEmax", "--out", `${t("dataset")}/`],
    bad: [[join(tmp, "missing.json"), "--files", "all", "--columns", "x"], 4],
  },
  merge: { ok: [t("dataset"), "--out", t("merged.arrows")], bad: [[NONE, "--out", t("m.parquet")], 4] },
  "filedb scan": {
    ok: [FILEDB, "--data-dir", DATA_DIR, "--shard", "0/1", "--out", `${t("filedb-parts")}/`],
    bad: [[join(tmp, "missing.json")], 4],
  },
  "filedb merge": { ok: [t("filedb-parts"), "--out", t("filedb.lh5")], bad: [[NONE, "--out", t("f.lh5")], 4] },
  "filedb show": { ok: [FILEDB, "--data-dir", DATA_DIR, "--query", "type == 'cal'"], bad: [[join(tmp, "missing.json")], 4] },
  "rawhdf5 info": { ok: [RAWHDF5], bad: [[NONE], 4] },
  "rawhdf5 cat": { ok: [RAWHDF5, "--start", "0", "--end", "2"], bad: [[NONE], 4] },
  "rawhdf5 append": { ok: [t("raw.h5"), "--from", t("msgs.json")], bad: [[t("raw.h5"), "--from", NONE], 4] },
  "rawhdf5 follow": { ok: { skip: "runs until idle or Ctrl-C, one document per batch (rawhdf5 tests)" }, bad: [[NONE], 4] },
  "rawhdf5 repair": { ok: [t("raw.h5")], bad: [[NONE], 4] },
  "rawhdf5 to-packets": { ok: [RAWHDF5, "--out", t("packets.parquet")], bad: [[NONE, "--out", t("p.parquet")], 4] },
  "docs ingest": {
    ok: ["tiff", t("frame.tiff"), "--out", t("runs")],
    more: [["tiff", t("frame.tiff"), t("frame2.tiff"), "--each", "--shard", "0/1", "--out", t("runs-each")]],
    bad: [["tiff", NONE, "--out", t("runs2")], 4],
  },
  "docs ls": { ok: [DOCS], bad: [[NONE], 4] },
  "docs show": { ok: [DOCS, "05a9a318"], bad: [[DOCS, "no-such-run"], 4] },
  "docs export": { ok: [DOCS, "05a9a318", "--out", t("exported")], bad: [[NONE, "--out", t("e2")], 4] },
  "runs ls": { ok: [t("store")], bad: [[NONE], 4] },
  "runs define": { ok: [t("store"), "_conv", "0", "1"], bad: [[t("store"), "_bad", "no-such-run"], 3] },
  "runs write-superrun": {
    ok: [t("store"), "_conv", "records"],
    more: [[t("store"), `@${t("superruns.txt")}`, "records", "--shard", "0/1", "--overwrite"]],
    bad: [[t("store"), "_nope", "records"], 4],
  },
  "runs load": {
    ok: [t("store"), "0", "records", "--out", t("records.arrow")],
    bad: [[t("store"), "0", "nosuchtype", "--out", t("n.parquet")], 4],
  },
  view: { ok: { skip: "serves until Ctrl-C (view-server and view.e2e tests)" }, bad: [[NONE, "--no-open"], 4] },
  "cluster slurm": {
    ok: ["--shards", "2", "--log-dir", t("slurm-logs"), "--", "gen2", "convert-all", "a", "b"],
    bad: [["--shards", "0", "--", "gen2"], 2],
  },
  "cluster k8s": {
    ok: ["--shards", "2", "--image", "daqkit:test", "--", "gen2", "convert-all", "a", "b"],
    bad: [["--shards", "x", "--image", "i", "--", "gen2"], 2],
  },
  plot: {
    ok: ["bluesky-image", join(DOCS, "530894b3-1b56-534e-8926-86d5417fdc39.msgpack"), "--field", "cam_image", "--out", t("image.svg")],
    bad: [["histogram", join(tmp, "missing.lh5"), "--column", "x", "--out", t("h.svg")], 4],
  },
  "runs put": {
    ok: [t("store"), "9", "mypeaks", t("peaks.arrow")],
    more: [[t("store"), "21,22", "mypeaks", t("peaks{run}.arrow"), "--shard", "0/1"]],
    bad: [[t("store"), "9", "mypeaks", join(tmp, "missing.parquet")], 4],
  },
});

function leaves(command: Command, path: string[] = []): string[] {
  return command.commands.flatMap((sub) => {
    const p = [...path, sub.name()];
    return sub.commands.length === 0 ? [p.join(" ")] : leaves(sub, p);
  });
}

function errorObject(stdout: string): { code: string; message: string; exit: number } {
  const doc = JSON.parse(stdout) as { error: { code: string; message: string; exit: number } };
  expect(typeof doc.error.code).toBe("string");
  expect(typeof doc.error.message).toBe("string");
  return doc.error;
}

describe("the CLI README conventions hold for every command", () => {
  it("every command has a row in this table", async () => {
    expect(leaves(await createProgram()).sort()).toEqual(Object.keys(ROWS()).sort());
  });

  it("--help, usage errors, --json results and errors, quiet stderr", async () => {
    const failures: string[] = [];
    for (const [name, row] of Object.entries(ROWS())) {
      const words = name.split(" ");
      const check = (ok: boolean, what: string) => {
        if (!ok) failures.push(`${name}: ${what}`);
      };
      const help = await daqkit(...words, "--help");
      check(help.code === 0 && help.stdout.includes(`Usage: daqkit ${name}`) && help.stderr === "", "--help");

      const usage = await daqkit("--json", ...words, "--no-such-option");
      check(usage.code === 2, `unknown option exits ${usage.code}, not 2`);
      // commander's own message (a required option may be reported before the unknown one)
      check(usage.stderr.startsWith("error: "), `unknown option stderr: ${usage.stderr}`);
      check(errorObject(usage.stdout).code === "CLI_USAGE" && errorObject(usage.stdout).exit === 2, "usage --json error object");

      for (const good of [...(Array.isArray(row.ok) ? [row.ok] : []), ...(row.more ?? [])]) {
        const ok = await daqkit("--json", ...words, ...good);
        check(ok.code === 0, `ok exits ${ok.code}: ${ok.stderr}`);
        check(ok.stderr === "", `ok stderr not empty: ${ok.stderr}`);
        let doc: unknown;
        try {
          doc = JSON.parse(ok.stdout);
        } catch {
          doc = undefined;
        }
        check(doc !== null && typeof doc === "object" && !Array.isArray(doc), `--json result is not one object: ${ok.stdout.slice(0, 80)}`);
      }

      const [badArgs, exit] = row.bad;
      const bad = await daqkit("--json", ...words, ...badArgs);
      check(bad.code === exit, `bad input exits ${bad.code}, not ${exit}: ${bad.stderr}`);
      check(/^daqkit: [A-Z0-9_]+: /.test(bad.stderr) || bad.stderr.startsWith("error:"), `bad input stderr: ${bad.stderr}`);
      check(bad.stderr.trim().split("\n").length <= 2, `bad input prints one line: ${bad.stderr}`);
      const err = errorObject(bad.stdout);
      check(err.exit === exit && err.code !== "INTERNAL", `bad input --json error object: ${bad.stdout}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
