/** `@daqkit/io/node`: the Node-only parts of the platform layer (files, directories, worker_threads). */
export { IoError, type IoErrorCode } from "./errors.js";
export { type FileLock, type FileLockBusy, type FileLockHolder, lockPathFor, readFileLockHolder, tryAcquireFileLock } from "./file-lock.js";
