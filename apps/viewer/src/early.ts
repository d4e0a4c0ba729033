/**
 * The bootstrap's head start for a served page (issue 16): before React, h5web and the formats load,
 * fetch the listing and — when the page shows a gen2 night (the listing's folder has `.bin` files
 * directly in it, or the URL names a `.bin` file) — start the gen2 panel's first job in its worker
 * (the night's scan, then the whole-night bin). `openServed` takes the listing; the gen2 panel takes
 * the worker and the job under way when it mounts with the same job (`useWorker`), and anything else
 * shown first stops it. Imports nothing heavy: it runs before the app's code has loaded.
 */
import { gen2ScanJob, isGen2Night } from "./formats/gen2-defaults.js";
import { isServedUrl, prefetchServedListing } from "./served.js";
import { prestartWorker, startEarly } from "./worker/client.js";

export function startServedEarly(href: string): void {
  if (!isServedUrl(href)) return;
  const listing = prefetchServedListing(href);
  // the worker's script, and its gen2 jobs (the served nights are what this head start is for), load
  // while the listing is fetched
  prestartWorker("gen2");
  listing.then(
    (served) => {
      if (!served) return;
      const file = served.initialPath;
      // the target the app will show first: the listed folder, or the file the URL names
      const gen2 = file === undefined ? isGen2Night(served.entries) : file.endsWith(".bin");
      if (!gen2) return;
      const night = file === undefined ? "" : file.split("/").slice(0, -1).join("/");
      const job = gen2ScanJob(served.ref, night);
      startEarly(job.name, job.args);
    },
    () => undefined,
  );
}
