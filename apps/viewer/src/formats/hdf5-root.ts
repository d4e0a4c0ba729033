// The root group's member names of an HDF5 file of the input, read on the page with lh5's fast link
// lister (a few small reads, no h5wasm): what tells an LH5 file from a LArPix raw file.
import { openLh5LinksAsync } from "@daqkit/lh5";
import type { DetectContext } from "./types.js";
import { isHdf5 } from "./detect.js";

const cache = new WeakMap<object, Map<string, Promise<string[] | null>>>();

export function hdf5RootMembers(ctx: DetectContext): Promise<string[] | null> {
  if (ctx.kind !== "file" || !isHdf5(ctx.head)) return Promise.resolve(null);
  let byPath = cache.get(ctx.input);
  if (!byPath) cache.set(ctx.input, (byPath = new Map()));
  let hit = byPath.get(ctx.path);
  if (!hit) {
    hit = (async () => {
      const source = await ctx.input.source.open(ctx.path);
      try {
        const links = await openLh5LinksAsync(source);
        try {
          return (await links.list("")) ?? [];
        } finally {
          links.close();
        }
      } catch {
        return [];
      } finally {
        await source.close?.();
      }
    })();
    byPath.set(ctx.path, hit);
  }
  return hit;
}
