import cliProgress from "cli-progress";

/** Shared services every command group receives. */
export interface CliContext {
  /** True when `--json` was given: print one JSON document on stdout and nothing else. */
  readonly json: boolean;
  /**
   * Print a command's result: `data` as JSON when `--json` is on (bigint becomes a decimal
   * string), otherwise `human()` as text.
   */
  print(data: unknown, human: () => string): void;
  /** A progress bar on stderr, drawn only when stderr is a TTY (silent otherwise). */
  progress(total: number, label: string): Progress;
}

export interface Progress {
  /** Advance by `n` units (default 1). */
  tick(n?: number): void;
  /** Set the absolute position. */
  update(value: number): void;
  /** Remove the bar. Safe to call more than once. */
  stop(): void;
}

/** JSON.stringify that writes bigint as decimal strings and typed arrays as arrays. */
export function toJson(data: unknown, indent = 2): string {
  return JSON.stringify(
    data,
    (_key, value) => {
      if (typeof value === "bigint") return value.toString();
      if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
        return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => (typeof v === "bigint" ? v.toString() : v));
      }
      if (value instanceof Map) return Object.fromEntries(value);
      return value;
    },
    indent,
  );
}

const NO_PROGRESS: Progress = { tick() {}, update() {}, stop() {} };

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
      const stream = io.progressStream;
      if (!stream?.isTTY || options.json) return NO_PROGRESS;
      const bar = new cliProgress.SingleBar(
        { stream, format: `${label} [{bar}] {value}/{total} {percentage}% eta {eta_formatted}`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
      let stopped = false;
      return {
        tick: (n = 1) => bar.increment(n),
        update: (v) => bar.update(v),
        stop: () => {
          if (!stopped) bar.stop();
          stopped = true;
        },
      };
    },
  };
}
