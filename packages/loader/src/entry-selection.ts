import { LoaderError } from "./errors.js";
import type { Tcm } from "./tcm.js";

/**
 * How hits are kept in a TCM entry list:
 * - `"only"`: a hit is kept when it passes the parent cut and its event passes the child cut;
 * - `"any"`: every selected hit of an event is kept when the event passes the child cut and at
 *   least one selected hit of it passes the parent cut.
 */
export type TcmMode = "only" | "any";

/** Inputs of {@link selectTcmHits}; every mask is 1 = true, 0 = false. */
export interface TcmSelectionInput {
  readonly tcm: Tcm;
  /** Per hit: its parent table is selected (datastream selection). `null` = all selected. */
  readonly hitSelected: Uint8Array | null;
  /** Per hit: it passes the parent-level cut. `null` = no parent cut (all pass). */
  readonly hitPass: Uint8Array | null;
  /** Per event: it passes the child-level cut. `null` = no child cut (all pass). */
  readonly eventPass: Uint8Array | null;
  readonly mode: TcmMode;
}

/**
 * The kept hits (TCM row indices, increasing = TCM order) of one file's TCM. Cuts of the two levels
 * are AND-ed (pygama's "any" mode OR-ed them, bug B3). Cost O(hits), no allocation per hit.
 */
export function selectTcmHits(input: TcmSelectionInput): Int32Array {
  const { tcm, hitSelected, hitPass, eventPass, mode } = input;
  const n = tcm.hitCount;
  if ((hitSelected && hitSelected.length !== n) || (hitPass && hitPass.length !== n)) {
    throw new LoaderError("LOADER_BAD_ARGUMENT", `loader: hit masks must have ${n} entries (one per TCM row)`);
  }
  if (eventPass && eventPass.length !== tcm.eventCount) {
    throw new LoaderError("LOADER_BAD_ARGUMENT", `loader: the event mask must have ${tcm.eventCount} entries (one per event)`);
  }
  const out = new Int32Array(n);
  let k = 0;
  if (mode === "only") {
    for (let h = 0; h < n; h++) {
      if (hitSelected && !hitSelected[h]) continue;
      if (hitPass && !hitPass[h]) continue;
      if (eventPass && !eventPass[tcm.event[h] as number]) continue;
      out[k++] = h;
    }
  } else if (mode === "any") {
    let start = 0;
    for (let e = 0; e < tcm.eventCount; e++) {
      const end = tcm.eventEnd[e] as number;
      if (!eventPass || eventPass[e]) {
        let any = false;
        for (let h = start; h < end && !any; h++) any = hitSelected?.[h] !== 0 && hitPass?.[h] !== 0;
        if (any) for (let h = start; h < end; h++) if (!hitSelected || hitSelected[h]) out[k++] = h;
      }
      start = end;
    }
  } else {
    throw new LoaderError("LOADER_BAD_ARGUMENT", `loader: mode must be "only" or "any", found ${JSON.stringify(mode)}`);
  }
  return out.slice(0, k);
}

/** Indices `i` with `mask[i] === 1`, increasing. */
export function maskToIndices(mask: Uint8Array): Int32Array {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i] as number;
  const out = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) out[k++] = i;
  return out;
}
