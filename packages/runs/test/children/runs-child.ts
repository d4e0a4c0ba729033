/**
 * Child process of the kill and concurrency suites (bundled with `bundleScript`): does what
 * `daqkit runs put` / `daqkit runs write-superrun` do, through the package API.
 *
 *   put STORE RUN TYPE FILE.arrow TARGET_MB
 *   write-superrun STORE NAME TYPE TARGET_MB
 *
 * Prints `started` when the write begins; exit 0 on success, 3 with `CODE: message` on a coded
 * error, 1 with the stack on anything else.
 */
import { readFile } from "node:fs/promises";
import { tableFromIPC } from "apache-arrow";
import { DataDirectory, putArrow, RunsError, writeSuperrun } from "../../src/node.js";

const [command, store, run, type, a, b] = process.argv.slice(2) as string[];
const dir = new DataDirectory(store!);
try {
  if (command === "put") {
    const table = tableFromIPC(await readFile(a!));
    process.stdout.write("started\n");
    await putArrow(dir, run!, type!, table, { targetSizeMb: Number(b) });
  } else if (command === "write-superrun") {
    process.stdout.write("started\n");
    await writeSuperrun(dir, run!, type!, { targetSizeMb: Number(a) });
  } else {
    throw new Error(`unknown command ${command}`);
  }
  process.stdout.write("done\n");
} catch (error) {
  if (RunsError.isInstance(error)) {
    process.stderr.write(`${error.code}: ${error.message}\n`);
    process.exitCode = 3;
  } else {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  }
}
