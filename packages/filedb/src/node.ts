/**
 * `@daqkit/filedb/node`: the FileDB for Node, taking paths — configs read from files (`$_`, `~`,
 * environment variables), `data_dir` on the local disk, scans with the file system, saved databases
 * read and written as LH5 files (atomically). Today this is the whole API of the main entry; as the
 * main entry becomes platform-neutral (scans over an `@daqkit/io` directory source, LH5 through
 * `@daqkit/lh5`'s byte sources), the path-based parts stay available here unchanged.
 */
export * from "./index.js";
