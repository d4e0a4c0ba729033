/** `@daqkit/io/node`: the Node-only parts of the platform layer (files, directories, worker_threads). */
export { IoError, type IoErrorCode } from "./errors.js";
export { fileHandleSource, openFileSource } from "./node-file-source.js";
export { directoryListing, openDirectorySource } from "./node-directory.js";
export { loadH5RuntimeNode } from "./node-h5-runtime.js";
