import { readFileSync } from "node:fs";
import { join } from "node:path";
import { NdArray } from "../src/index.js";

/** `../shared/testdata/docmodel` beside the repository. */
export const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata/docmodel");

export const RUNS = {
  scalars: "05a9a318-013e-5700-b4e3-e6b467ace5f8",
  external: "13351640-47df-5521-9b34-daece38debcc",
  image: "530894b3-1b56-534e-8926-86d5417fdc39",
  page: "b7504d38-793e-55a0-a4b8-32efe2c72918",
  partial: "e06ec65b-8213-5661-8475-727143384472",
} as const;

export const ALL_UIDS = Object.values(RUNS);

export function readJson<T = any>(name: string): T {
  return JSON.parse(readFileSync(join(TESTDATA, name), "utf8")) as T;
}

/** The README's tagged JSON form of decoded values ($ndarray / $ndscalar). */
export function tagged(v: unknown): unknown {
  if (v instanceof NdArray) {
    return v.scalar
      ? { $ndscalar: { dtype: v.dtype, value: v.toJSON() } }
      : { $ndarray: { dtype: v.dtype, shape: [...v.shape], data: v.toJSON() } };
  }
  if (Array.isArray(v)) return v.map(tagged);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, tagged(x)]));
  return v;
}
