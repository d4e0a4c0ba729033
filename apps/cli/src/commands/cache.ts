import type { Command } from "commander";
import { cacheRoot, cleanCache, listCache } from "../cache.js";
import type { CliContext } from "../context.js";
import { CliUsageError } from "../errors.js";

function parseDays(text: string): number {
  if (!/^\d+(\.\d+)?$/.test(text)) throw new CliUsageError(`--older-than must be a number of days, got ${JSON.stringify(text)}`);
  return Number(text);
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** `daqkit cache …`: the cache `gen2 read` keeps its Parquet files in ($XDG_CACHE_HOME/daqkit or ~/.cache/daqkit). */
export function registerCacheCommands(program: Command, getContext: () => CliContext): void {
  const cache = program.command("cache").description("the daqkit cache (gen2 read's Parquet files): where it is, what it holds, clean it");

  cache
    .command("ls")
    .description("list the cache entries (one per bin directory gen2 read converted), oldest first")
    .action(async () => {
      const ctx = getContext();
      const root = cacheRoot();
      const entries = await listCache(root);
      const bytes = entries.reduce((s, e) => s + e.bytes, 0);
      ctx.print({ root, entries, bytes }, () =>
        [
          `cache ${root}: ${entries.length} entr${entries.length === 1 ? "y" : "ies"}, ${mib(bytes)}`,
          ...(entries.length > 0 ? ["kind  size        files  modified                  source"] : []),
          ...entries.map(
            (e) => `${e.kind.padEnd(5)} ${mib(e.bytes).padStart(11)} ${String(e.files).padStart(6)}  ${e.modified}  ${e.source ?? e.path}`,
          ),
        ].join("\n"),
      );
    });

  cache
    .command("size")
    .description("the cache folder and its total size")
    .action(async () => {
      const ctx = getContext();
      const root = cacheRoot();
      const entries = await listCache(root);
      const bytes = entries.reduce((s, e) => s + e.bytes, 0);
      ctx.print({ root, entries: entries.length, bytes }, () => `${root}  ${mib(bytes)} in ${entries.length} entries`);
    });

  cache
    .command("clean")
    .description("remove cache entries (all, or those not modified for --older-than days); gen2 read rebuilds them")
    .option("--older-than <days>", "only entries last modified more than this many days ago")
    .action(async (opts: { olderThan?: string }) => {
      const ctx = getContext();
      const root = cacheRoot();
      const olderThan = opts.olderThan === undefined ? undefined : new Date(Date.now() - parseDays(opts.olderThan) * 86_400_000);
      const removed = await cleanCache(root, olderThan);
      const bytes = removed.reduce((s, e) => s + e.bytes, 0);
      ctx.print(
        { root, removed: removed.map((e) => e.path), bytes },
        () => `removed ${removed.length} entries (${mib(bytes)}) from ${root}`,
      );
    });
}
