import { join } from "node:path";
import { expect, test } from "vitest";
import { finish, mutations, newTally, outcomeOf, record, scaled } from "../../../test/support/fault.js";
import { bytesSource, parseDirectoryListing, readWindows } from "../src/index.js";
import { directoryListing } from "../src/node.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata");

test("mutated listings give a listing or IO_BAD_LISTING, never an uncaught error", async () => {
  const listing = new TextEncoder().encode(JSON.stringify(await directoryListing(join(TESTDATA, "gen2-bin"))));
  const tally = newTally("io-listing");
  for (const m of mutations(listing, { count: scaled(300) })) {
    record(
      tally,
      m.label,
      await outcomeOf(() => {
        let doc: unknown;
        try {
          doc = JSON.parse(new TextDecoder().decode(m.bytes));
        } catch {
          return "not JSON";
        }
        parseDirectoryListing(doc, "fuzz.json");
        return "listing";
      }),
    );
  }
  expect(finish(tally)).toEqual([]);
});

test("random read requests on a bytes source give bytes or IO_OUT_OF_RANGE", async () => {
  const source = bytesSource(new Uint8Array(1000));
  const tally = newTally("io-read-ranges");
  const values = [-1, 0, 1, 999, 1000, 1001, 0.5, Number.NaN, Number.MAX_SAFE_INTEGER, 2 ** 53, Infinity];
  for (const offset of values) {
    for (const length of values) {
      record(tally, `read(${offset}, ${length})`, await outcomeOf(async () => void (await source.read(offset, length))));
      record(
        tally,
        `readWindows(${offset}, ${length})`,
        await outcomeOf(async () => {
          for await (const _ of readWindows(source, { offset, length, windowSize: 300 })) void _;
        }),
      );
    }
  }
  expect(finish(tally)).toEqual([]);
});
