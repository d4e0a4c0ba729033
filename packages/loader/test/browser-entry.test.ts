import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nodeBuiltinsReached } from "../../../test/support/entry-builtins.js";

// Issue 13: @daqkit/loader's main entry imports no Node built-in of its own; its one remaining route (directly and through @daqkit/filedb) to
// Node is @daqkit/lh5's main entry (test/browser-bundle.test.ts keeps loader in NOT_YET_BROWSER until
// lh5 is migrated). The path API lives in @daqkit/loader/node.
describe("@daqkit/loader main entry", () => {
  it("bundles for a browser without Node built-ins, @daqkit/lh5 aside", async () => {
    expect(await nodeBuiltinsReached(join(import.meta.dirname, "../src/index.ts"), ["@daqkit/lh5"])).toEqual([]);
  });
  it("the ./node entry does reach them (it is the Node API)", async () => {
    expect((await nodeBuiltinsReached(join(import.meta.dirname, "../src/node.ts"), ["@daqkit/lh5"])).length).toBeGreaterThan(0);
  });
});
