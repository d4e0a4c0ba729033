/**
 * Worker of gen2.fuzz.test.ts (bundled, run by `runIsolated`): write one mutated bin directory to a
 * fresh temporary directory, open it as a BinDirectory, convert every file and read the cache back.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveInputs } from "../../../test/support/fault-worker.js";
import { BinDirectory } from "../src/node.js";

interface DirInput {
  files: { name: string; bytes: Uint8Array }[];
}

serveInputs(async (data) => {
  const { files } = data as DirInput;
  const root = mkdtempSync(join(tmpdir(), "gen2-fuzz-dir-"));
  try {
    const bin = join(root, "bin");
    mkdirSync(bin);
    for (const f of files) writeFileSync(join(bin, f.name), f.bytes);
    const dir = await BinDirectory.open(bin, join(root, "pq"), { workers: 0 });
    const paths = await dir.convertAll();
    let converted = 0;
    for (const v of dir.results.values()) if (v !== "cached") converted += v.stats.photons;
    const r = await dir.readAll();
    if (r.photons.numRows !== converted) {
      throw new Error(`read back ${r.photons.numRows} photons from ${paths.length} Parquet files, conversion reported ${converted}`);
    }
    return `${dir.files.length} files, ${dir.skipped.length} skipped, ${converted} photons`;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
