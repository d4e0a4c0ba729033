// The worker's jobs, by name. Each format adds its own file beside this one and spreads it in here.
import type { JobHandler } from "../protocol.js";
import { blueskyJobs } from "./bluesky.js";
import { filedbJobs } from "./filedb.js";
import { gen2Jobs } from "./gen2.js";
import { larpixJobs } from "./larpix.js";
import { lh5Jobs } from "./lh5.js";
import { straxJobs } from "./strax.js";

export const jobs: Record<string, JobHandler> = {
  ...gen2Jobs,
  ...lh5Jobs,
  ...larpixJobs,
  ...filedbJobs,
  ...straxJobs,
  ...blueskyJobs,
};
