import type { EventDescriptor } from "./documents.js";
import { DocModelError } from "./errors.js";

/** Data keys an Event must carry: every descriptor key except those with `external: "STREAM:"`. */
export function eventKeysOf(descriptor: EventDescriptor): string[] {
  const out: string[] = [];
  for (const k of Object.keys(descriptor.data_keys)) if (descriptor.data_keys[k]?.external !== "STREAM:") out.push(k);
  return out;
}

/** Precomputed key check for one descriptor (hot path of composeEvent/composeEventPage). */
export class KeyChecker {
  readonly keys: readonly string[];
  private readonly set: ReadonlySet<string>;
  private readonly descriptorUid: string;

  constructor(descriptor: EventDescriptor) {
    this.keys = eventKeysOf(descriptor);
    this.set = new Set(this.keys);
    this.descriptorUid = descriptor.uid;
  }

  /**
   * `data`, `timestamps` keys must equal the descriptor's keys; `filled` keys ⊆ `data` keys.
   * @throws DocModelError `DOCS_KEYS_MISMATCH` with `missing`/`extra`
   */
  check(data: object, timestamps: object, filled: object | undefined, what: string): void {
    this.checkOne(data, "data", what);
    this.checkOne(timestamps, "timestamps", what);
    if (filled) {
      for (const k in filled) {
        if (!(k in data)) {
          throw new DocModelError("DOCS_KEYS_MISMATCH", `docmodel: ${what}: filled key ${JSON.stringify(k)} is not a data key`, {
            documentName: what,
            extra: [k],
            missing: [],
          });
        }
      }
    }
  }

  private checkOne(map: object, field: string, what: string): void {
    let n = 0;
    let bad = false;
    for (const k in map) {
      n++;
      if (!this.set.has(k)) bad = true;
    }
    if (!bad && n === this.keys.length) return;
    const have = Object.keys(map);
    const missing = this.keys.filter((k) => !(k in map));
    const extra = have.filter((k) => !this.set.has(k));
    throw new DocModelError(
      "DOCS_KEYS_MISMATCH",
      `docmodel: ${what} ${field} keys do not match descriptor ${this.descriptorUid}: ` +
        `missing [${missing.join(", ")}], unexpected [${extra.join(", ")}] (descriptor keys: [${this.keys.join(", ")}])`,
      { documentName: what, missing, extra },
    );
  }
}

/** Length of a page column: array length, or first-axis size of an N-d array. */
export function columnLength(c: unknown): number {
  if (c === null || typeof c !== "object") return -1;
  const len = (c as { length?: unknown }).length;
  return typeof len === "number" ? len : -1;
}
