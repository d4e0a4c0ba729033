import type { ComponentType } from "react";
import type { DirectoryEntry } from "@daqkit/io";
import type { OpenedInput, Target } from "../input.js";

/** What `detect` gets: one file or folder of the open input. */
export interface DetectContext {
  readonly input: OpenedInput;
  /** "" for the input's root folder. */
  readonly path: string;
  readonly kind: "file" | "directory";
  /** For a folder: the entries below it, paths relative to the folder; for a file: just the file (its base name). */
  readonly entries: readonly DirectoryEntry[];
  /** The first bytes of the file (up to 512; empty for a folder). */
  readonly head: Uint8Array;
  /** Read the first `n` bytes of another file of the folder (path relative to the folder). */
  readHead(path: string, n: number): Promise<Uint8Array>;
}

export interface PanelProps {
  readonly target: Target;
}

/**
 * One format of the viewer (`src/formats/<id>.tsx`, registered in `src/formats/index.ts`).
 * `detect` returns a score: 0 = not this format; the highest score wins (name-only guesses 1,
 * content checks 2 or more).
 */
export interface FormatModule {
  readonly id: string;
  readonly label: string;
  detect(ctx: DetectContext): number | Promise<number>;
  readonly Panel: ComponentType<PanelProps>;
}
