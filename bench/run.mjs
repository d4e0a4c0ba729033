#!/usr/bin/env node
// `pnpm bench [NAME…]`: runs every packages/*/bench/*.bench.mjs (or those whose path contains a NAME),
// each in its own Node process so that peak RSS is per benchmark. Benchmarks import the built
// packages (`pnpm bench` builds first) and print their own figures; generated inputs go under
// bench/.data/ (git-ignored) and are reused between runs.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const filters = process.argv.slice(2);
const files = [];
for (const base of ["packages", "apps"]) {
  for (const name of readdirSync(join(root, base))) {
    const dir = join(root, base, name, "bench");
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (f.endsWith(".bench.mjs")) files.push(join(dir, f));
  }
}
const selected = files.filter((f) => filters.length === 0 || filters.some((n) => relative(root, f).includes(n)));
if (selected.length === 0) {
  console.error(
    `bench: nothing matches ${filters.join(" ") || "(no filter)"}; available:\n  ${files.map((f) => relative(root, f)).join("\n  ")}`,
  );
  process.exit(2);
}
mkdirSync(join(root, "bench", ".data"), { recursive: true });
let failed = 0;
for (const file of selected) {
  console.log(`\n=== ${relative(root, file)}`);
  const r = spawnSync(process.execPath, ["--expose-gc", file], {
    stdio: "inherit",
    cwd: root,
    env: { ...process.env, DAQKIT_BENCH_DATA: join(root, "bench", ".data") },
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
