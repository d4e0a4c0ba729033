// The app's entry: a served page's listing (and a gen2 night's scan and bin, in the panel's worker)
// start first (./early.ts), then the app itself loads (./boot.tsx: React, the formats, the styles).
import { startServedEarly } from "./early.js";

startServedEarly(location.href);
void import("./boot.js");
