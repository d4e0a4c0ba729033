/**
 * Names of our temporary ("scratch") folders and files in a DataDirectory, one per writer, and the
 * removal of those left behind by dead writers (issue 14).
 *
 * strax writes into `{folder}_temp` and its readers only ever look that exact name up; a folder
 * whose name does not split on `-` into exactly three parts is not data at all for strax (nor for
 * our {@link parseDataFolderName}). Our scratch names are `{folder}_temp-{pid}-{host}-{random}`
 * (and `{folder}_old-…` for data being replaced): five `-`, so strax and our readers ignore them,
 * two writers never share one, and the pid and host tell whether the writer is still alive.
 */
import { createHash, randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { processAlive } from "@daqkit/io/node";

/** Kind of scratch entry: data being written, or old data moved aside while being replaced. */
export type ScratchKind = "temp" | "old";

/** Scratch names of writers alive in this process (same pid, so the pid alone cannot tell). */
const live = new Set<string>();

let hostTagCache: string | undefined;
/** 8 hex digits identifying this host (names may come from a shared filesystem). */
function hostTag(): string {
  hostTagCache ??= createHash("sha1").update(hostname()).digest("hex").slice(0, 8);
  return hostTagCache;
}

/** A fresh scratch name for `base` (a data folder or run-document file name), registered as live. */
export function scratchName(base: string, kind: ScratchKind): string {
  const name = `${base}_${kind}-${process.pid}-${hostTag()}-${randomBytes(4).toString("hex")}`;
  live.add(name);
  return name;
}

/** Forget a scratch name once it has been renamed or removed. */
export function releaseScratch(name: string): void {
  live.delete(name);
}

/** Parsed scratch name, or `undefined` if `name` is not a scratch name of `base`. */
export function parseScratchName(name: string, base: string): { kind: ScratchKind; pid: number; host: string } | undefined {
  if (!name.startsWith(`${base}_`)) return undefined;
  const m = /^(temp|old)-(\d+)-([0-9a-f]{8})-[0-9a-f]{8}$/.exec(name.slice(base.length + 1));
  if (!m) return undefined;
  return { kind: m[1] as ScratchKind, pid: Number(m[2]), host: m[3]! };
}

/**
 * True when the scratch entry `name` of `base` was left by a writer that is gone: same host and
 * its pid is not alive, or this very process and not one of its live writers. Entries of other
 * hosts are never judged stale (their pids mean nothing here).
 */
export function isStaleScratch(name: string, base: string): boolean {
  const parsed = parseScratchName(name, base);
  if (!parsed || parsed.host !== hostTag()) return false;
  if (parsed.pid === process.pid) return !live.has(name);
  return !processAlive(parsed.pid);
}
