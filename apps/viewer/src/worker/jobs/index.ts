// The worker's jobs, by name `<format>.<job>`. Each format's jobs are a module of their own
// (`./<format>.ts`, exporting `Record<jobName, handler>`), loaded the first time one of its jobs is
// asked for (issue 16: the worker's script starts without every format's code — a gen2 night's
// scan does not wait for HDF5, Arrow or the FileDB to load and compile). A new format adds its
// loader here.
import type { JobHandler } from "../protocol.js";

/** Jobs registered directly (tests add their own); looked up before the formats' modules. */
export const jobs: Record<string, JobHandler> = {};

const formatJobs: Record<string, () => Promise<Record<string, JobHandler>>> = {
  gen2: () => import("./gen2.js").then((m) => m.gen2Jobs),
  lh5: () => import("./lh5.js").then((m) => m.lh5Jobs),
  larpix: () => import("./larpix.js").then((m) => m.larpixJobs),
  filedb: () => import("./filedb.js").then((m) => m.filedbJobs),
  strax: () => import("./strax.js").then((m) => m.straxJobs),
  bluesky: () => import("./bluesky.js").then((m) => m.blueskyJobs),
};

const loaded = new Map<string, Promise<Record<string, JobHandler>>>();

/** The handler of `name` (its format's module loaded once; again after a failed load), or undefined for no such job. */
export async function jobHandler(name: string): Promise<JobHandler | undefined> {
  const direct = jobs[name];
  if (direct) return direct;
  const format = name.slice(0, name.indexOf("."));
  const load = Object.hasOwn(formatJobs, format) ? formatJobs[format] : undefined;
  if (!load) return undefined;
  let module = loaded.get(format);
  if (!module) {
    module = load();
    loaded.set(format, module);
    module.catch(() => loaded.delete(format));
  }
  const table = await module;
  return Object.hasOwn(table, name) ? table[name] : undefined;
}
