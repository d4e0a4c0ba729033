/**
 * Data keys and DataDirectory folder names (spec runs.md §3.1).
 */
import { deterministicHash } from "./deterministic-hash.js";
import { RunsError } from "./errors.js";
import { isSuperrunId, type SubrunSpecEntry, subRunSpecToJson } from "./run-doc.js";

/** Identifies one piece of stored data. */
export interface DataKey {
  readonly runId: string;
  readonly dataType: string;
  /** 10-character lineage hash. */
  readonly lineageHash: string;
  /** Superruns only: the superrun's `sub_run_spec` (strax 2.x puts its hash in the folder name). */
  readonly subRunSpec?: readonly SubrunSpecEntry[];
  /** strax 2.x "combining" mode key flag (default false). */
  readonly combining?: boolean;
}

/**
 * Check a data type name: letters, digits and `_` only (strax plugin `provides` names; a `-` would
 * break the `{run}-{type}-{hash}` folder naming). Throws `RUNS_BAD_RUN_ID` naming the data type.
 */
export function assertDataType(dataType: string): void {
  if (typeof dataType !== "string" || !/^[A-Za-z0-9_]+$/.test(dataType)) {
    throw new RunsError("RUNS_BAD_RUN_ID", `strax: data type ${JSON.stringify(dataType)} must contain only letters, digits and '_'`, {
      dataType: String(dataType),
    });
  }
}

/** Folder-name generation: `2` = strax ≥ 2.0 (superruns carry the subrun hash), `1` = strax 1.x. */
export type StraxLayout = 1 | 2;

/** strax 2.x superrun suffix: `deterministic_hash([sub_run_spec, combining])`. */
export function superrunHash(spec: readonly SubrunSpecEntry[], combining = false): string {
  return deterministicHash([subRunSpecToJson(spec), combining]);
}

/**
 * Folder name of a key: `{run}-{type}-{hash}`, or for a superrun in the 2.x layout
 * `{run}_{H}-{type}-{hash}`. Throws `RUNS_BAD_SUPERRUN` for a 2.x superrun key without `subRunSpec`.
 */
export function dataKeyFolderName(key: DataKey, layout: StraxLayout = 2): string {
  let runPart = key.runId;
  if (layout === 2 && isSuperrunId(key.runId)) {
    if (!key.subRunSpec) {
      throw new RunsError("RUNS_BAD_SUPERRUN", `strax: you must assign subruns information for superrun ${key.runId} (no sub_run_spec)`, {
        runId: key.runId,
      });
    }
    runPart = `${key.runId}_${superrunHash(key.subRunSpec, key.combining ?? false)}`;
  }
  return `${runPart}-${key.dataType}-${key.lineageHash}`;
}

/** Parsed data folder name (a folder is strax data iff its name splits on `-` into 3 parts). */
export interface DataFolderName {
  /** Run part of the name (for a 2.x superrun this includes `_{H}`). */
  readonly runPart: string;
  readonly dataType: string;
  readonly lineageHash: string;
}

/** Split a folder name, or `undefined` when it is not a strax data folder name. */
export function parseDataFolderName(name: string): DataFolderName | undefined {
  const parts = name.split("-");
  if (parts.length !== 3 || parts.some((p) => p === "")) return undefined;
  return { runPart: parts[0]!, dataType: parts[1]!, lineageHash: parts[2]! };
}
