import {
  cycleKeyToUnixSeconds,
  GEN2_WRAP_US,
  gen2UsToDate,
  gen2UsToUnixNs,
  isCycleKey,
  TimestampRange,
  unixSecondsToCycleKey,
} from "@daqkit/timestamps";
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { CliUsageError } from "../errors.js";
import { repeatable } from "../options.js";

/** Parse a whole number of µs (decimal, optional sign; `_` separators allowed). */
export function parseIntegerArg(text: string, what: string): bigint {
  const clean = text.replaceAll("_", "");
  if (!/^[+-]?\d+$/.test(clean)) throw new CliUsageError(`${what} must be an integer, got ${JSON.stringify(text)}`);
  return BigInt(clean);
}

function parseYear(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{4}$/.test(text)) throw new CliUsageError(`--year must be a four-digit year, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** `daqkit time …`: the time conventions shared by every daqkit package. */
export function registerTimeCommands(program: Command, getContext: () => CliContext): void {
  const time = program.command("time").description("gen2 µs time ranges (36-bit wrap) and LEGEND cycle keys");

  time
    .command("range")
    .description("normalise a gen2 µs time range (both ends inclusive, modulo the 36-bit wrap) and test times against it")
    .argument("<start>", "first µs of the range (integer, any sign; reduced modulo M = 2^36 × 500 µs)")
    .argument("<stop>", "last µs of the range, inclusive")
    .option("--inside <t>", "a µs time to test for membership (repeat for more: --inside 5 --inside 7; or a comma list 5,7)", repeatable)
    .option("--overlaps <start:stop>", "another range to test for overlap")
    .option("--year <yyyy>", "year of the board epoch, to print the ends in UTC")
    .action((startText: string, stopText: string, opts: { inside?: string[]; overlaps?: string; year?: string }) => {
      const ctx = getContext();
      const range = new TimestampRange(parseIntegerArg(startText, "start"), parseIntegerArg(stopText, "stop"));
      const year = parseYear(opts.year);
      const inside = (opts.inside ?? [])
        .flatMap((t) => t.split(","))
        .map((t) => {
          const tUs = parseIntegerArg(t, "--inside");
          return { tUs: Number(tUs), inside: range.inside(tUs) };
        });
      let overlaps: { other: string; overlaps: boolean } | undefined;
      if (opts.overlaps !== undefined) {
        const m = /^(-?[\d_]+):(-?[\d_]+)$/.exec(opts.overlaps);
        if (!m) throw new CliUsageError(`--overlaps must be START:STOP in µs, got ${JSON.stringify(opts.overlaps)}`);
        const other = new TimestampRange(parseIntegerArg(m[1]!, "start"), parseIntegerArg(m[2]!, "stop"));
        overlaps = { other: other.key(), overlaps: range.overlaps(other) };
      }
      // A range across the 36-bit wrap ends in the next counter cycle: its stop, as a time since the
      // year epoch, is stopUs + M (as `gen2 info` prints it).
      const stopSinceEpoch = range.wraps ? BigInt(range.stopUs) + BigInt(GEN2_WRAP_US) : BigInt(range.stopUs);
      const utc =
        year === undefined
          ? undefined
          : { start: gen2UsToDate(range.startUs, year).toISOString(), stop: gen2UsToDate(stopSinceEpoch, year).toISOString() };
      const result = {
        startUs: range.startUs,
        stopUs: range.stopUs,
        wraps: range.wraps,
        durationUs: range.durationUs,
        key: range.key(),
        ...(utc ? { utc, startUnixNs: gen2UsToUnixNs(range.startUs, year!), stopUnixNs: gen2UsToUnixNs(stopSinceEpoch, year!) } : {}),
        inside,
        ...(overlaps ? { overlaps } : {}),
      };
      ctx.print(result, () => {
        const lines = [
          `range ${range.startUs} … ${range.stopUs} µs (inclusive${range.wraps ? ", crosses the 36-bit wrap" : ""}), duration ${range.durationUs} µs`,
        ];
        if (utc) lines.push(`utc   ${utc.start} … ${utc.stop} (epoch ${year}-01-01)`);
        for (const i of inside) lines.push(`${i.tUs}: ${i.inside ? "inside" : "outside"}`);
        if (overlaps) lines.push(`${overlaps.other}: ${overlaps.overlaps ? "overlaps" : "does not overlap"}`);
        return lines.join("\n");
      });
    });

  time
    .command("key")
    .description("convert a LEGEND cycle key (YYYYMMDDTHHMMSSZ) to unix seconds, or unix seconds to a cycle key")
    .argument("<keyOrSeconds>", "a cycle key such as 20220716T130443Z, or integer unix seconds")
    .action((value: string) => {
      const ctx = getContext();
      let key: string;
      let unixSeconds: number;
      if (/^\d+$/.test(value)) {
        unixSeconds = Number(value);
        key = unixSecondsToCycleKey(unixSeconds);
      } else {
        unixSeconds = cycleKeyToUnixSeconds(value); // throws TS_BAD_CYCLE_KEY with an example
        key = value;
      }
      const iso = new Date(unixSeconds * 1000).toISOString();
      ctx.print({ key, unixSeconds, utc: iso, valid: isCycleKey(key) }, () => `${key}  ${unixSeconds}  ${iso}`);
    });
}
