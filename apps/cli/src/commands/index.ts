import type { Command } from "commander";
import type { CliContext } from "../context.js";

type Register = (program: Command, getContext: () => CliContext) => void;

/** A top-level command (a group such as `gen2`, or the single command `load`) and how to load it. */
export interface CommandGroup {
  readonly name: string;
  /** The same text as the group's own `.description(…)` (a test keeps them equal). */
  readonly description: string;
  /** Import the group's module (and with it the daqkit packages it uses) and return its register function. */
  readonly load: () => Promise<Register>;
}

/**
 * Every command group of `daqkit`, in help order. Each group lives in its own file and adds itself here with
 * one entry. The modules are imported only when their group runs (or its help is asked for), so that
 * `daqkit --version` and `daqkit --help` load no daqkit format package.
 */
export const GROUPS: readonly CommandGroup[] = [
  {
    name: "time",
    description: "gen2 µs time ranges (36-bit wrap) and LEGEND cycle keys",
    load: async () => (await import("./time.js")).registerTimeCommands,
  },
  {
    name: "rawhdf5",
    description: "LArPix raw HDF5 message files (larpix-control rawhdf5format 0.0): inspect, append, follow, convert to packets",
    load: async () => (await import("./rawhdf5.js")).registerRawhdf5Commands,
  },
  {
    name: "gen2",
    description: "MKID gen2 readout .bin photon files: decode, Parquet cache, time-range queries, serializer",
    load: async () => (await import("./gen2.js")).registerGen2Commands,
  },
  {
    name: "lh5",
    description: "LEGEND LH5 data files (HDF5 with LGDO datatype attributes)",
    load: async () => (await import("./lh5.js")).registerLh5Commands,
  },
  {
    name: "load",
    description: "select cycles and channels, cut per level, join tiers (through a TCM) and load columns (pygama.flow DataLoader)",
    load: async () => (await import("./load.js")).registerLoadCommands,
  },
  {
    name: "merge",
    description: "merge a Parquet dataset written by `load --out DIR/` (all shards) into one file, after checking every part",
    load: async () => (await import("./load.js")).registerMergeCommand,
  },
  {
    name: "filedb",
    description: "inventory of tiered LEGEND data files (pygama.flow FileDB): scan, save, query",
    load: async () => (await import("./filedb.js")).registerFiledbCommands,
  },
  {
    name: "docs",
    description: "Bluesky Event Model runs: ingest files into suitcase-msgpack runs, list/search, show, export",
    load: async () => (await import("./docs.js")).registerDocsCommands,
  },
  {
    name: "runs",
    description: "strax-compatible run storage (DataDirectory): runs, data, superruns",
    load: async () => (await import("./runs.js")).registerRunsCommands,
  },
  {
    name: "view",
    description: "open a file or folder of any daqkit format in the browser viewer (a local read-only server; Ctrl-C stops it)",
    load: async () => (await import("./view.js")).registerViewCommand,
  },
  {
    name: "plot",
    description:
      "draw a picture of a file as SVG or PNG: gen2 count image and light curve, histograms, waveforms, LArPix ADC and occupancy, Bluesky images",
    load: async () => (await import("./plot.js")).registerPlotCommand,
  },
  {
    name: "cluster",
    description: "job scripts that run a sharded daqkit command on a cluster: a Slurm array or a Kubernetes Indexed Job, plus the merge",
    load: async () => (await import("./cluster.js")).registerClusterCommands,
  },
  {
    name: "cache",
    description: "the daqkit cache (gen2 read's Parquet files): where it is, what it holds, clean it",
    load: async () => (await import("./cache.js")).registerCacheCommands,
  },
];

/**
 * Add a placeholder for every group: its name and description, for `daqkit --help` and for commander's
 * "unknown command" suggestions. {@link loadCommands} replaces a placeholder by the real group.
 */
export function registerCommands(program: Command): void {
  for (const group of GROUPS) program.command(group.name).description(group.description);
}

/** Replace the placeholders of the groups named in `names` (all by default) by the real commands. */
export async function loadCommands(
  program: Command,
  getContext: () => CliContext,
  names: readonly string[] = GROUPS.map((g) => g.name),
): Promise<Command[]> {
  const loaded: Command[] = [];
  for (const group of GROUPS) {
    if (!names.includes(group.name)) continue;
    const register = await group.load();
    const commands = program.commands as Command[];
    const at = commands.findIndex((c) => c.name() === group.name);
    if (at !== -1 && commands[at]!.commands.length === 0 && !hasAction(commands[at]!)) commands.splice(at, 1);
    register(program, getContext);
    // Keep help order: move the real group back to where its placeholder was.
    const real = commands.pop()!;
    commands.splice(at === -1 ? commands.length : at, 0, real);
    loaded.push(real);
  }
  return loaded;
}

function hasAction(command: Command): boolean {
  return (command as unknown as { _actionHandler?: unknown })._actionHandler != null;
}

/**
 * The group an argv (without node and script) runs: its first word that is not an option (`--json`,
 * `--help` and `--version` are the only global options and take no value), or the word after `help`.
 */
export function groupOf(args: readonly string[]): string | undefined {
  const end = args.indexOf("--");
  const words = (end === -1 ? args : args.slice(0, end)).filter((a) => !a.startsWith("-"));
  const first = words[0] === "help" ? words[1] : words[0];
  return GROUPS.some((g) => g.name === first) ? first : undefined;
}
