/**
 * `@daqkit/io`: the platform layer every daqkit format package builds on. This entry is
 * platform-neutral (browsers and Node); Node-only pieces are in `@daqkit/io/node`.
 */
export { IoError, type IoErrorCode } from "./errors.js";
