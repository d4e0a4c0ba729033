/**
 * How the daqkit CLI turns errors into one line and an exit code.
 *
 * Every daqkit package throws its own error class carrying a string `code`
 * (`GEN2_PARTIAL_WORD`, `LH5_OBJECT_NOT_FOUND`, …), a `category` (`"data"` or `"not-found"`) and
 * the `Symbol.for("daqkit.error")` marker. The CLI does not import those classes: it recognises the
 * marker, and takes exit 3 or 4 from `category`. Anything else is a bug (exit 1, with the stack).
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

/**
 * An error thrown by a daqkit package: it carries the `Symbol.for("daqkit.error")` marker every package's
 * error class sets, a string `code` and a `category` (`"data"` or `"not-found"`).
 */
export interface CodedError extends Error {
  code: string;
  category?: unknown;
}

const DAQKIT_ERROR = Symbol.for("daqkit.error");

/**
 * True for errors thrown by daqkit packages, recognised by their `Symbol.for("daqkit.error")` marker
 * (also across duplicate installs). Node's own coded errors (`ERR_INVALID_ARG_TYPE`, `ENOENT`, …) are not.
 */
export function isCodedError(error: unknown): error is CodedError {
  return (
    error instanceof Error &&
    (error as unknown as Record<symbol, unknown>)[DAQKIT_ERROR] === true &&
    typeof (error as { code?: unknown }).code === "string"
  );
}

const OS_NOT_FOUND = new Set(["ENOENT", "EACCES", "EISDIR", "ENOTDIR", "EPERM"]);

/**
 * True for a Node file-system error about a named file (a missing file, a directory where a file was
 * expected, no permission): it has one of those codes plus the `syscall` and `path` Node sets.
 * Such an error means "a named file cannot be read/written" (exit 4), not a bug.
 */
export function isNamedFileError(error: unknown): error is Error & { code: string; path: string; syscall: string } {
  const e = error as { code?: unknown; path?: unknown; syscall?: unknown } | null;
  return (
    error instanceof Error &&
    typeof e?.code === "string" &&
    OS_NOT_FOUND.has(e.code) &&
    typeof e.path === "string" &&
    typeof e.syscall === "string"
  );
}

/**
 * The exit code for an error, per {@link EXIT}: a daqkit error's `category` picks 4 (`"not-found"`) or
 * 3 (anything else); a Node error on a named file is 4; everything else is a bug (1).
 */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliUsageError) return EXIT.USAGE;
  if (isCodedError(error)) return error.category === "not-found" ? EXIT.NOT_FOUND : EXIT.DATA;
  if (isNamedFileError(error)) return EXIT.NOT_FOUND;
  return EXIT.INTERNAL;
}

/** One line for the terminal: `daqkit: CODE: message` (first line of the message only); a bug gets its stack. */
export function formatError(error: unknown): string {
  if (isCodedError(error) || error instanceof CliUsageError) {
    const first = error.message.split("\n")[0];
    return `daqkit: ${error.code}: ${first}`;
  }
  if (isNamedFileError(error)) {
    // Node's own message already starts with the code ("ENOENT: no such file or directory, scandir '…'").
    const message = error.message.startsWith(`${error.code}: `) ? error.message.slice(error.code.length + 2) : error.message;
    return `daqkit: ${error.code}: ${message}`;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `daqkit: internal error (this is a bug, please report it with the command you ran):\n${stack}`;
}

/**
 * The `--json` form of an error, printed on stdout besides the one stderr line:
 * `{"error": {"code", "message", "exit", …details}}`. Details are the error's own plain fields (path,
 * byteOffset, field, …); `code` is `INTERNAL` for a bug and `CLI_USAGE` for a bad command line.
 */
export function errorJson(error: unknown, exit: number): { error: Record<string, unknown> } {
  const code =
    isCodedError(error) || error instanceof CliUsageError || isNamedFileError(error)
      ? (error as { code: string }).code
      : exit === EXIT.USAGE
        ? "CLI_USAGE"
        : "INTERNAL";
  const message = error instanceof Error ? error.message : String(error);
  const details: Record<string, unknown> = {};
  if (error !== null && typeof error === "object") {
    for (const [key, value] of Object.entries(error)) {
      if (key === "code" || key === "message" || key === "name" || key === "cause" || key === "exitCode") continue;
      if (["string", "number", "boolean"].includes(typeof value)) details[key] = value;
      else if (typeof value === "bigint") details[key] = value.toString();
      else if (Array.isArray(value) && value.every((v) => typeof v === "string" || typeof v === "number")) details[key] = value;
    }
  }
  return { error: { code, message, exit, ...details } };
}

/**
 * Library messages name API options ("pass overwrite", "use \"always\""); on the command line the
 * hint names the flag instead. Rewrites the message of the coded errors that carry such a hint.
 */
const CLI_HINTS: Readonly<Record<string, readonly (readonly [RegExp, string])[]>> = {
  RUNS_DATA_EXISTS: [
    [/\(overwrite policy "\w+"; use "always" to replace it\)/, "(use --overwrite to replace it)"],
    [/\(pass overwrite to replace it\)/, "(use --overwrite to replace it)"],
    [/pass overwrite to redefine it/, "use --overwrite to redefine it"],
  ],
  DOCS_FILE_EXISTS: [[/\(export never overwrites\)/, "(use --overwrite to replace it)"]],
};

export function withCliHints(error: unknown): unknown {
  if (!isCodedError(error)) return error;
  const hints = CLI_HINTS[error.code];
  if (hints) for (const [api, cli] of hints) error.message = error.message.replace(api, cli);
  return error;
}
