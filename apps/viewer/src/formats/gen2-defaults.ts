// What the gen2 panel shares with its worker (the whole-night bin a scan starts ahead) and with the
// bootstrap that starts a served night's scan before the app loads (issue 16). No heavy imports.
import type { DirRef } from "../input.js";
import type { Gen2ScanArgs } from "../worker/jobs/gen2.js";

/** A round light-curve bin giving about `target` bins over `durationUs`. */
export function niceBinUs(durationUs: number, target = 400): number {
  const raw = Math.max(1, durationUs / target);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return Math.max(1, Math.round((m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p));
}

/** A folder is a gen2 night when it has `.bin` files directly in it (`entries` relative to it). */
export function isGen2Night(entries: readonly { readonly path: string; readonly kind: string }[]): boolean {
  return entries.some((e) => e.kind === "file" && !e.path.includes("/") && e.path.endsWith(".bin"));
}

/**
 * The gen2 panel's first job: scan the night at `night` of the input `ref`, then bin the whole night
 * ahead. The panel and the bootstrap (../early.ts) build it here, so that they ask for the same job.
 */
export function gen2ScanJob(ref: DirRef, night: string): { name: "gen2.scan"; args: Gen2ScanArgs } {
  return { name: "gen2.scan", args: { ref, path: night, thenBin: true } };
}
