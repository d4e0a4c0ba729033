import { createProgress, NO_PROGRESS, type Progress } from "./progress.js";

/** Shared services every command group receives. */
export interface CliContext {
  /** True when `--json` was given: print one JSON document on stdout and nothing else. */
  readonly json: boolean;
  /**
   * Print a command's result: `data` as JSON when `--json` is on (bigint becomes a decimal
   * string), otherwise `human()` as text.
   */
  print(data: unknown, human: () => string): void;
  /**
   * A progress line on stderr, drawn only when stderr is a TTY and `--json` is off (silent otherwise);
   * `total` ≤ 0 draws a running count.
   */
  progress(total: number, label: string): Progress;
}

export type { Progress } from "./progress.js";

/**
 * JSON.stringify that writes bigint as decimal strings and typed arrays as arrays. A float that is not finite
 * is a string, `"NaN"`, `"Infinity"` or `"-Infinity"` (JSON has no such numbers), so it stays apart from a
 * missing value, which is `null`.
 */
export function toJson(data: unknown, indent = 2): string {
  return JSON.stringify(
    data,
    (_key, value) => {
      if (typeof value === "bigint") return value.toString();
      if (typeof value === "number" && !Number.isFinite(value)) return String(value);
      if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
        return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => (typeof v === "bigint" ? v.toString() : v));
      }
      if (value instanceof Map) return Object.fromEntries(value);
      return value;
    },
    indent,
  );
}

/** Where the CLI writes: real process streams by default, buffers in tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** The stream progress bars draw on; bars are drawn only when it is a TTY. */
  progressStream?: NodeJS.WriteStream;
}

export const PROCESS_IO: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  progressStream: process.stderr,
};

export function createContext(options: { json: boolean; io?: CliIo }): CliContext {
  const io = options.io ?? PROCESS_IO;
  return {
    json: options.json,
    print(data, human) {
      io.out(options.json ? `${toJson(data)}\n` : `${human().replace(/\n$/, "")}\n`);
    },
    progress(total, label) {
      return options.json ? NO_PROGRESS : createProgress(io.progressStream, total, label);
    },
  };
}

/** A value in a text preview: JSON, except that NaN and ±Infinity print as such (a missing value is `null`). */
export function previewText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return toJson(value, 0).replace(/"(NaN|-?Infinity)"/g, "$1");
}
