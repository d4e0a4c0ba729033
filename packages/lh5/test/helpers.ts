import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { havePython } from "../../../test/support/readers.js";

/** `shared/testdata/lh5` beside the repository. */
export const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata/lh5");
export const PROD = join(TESTDATA, "prod-ref-l200/generated/tier");
export const RAW_CAL = join(PROD, "raw/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_raw.lh5");
export const TCM_OLD = join(PROD, "tcm/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_tcm.lh5");
export const TCM_V2 = join(PROD, "tcm_v2/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_tcm.lh5");
export const P14_ZSTD = join(TESTDATA, "extra/l200-p14-r004-cal-20250606T010224Z-tier_raw.lh5");
export const EVT_P16 = join(TESTDATA, "l200-p16-r008-ssc-20251006T205904Z-tier_evt.lh5");

export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "daqkit-lh5-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** True when Debian's python3 with h5py is available for cross-checks. */
export const HAVE_H5PY = havePython(["h5py"]);

/** Run a Python script with Debian's python3 and return stdout (throws with stderr on failure). */
export function runPython(script: string, args: string[] = []): string {
  const r = spawnSync("/usr/bin/python3", ["-c", script, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export function sum(a: ArrayLike<number | bigint>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Number(a[i]);
  return s;
}
