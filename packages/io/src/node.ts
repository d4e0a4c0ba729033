/** `@daqkit/io/node`: the Node-only parts of the platform layer (files, directories, worker_threads). */
export { IoError, type IoErrorCode } from "./errors.js";
export {
  type AtomicFile,
  type AtomicWriteOptions,
  openAtomicFile,
  parseTemporaryName,
  processAlive,
  removeStaleTemporaries,
  type StaleTemporaryOptions,
  type TemporaryNameInfo,
  temporaryPathFor,
  withAtomicPath,
  writeFileAtomic,
} from "./atomic-file.js";
export { type WriteTableFileOptions, writeTableFile } from "./table-file.js";
export {
  defaultWorkerCount,
  execArgvWithoutConditions,
  type NodeWorkerOptions,
  nodeWorkerFactory,
  serveNodeJobs,
} from "./node-workers.js";
export { fileHandleSource, openFileSource } from "./node-file-source.js";
export { openFileSourceSync, type SyncFileSource } from "./node-file-source-sync.js";
export { directoryListing, openDirectorySource } from "./node-directory.js";
export { loadH5RuntimeNode } from "./node-h5-runtime.js";
export { type FileLock, type FileLockBusy, type FileLockHolder, lockPathFor, readFileLockHolder, tryAcquireFileLock } from "./file-lock.js";
export { closeHdf5DiagnosticCapture, type Hdf5DiagnosticCapture, withHdf5StatusCalls } from "./node-h5-status.js";
export {
  beginUndoJournal,
  type EmscriptenFsLike,
  guardEmscriptenWrites,
  hasUndoJournal,
  journalPathFor,
  liveReaders,
  type ReaderMark,
  recoverUndoJournal,
  registerReader,
  type UndoJournal,
  type UndoRecovery,
} from "./undo-journal.js";
