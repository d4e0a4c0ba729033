/**
 * The CLI's progress line: drawn on a terminal only (stderr by default), never in pipes, CI logs or under
 * `--json`. A bar with percentage when the total is known, a running count otherwise. One `\r` line,
 * redrawn at most every 100 ms, erased when the work ends.
 */
export interface Progress {
  /** Advance by `n` units (default 1). */
  tick(n?: number): void;
  /** Set the absolute position. */
  update(value: number): void;
  /** Erase the line. Safe to call more than once. */
  stop(): void;
}

export const NO_PROGRESS: Progress = { tick() {}, update() {}, stop() {} };

const WIDTH = 30;
/** Lines being drawn, so that an error message never lands on a half-drawn line ({@link stopAllProgress}). */
const active = new Set<Progress>();

/** Erase every progress line still drawn (before the CLI prints an error). */
export function stopAllProgress(): void {
  for (const p of [...active]) p.stop();
}
const REDRAW_MS = 100;

/** A progress line for `total` units (0 or less: unknown total, a count) on `stream`, or {@link NO_PROGRESS} off a TTY. */
export function createProgress(stream: NodeJS.WriteStream | undefined, total: number, label: string): Progress {
  if (!stream?.isTTY) return NO_PROGRESS;
  let value = 0;
  let drawnAt = 0;
  let stopped = false;
  const draw = (force: boolean) => {
    const now = Date.now();
    if (!force && now - drawnAt < REDRAW_MS) return;
    drawnAt = now;
    let text: string;
    if (total > 0) {
      const frac = Math.min(1, Math.max(0, value / total));
      const filled = Math.round(frac * WIDTH);
      text = `${label} [${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${value}/${total}`;
    } else {
      text = `${label} ${value}`;
    }
    const columns = stream.columns || 80;
    stream.write(`\r${text.slice(0, columns - 1)}\x1b[K`);
  };
  draw(true);
  const progress: Progress = {
    tick(n = 1) {
      if (stopped) return;
      value += n;
      draw(false);
    },
    update(v) {
      if (stopped) return;
      value = v;
      draw(false);
    },
    stop() {
      if (stopped) return;
      draw(true);
      stopped = true;
      active.delete(progress);
      stream.write("\r\x1b[K");
    },
  };
  active.add(progress);
  return progress;
}

/** Pass `items` through, ticking `progress` once per item (by `weight(item)` when given), and stop it at the end. */
export async function* withProgress<T>(
  items: Iterable<T> | AsyncIterable<T>,
  progress: Progress,
  weight: (item: T) => number = () => 1,
): AsyncGenerator<T> {
  try {
    for await (const item of items) {
      progress.tick(weight(item));
      yield item;
    }
  } finally {
    progress.stop();
  }
}
