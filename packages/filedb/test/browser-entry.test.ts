import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nodeBuiltinsReached } from "../../../test/support/entry-builtins.js";

// Issue 13: the main entry reaches no Node built-in, directly or through a dependency (@daqkit/lh5's main
// entry included; host paths go through @daqkit/lh5/node, imported only by the ./node entry).
describe("@daqkit/filedb main entry", () => {
  it("bundles for a browser without Node built-ins (also through @daqkit/lh5)", async () => {
    expect(await nodeBuiltinsReached(join(import.meta.dirname, "../src/index.ts"))).toEqual([]);
  });
  it("the ./node entry does reach them (it is the Node API)", async () => {
    expect((await nodeBuiltinsReached(join(import.meta.dirname, "../src/node.ts"))).length).toBeGreaterThan(0);
  });
});
