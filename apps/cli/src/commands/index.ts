import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { registerGen2Commands } from "./gen2.js";
import { registerLh5Commands } from "./lh5.js";
import { registerLoadCommands } from "./load.js";
import { registerRawhdf5Commands } from "./rawhdf5.js";
import { registerTimeCommands } from "./time.js";
import { registerFiledbCommands } from "./filedb.js";
import { registerDocsCommands } from "./docs.js";
import { registerRunsCommands } from "./runs.js";
import { registerClusterCommands } from "./cluster.js";

/**
 * Every command group of `daqkit`. Each group lives in its own file and adds itself here with one line.
 * `getContext()` is only valid inside an action (global options are parsed by then).
 */
export function registerCommands(program: Command, getContext: () => CliContext): void {
  registerTimeCommands(program, getContext);
  registerRawhdf5Commands(program, getContext);
  registerGen2Commands(program, getContext);
  registerLh5Commands(program, getContext);
  registerLoadCommands(program, getContext);
  registerFiledbCommands(program, getContext);
  registerDocsCommands(program, getContext);
  registerRunsCommands(program, getContext);
  registerClusterCommands(program, getContext);
}
