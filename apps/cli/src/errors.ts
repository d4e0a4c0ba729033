/**
 * How the daqkit CLI turns errors into one line and an exit code.
 *
 * Every daqkit package throws its own error class carrying a string `code`
 * (`GEN2_TRUNCATED_FRAME`, `LH5_DATASET_MISSING`, …). The CLI does not import
 * those classes: it recognises any error with an upper-case `code` string.
 */

/** Documented exit codes of the `daqkit` command. */
export const EXIT = {
  /** Success. */
  OK: 0,
  /** Unexpected internal error: a bug; the stack is printed. */
  INTERNAL: 1,
  /** Wrong command line (unknown option, bad argument). */
  USAGE: 2,
  /** Bad input data: a coded error from a daqkit package (malformed file, bad config, failed validation). */
  DATA: 3,
  /** A file or object that was named does not exist or cannot be read/written. */
  NOT_FOUND: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error raised by the CLI itself for a bad command line. */
export class CliUsageError extends Error {
  override readonly name = "CliUsageError";
  readonly code = "CLI_USAGE";
}

export interface CodedError extends Error {
  code: string;
}

const CODE_PATTERN = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/;

/** True for errors thrown by daqkit packages (a `code` like `GEN2_BAD_WORD`). */
export function isCodedError(error: unknown): error is CodedError {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === "string" &&
    CODE_PATTERN.test((error as unknown as { code: string }).code)
  );
}

const NODE_NOT_FOUND = new Set(["ENOENT", "EACCES", "EISDIR", "ENOTDIR", "EPERM"]);

/** The exit code for an error, per {@link EXIT}. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliUsageError) return EXIT.USAGE;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && NODE_NOT_FOUND.has(code)) return EXIT.NOT_FOUND;
  if (isCodedError(error)) {
    return /_(NOT_FOUND|MISSING|IO|UNREADABLE|NO_FILES)$/.test(error.code) ? EXIT.NOT_FOUND : EXIT.DATA;
  }
  return EXIT.INTERNAL;
}

/** One line for the terminal: `daqkit: CODE: message` (first line of the message only). */
export function formatError(error: unknown): string {
  if (isCodedError(error) || error instanceof CliUsageError) {
    const first = error.message.split("\n")[0];
    return `daqkit: ${error.code}: ${first}`;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && typeof code === "string" && NODE_NOT_FOUND.has(code)) {
    return `daqkit: ${code}: ${error.message}`;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `daqkit: internal error (this is a bug, please report it with the command you ran):\n${stack}`;
}
