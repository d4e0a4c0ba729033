/**
 * The Node `DataDirectory`: a strax DataDirectory on the local filesystem by path, which also
 * writes (run documents, data through {@link openDataWriter}) and decodes large Blosc chunks on
 * worker threads. Node only (`@daqkit/runs/node`).
 */
import { link, readdir, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DirectorySource } from "@daqkit/io";
import { openDirectorySource } from "@daqkit/io/node";
import type { BloscDecodePool } from "./blosc-workers.js";
import { DataDirectory as SourceDataDirectory, type FolderEntry, isNotFound } from "./data-directory.js";
import { type DataWriter, type DataWriterOptions, type OverwritePolicy, openDataWriter } from "./data-writer.js";
import { RunsError } from "./errors.js";
import { sharedNodeBloscPool } from "./node-blosc-pool.js";
import { assertRunId, formatRunDoc, isSuperrunId, type RunDoc } from "./run-doc.js";
import { isStaleScratch, releaseScratch, scratchName } from "./scratch-names.js";

const RUN_DOC_SUFFIX = "-metadata.json";

/** Options of the Node {@link DataDirectory}. */
export interface NodeDataDirectoryOptions {
  /** Refuse every write (`RUNS_READONLY`). Default false. */
  readonly readonly?: boolean;
  /** Overwrite policy for data writes. Default `if_broken` (strax's default). */
  readonly overwrite?: OverwritePolicy;
}

function ioError(path: string, cause: unknown): RunsError {
  return new RunsError("RUNS_IO", `strax: cannot access ${path}: ${(cause as Error).message}`, { path, cause });
}

/** @daqkit/io's directory source of `path`, opened on first use (the folder may not exist yet). */
function lazyDirectorySource(path: string): DirectorySource {
  let opened: Promise<DirectorySource> | undefined;
  const get = () => {
    opened ??= openDirectorySource(path).catch((error: unknown) => {
      opened = undefined;
      throw error;
    });
    return opened;
  };
  return { name: path, list: async (options) => (await get()).list(options), open: async (relative) => (await get()).open(relative) };
}

/**
 * A strax DataDirectory on the local filesystem. Reads strax 2.x and 1.x layouts; writes the 2.x
 * layout. All times are ns `bigint`, intervals half-open `[start, end)`. Reads go straight to the
 * filesystem (its {@link DataDirectory.source} is the same directory as an @daqkit/io source).
 */
export class DataDirectory extends SourceDataDirectory {
  readonly overwrite: OverwritePolicy;

  constructor(path: string, options: NodeDataDirectoryOptions = {}) {
    super(lazyDirectorySource(path), { readonly: options.readonly ?? false });
    this.overwrite = options.overwrite ?? "if_broken";
  }

  protected override locate(relative: string): string {
    return join(this.path, relative);
  }

  protected override async listFolder(folder?: string): Promise<FolderEntry[] | undefined> {
    const path = folder === undefined ? this.path : join(this.path, folder);
    try {
      return (await readdir(path, { withFileTypes: true })).map((d) => ({ name: d.name, isDirectory: d.isDirectory() }));
    } catch (cause) {
      if (isNotFound(cause)) return undefined;
      throw ioError(path, cause);
    }
  }

  protected override async readBytes(relative: string): Promise<Uint8Array | undefined> {
    const path = join(this.path, relative);
    try {
      const b = await readFile(path);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (cause) {
      if (isNotFound(cause)) return undefined;
      throw ioError(path, cause);
    }
  }

  protected override decodeWorkers(): BloscDecodePool | undefined {
    return sharedNodeBloscPool();
  }

  override async hasRunDoc(runId: string): Promise<boolean> {
    try {
      await stat(this.runDocPath(runId));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Write a run document (temp file + rename; strax 2.x JSON form). Refuses to replace an existing
   * document unless `overwrite` (strax silently overwrites). Throws `RUNS_READONLY`,
   * `RUNS_DATA_EXISTS`, `RUNS_BAD_RUN_ID`, `RUNS_IO`.
   */
  async writeRunDoc(doc: RunDoc, options: { overwrite?: boolean } = {}): Promise<void> {
    this.assertWritable();
    assertRunId(doc.name);
    if (!isSuperrunId(doc.name) && doc.subRunSpec !== undefined) {
      throw new RunsError("RUNS_BAD_RUN_ID", `strax: a superrun name must start with '_' (got ${JSON.stringify(doc.name)})`, {
        runId: doc.name,
      });
    }
    if (isSuperrunId(doc.name) && doc.subRunSpec === undefined) {
      throw new RunsError(
        "RUNS_BAD_RUN_ID",
        `strax: run ${JSON.stringify(doc.name)} starts with '_', which marks superruns, but has no sub_run_spec`,
        { runId: doc.name },
      );
    }
    const path = this.runDocPath(doc.name);
    if (!options.overwrite && (await this.hasRunDoc(doc.name))) {
      throw new RunsError("RUNS_DATA_EXISTS", `strax: run document ${path} already exists (pass overwrite to replace it)`, {
        path,
        runId: doc.name,
      });
    }
    // One temporary file per writer; stale ones of dead writers of this document are removed.
    const base = `${doc.name}${RUN_DOC_SUFFIX}`;
    for (const e of await this.entries())
      if (isStaleScratch(e.name, base)) await rm(join(this.path, e.name), { force: true }).catch(() => undefined);
    const tempName = scratchName(base, "temp");
    const temp = join(this.path, tempName);
    try {
      await writeFile(temp, formatRunDoc(doc));
      if (options.overwrite) await rename(temp, path);
      else {
        // First wins: link() fails if the document appeared meanwhile (rename would replace it).
        try {
          await link(temp, path);
        } catch (cause) {
          const code = (cause as { code?: unknown }).code;
          if (code !== "EEXIST" && !(await this.hasRunDoc(doc.name)) && (code === "EPERM" || code === "ENOTSUP" || code === "ENOSYS")) {
            // No hard links on this filesystem: check, then rename (a narrow race remains).
            await rename(temp, path);
            return;
          }
          if (code !== "EEXIST" && !(await this.hasRunDoc(doc.name))) throw cause;
          throw new RunsError("RUNS_BUSY", `strax: run document ${path} was written by another writer meanwhile; this one was discarded`, {
            path,
            runId: doc.name,
            cause,
          });
        }
        await unlink(temp);
      }
    } catch (cause) {
      await rm(temp, { force: true });
      if (RunsError.isInstance(cause)) throw cause;
      throw ioError(path, cause);
    } finally {
      releaseScratch(tempName);
    }
  }

  /**
   * Open a writer for data of this directory (see {@link openDataWriter}); the directory's
   * overwrite policy applies unless given. Throws `RUNS_READONLY`.
   */
  async openWriter(options: Omit<DataWriterOptions, "directory">): Promise<DataWriter> {
    this.assertWritable();
    assertRunId(options.key.runId);
    return openDataWriter({ overwrite: this.overwrite, ...options, directory: this.path });
  }
}
