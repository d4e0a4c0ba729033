import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { havePython, SYSTEM_PYTHON } from "../../../test/support/readers.js";

export const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata/rawhdf5");

export interface ExpectedFile {
  file: string;
  meta: { version: string; io_version: string | null; created: number; modified: number };
  len: number;
  io_groups: number[];
  msgs_hex: string[];
  packets?: { fields: string[]; rows: number[][] };
}

export const EXPECTED = JSON.parse(readFileSync(join(TESTDATA, "expected.json"), "utf8")) as Record<string, ExpectedFile>;
export const PYTHON_FILES = ["raw_v0_0_two_iogroups.h5", "raw_v0_0_two_appends.h5", "raw_v0_0_empty.h5"] as const;

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function fromHex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "hex"));
}

export function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "daqkit-rawhdf5-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function copyPythonFile(name: string, dir: string): string {
  const target = join(dir, name);
  copyFileSync(join(TESTDATA, name), target);
  return target;
}

/** Debian's python with h5py, or null (tests then skip with a message). */
export const PYTHON_H5PY: string | null = havePython(["h5py", "numpy"]) ? SYSTEM_PYTHON : null;

/** Random messages of 24..104 bytes, deterministic. */
export function randomMessages(n: number, seed = 1): Uint8Array[] {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const len = 24 + (next() % 81);
    const m = new Uint8Array(len);
    for (let j = 0; j < len; j++) m[j] = next() >>> 24;
    out.push(m);
  }
  return out;
}
