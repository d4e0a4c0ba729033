import type { OpenedInput, Target } from "../input.js";
import { entriesBelow, headOf } from "../input.js";
import { formats } from "./index.js";
import type { DetectContext, FormatModule } from "./types.js";

export const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function isHdf5(head: Uint8Array): boolean {
  return head.length >= 8 && HDF5_MAGIC.every((b, i) => head[i] === b);
}

export interface Detection {
  readonly format: FormatModule;
  readonly score: number;
}

/** Every format that claims the target, best first. */
export async function detectFormats(input: OpenedInput, path: string, kind: "file" | "directory"): Promise<Detection[]> {
  const entries =
    kind === "directory"
      ? entriesBelow(input, path).map((e) => ({ ...e, path: path ? e.path.slice(path.length + 1) : e.path }))
      : input.entries.filter((e) => e.path === path).map((e) => ({ ...e, path: e.path.split("/").pop()! }));
  const head = kind === "file" ? await headOf(input, path, 512) : new Uint8Array(0);
  const ctx: DetectContext = {
    input,
    path,
    kind,
    entries,
    head,
    readHead: (p, n) => headOf(input, path ? `${path}/${p}` : p, n),
  };
  const scored = await Promise.all(
    formats.map(async (format) => {
      try {
        return { format, score: await format.detect(ctx) };
      } catch {
        return { format, score: 0 };
      }
    }),
  );
  return scored.filter((d) => d.score > 0).sort((a, b) => b.score - a.score);
}

export function targetOf(input: OpenedInput, path: string, kind: "file" | "directory"): Target {
  return { input, path, kind };
}
