#!/usr/bin/env node
// Summarise the fault-suite tallies that test/support/fault.ts `finish()` writes to
// .vitest/reliability/*.json: inputs tried, outcomes by class and the most frequent error codes per
// suite, as a Markdown table for docs/reliability.md. Usage: node scripts/reliability-figures.mjs
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = join(import.meta.dirname, "../.vitest/reliability");
if (!existsSync(dir)) {
  console.error("no tallies: run `pnpm test` (or `pnpm test:slow`) first");
  process.exit(1);
}
const rows = readdirSync(dir)
  .filter((n) => n.endsWith(".json"))
  .sort()
  .map((n) => JSON.parse(readFileSync(join(dir, n), "utf8")));
console.log("| suite | lane | inputs | ok | coded errors | defects | most frequent codes |");
console.log("|---|---|---:|---:|---:|---:|---|");
let total = 0;
for (const t of rows) {
  const coded = Object.values(t.coded).reduce((a, b) => a + b, 0);
  const top = Object.entries(t.coded)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([c, n]) => `${c} ${n}`)
    .join(", ");
  total += t.inputs;
  console.log(`| ${t.suite} | ${t.slow ? "slow" : "quick"} | ${t.inputs} | ${t.ok} | ${coded} | ${t.defects.length} | ${top} |`);
}
console.log(`\n${total} inputs in ${rows.length} suites.`);
// Kill suites: how many SIGKILLs landed inside the write (the rest finished before the kill).
const kills = rows.filter((t) => t.kills !== undefined || t.figures !== undefined);
if (kills.length > 0) {
  console.log("\n| kill suite | lane | runs | killed mid-write | defects |\n|---|---|---:|---:|---:|");
  for (const t of kills) {
    const landed = t.kills ?? Object.values(t.figures).reduce((a, f) => a + (f.kills ?? 0), 0);
    console.log(`| ${t.suite} | ${t.slow ? "slow" : "quick"} | ${t.inputs} | ${landed} | ${t.defects.length} |`);
  }
}
