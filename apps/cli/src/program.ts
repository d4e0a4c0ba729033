import { Command, CommanderError } from "commander";
import { groupOf, loadCommands, registerCommands } from "./commands/index.js";
import { type CliContext, type CliIo, createContext, PROCESS_IO } from "./context.js";
import { CliUsageError, EXIT, errorJson, exitCodeFor, formatError, withCliHints } from "./errors.js";
import { toJson } from "./context.js";
import { stopAllProgress } from "./progress.js";
import { VERSION } from "./version.js";

/**
 * Build the `daqkit` program with the groups named in `groups` loaded (all by default; exported for tests).
 * The other groups are placeholders that only show in `daqkit --help`.
 */
export async function createProgram(io: CliIo = PROCESS_IO, groups?: readonly string[]): Promise<Command> {
  const program = new Command("daqkit");
  program
    .description("daqkit: read, convert and query physics DAQ data (gen2 bin, LH5, strax runs, LArPix raw HDF5, Bluesky documents)")
    .version(VERSION, "-V, --version", "print the daqkit version")
    .option("--json", "machine-readable output: one JSON document on stdout", false)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  let context: CliContext | undefined;
  const getContext = (): CliContext => {
    context ??= createContext({ json: Boolean(program.opts().json), io });
    return context;
  };
  registerCommands(program);
  await loadCommands(program, getContext, groups);
  for (const sub of allCommands(program)) {
    sub.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err }).showHelpAfterError("(run with --help for usage)");
  }
  return program;
}

function* allCommands(command: Command): Generator<Command> {
  for (const sub of command.commands) {
    yield sub;
    yield* allCommands(sub);
  }
}

/** True when `--json` is among the options (before any `--`), also when parsing failed before it was read. */
function wantsJson(argv: readonly string[], parsed: boolean): boolean {
  if (parsed) return true;
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--json");
}

/**
 * Run the CLI with `argv` (as process.argv) and return the exit code; never throws. Under `--json` an error
 * is also one JSON object on stdout (`{"error": {"code", "message", "exit", …}}`), with the same exit code.
 */
export async function runCli(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  let program: Command | undefined;
  try {
    // Load only the group this command line runs: `--version` and `--help` load no daqkit package.
    const group = groupOf(argv.slice(2));
    program = await createProgram(io, group === undefined ? [] : [group]);
    await program.parseAsync(argv);
    return EXIT.OK;
  } catch (error) {
    stopAllProgress();
    let exit: number;
    if (error instanceof CommanderError) {
      // commander already printed its message (or the help / version text).
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.exitCode === 0) {
        return EXIT.OK;
      }
      exit = EXIT.USAGE;
    } else {
      withCliHints(error);
      io.err(`${formatError(error)}\n`);
      exit = error instanceof CliUsageError ? EXIT.USAGE : exitCodeFor(error);
    }
    if (wantsJson(argv.slice(2), program?.opts().json === true)) io.out(`${toJson(errorJson(error, exit))}\n`);
    return exit;
  }
}
