// The viewer's formats. To add one: write `src/formats/<name>.tsx` exporting a `FormatModule`
// (`{ id, label, detect, Panel }`), its worker jobs in `src/worker/jobs/<name>.ts` (spread into
// `src/worker/jobs/index.ts`), and list it here.
import { blueskyFormat } from "./bluesky.js";
import { filedbFormat } from "./filedb.js";
import { gen2Format } from "./gen2.js";
import { larpixFormat } from "./larpix.js";
import { lh5Format } from "./lh5.js";
import { straxFormat } from "./strax.js";
import type { FormatModule } from "./types.js";

export const formats: readonly FormatModule[] = [gen2Format, lh5Format, larpixFormat, filedbFormat, straxFormat, blueskyFormat];
