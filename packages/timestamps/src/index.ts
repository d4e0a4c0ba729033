export { TimestampError } from "./errors.js";
export type { TimestampErrorCode } from "./errors.js";
export { toSafeNumber, integerToNumber } from "./safe-number.js";
export { GEN2_TICK_US, GEN2_WRAP_US, US_PER_SECOND, TimestampRange, unwrapUs, wrapUs } from "./timestamp-range.js";
export { gen2UsToDate, gen2UsToUnixNs, unixNsToGen2Us, yearEpochUnixSeconds } from "./gen2-time.js";
export { coveredNs, gapsNs, intersectNs, mergeNs, overlapsNs } from "./ns-interval.js";
export type { NsInterval } from "./ns-interval.js";
export {
  cycleKeyToDate,
  cycleKeyToUnixSeconds,
  dateToCycleKey,
  isCycleKey,
  unixSecondsToCycleKey,
} from "./cycle-key.js";
