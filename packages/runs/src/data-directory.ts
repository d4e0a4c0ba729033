/**
 * A strax `DataDirectory` (spec runs.md §2.1, §3): run documents as loose `{run}-metadata.json`
 * files and one folder per stored (run, data type, lineage), read through an @daqkit/io
 * {@link DirectorySource} (a Node directory, a browser folder or file list, an HTTP listing).
 * Platform-neutral; writing is Node-only (`DataDirectory` of `@daqkit/runs/node`).
 */
import { type ByteSource, type DirectorySource, IoError } from "@daqkit/io";
import type { NsInterval } from "@daqkit/timestamps";
import { type BloscDecodePool, sharedWebBloscPool } from "./blosc-workers.js";
import { type Chunk, clipChunk, createContinuityChecker, validateChunk } from "./chunk.js";
import { decompressChunk } from "./codecs.js";
import { assertDataType, type DataFolderName, parseDataFolderName, superrunHash } from "./data-key.js";
import { type Dtype, parseDtype } from "./dtype.js";
import { fillContext, RunsError, withContext } from "./errors.js";
import { type DataMetadata, metadataProblem, parseDataMetadata } from "./metadata.js";
import { decodeJsonBytes } from "./python-json.js";
import { assertRunId, isSuperrunId, parseRunDoc, type RunDoc } from "./run-doc.js";

/** Options of {@link DataDirectory}. */
export interface DataDirectoryOptions {
  /**
   * Refuse every write (`RUNS_READONLY` from `assertWritable`). Default true: this class only reads;
   * the Node subclass (`@daqkit/runs/node`), which writes, passes false unless opened read-only.
   */
  readonly readonly?: boolean;
}

/** A data folder found in the directory. */
export interface StoredDataFolder extends DataFolderName {
  /** Folder name. */
  readonly folder: string;
  /** Where it is, for messages: the directory's path (or URL, or folder name) joined with the folder. */
  readonly path: string;
}

/** Resolved stored data: where it is and its metadata. */
export interface StoredData {
  readonly folder: string;
  readonly path: string;
  /** `2` = found under the strax 2.x key, `1` = 1.x superrun folder naming (or a regular run, same in both). */
  readonly layout: 1 | 2;
  readonly metadata: DataMetadata;
  readonly metadataPath: string;
  readonly dtype: Dtype;
}

/** Options for finding stored data. */
export interface FindDataOptions {
  /** Only data with this lineage hash. */
  readonly lineageHash?: string;
  /** Also accept incomplete or failed data (strax `allow_incomplete`). Default false. */
  readonly allowIncomplete?: boolean;
  /** A listing from {@link DataDirectory.listDataFolders} to reuse (saves a directory scan per lookup). */
  readonly folders?: readonly StoredDataFolder[];
}

/** Options for iterating chunks. */
export interface ChunkIterationOptions extends FindDataOptions {
  /** Only rows fully inside `[start, end)` ns; chunks are clipped to it. */
  readonly timeRange?: NsInterval;
  readonly signal?: AbortSignal;
  /** Read and decode this many chunks ahead of the consumer (default 2 with workers, else 1). */
  readonly readAhead?: number;
  /**
   * Decode large Blosc chunks on workers (worker threads in Node, Web Workers in browsers; decoded
   * one after another where there are none). Default: only when the data to read is at least
   * {@link WORKERS_AUTO_BYTES} uncompressed (starting workers costs more than it saves below that).
   */
  readonly workers?: boolean;
}

const RUN_DOC_SUFFIX = "-metadata.json";

/** Uncompressed bytes from which chunk iteration decodes on worker threads by default (256 MB). */
export const WORKERS_AUTO_BYTES = 256e6;

function ioError(path: string, cause: unknown): RunsError {
  return new RunsError("RUNS_IO", `strax: cannot access ${path}: ${(cause as Error).message}`, { path, cause });
}

/** True for a "does not exist" failure: @daqkit/io's `IO_NOT_FOUND`, or Node's `ENOENT`. */
export function isNotFound(error: unknown): boolean {
  if (IoError.isInstance(error)) return error.code === "IO_NOT_FOUND";
  return (error as { code?: unknown })?.code === "ENOENT";
}

/** An entry of the directory's root or of a data folder. */
export interface FolderEntry {
  readonly name: string;
  readonly isDirectory: boolean;
}

/**
 * A strax DataDirectory read through a {@link DirectorySource}: strax 2.x and 1.x layouts. All
 * times are ns `bigint`, intervals half-open `[start, end)`. Read-only: the Node subclass
 * (`DataDirectory` of `@daqkit/runs/node`, over a path) also writes.
 *
 * @example
 * const dir = new DataDirectory(await openHttpDirectory("https://example.org/strax_data/"));
 * const peaks = await loadTable(dir, "_superrun_test", "peaks");
 */
export class DataDirectory {
  /** The directory's path, URL or folder name (for messages and {@link StoredData.path}). */
  readonly path: string;
  readonly readonly: boolean;
  /** The directory source read from. */
  readonly source: DirectorySource;

  /**
   * @param source where the directory's files are (`openDirectorySource`, `openHttpDirectory`,
   *   `fileSystemHandleDirectory`, `fileListDirectory` of @daqkit/io)
   */
  constructor(source: DirectorySource, options: DataDirectoryOptions = {}) {
    this.source = source;
    this.path = source.name;
    this.readonly = options.readonly ?? true;
  }

  /** Where the entry at relative path `relative` is, for messages (Node: the joined path). */
  protected locate(relative: string): string {
    return `${this.path.replace(/\/+$/, "")}/${relative}`;
  }

  /** Path of a run document. */
  runDocPath(runId: string): string {
    return this.locate(`${runId}${RUN_DOC_SUFFIX}`);
  }

  /** Entries of the root (`folder` undefined) or of a data folder; `undefined` when it does not exist. */
  protected async listFolder(folder?: string): Promise<FolderEntry[] | undefined> {
    try {
      const entries = await this.source.list(folder === undefined ? {} : { under: folder });
      const prefix = folder === undefined ? "" : `${folder}/`;
      return entries.map((e) => ({ name: e.path.slice(prefix.length), isDirectory: e.kind === "directory" }));
    } catch (cause) {
      if (isNotFound(cause)) return undefined;
      throw ioError(folder === undefined ? this.path : this.locate(folder), cause);
    }
  }

  /** The bytes of the file at a relative path, or `undefined` when it does not exist. */
  protected async readBytes(relative: string): Promise<Uint8Array | undefined> {
    let file: ByteSource;
    try {
      file = await this.source.open(relative);
    } catch (cause) {
      if (isNotFound(cause)) return undefined;
      throw ioError(this.locate(relative), cause);
    }
    try {
      return await file.read(0, file.size);
    } catch (cause) {
      if (isNotFound(cause)) return undefined;
      throw ioError(this.locate(relative), cause);
    } finally {
      await file.close?.();
    }
  }

  protected async entries(): Promise<FolderEntry[]> {
    const entries = await this.listFolder();
    if (!entries) throw new RunsError("RUNS_DATA_NOT_FOUND", `strax: no DataDirectory at ${this.path}`, { path: this.path });
    return entries;
  }

  /** Run ids with a run document, sorted (code unit order). */
  async listRunIds(): Promise<string[]> {
    const ids: string[] = [];
    for (const e of await this.entries()) {
      if (e.isDirectory || !e.name.endsWith(RUN_DOC_SUFFIX)) continue;
      const id = e.name.slice(0, -RUN_DOC_SUFFIX.length);
      if (id !== "" && !id.includes("-")) ids.push(id);
    }
    return ids.sort();
  }

  /** True when the run document exists. */
  async hasRunDoc(runId: string): Promise<boolean> {
    const name = `${runId}${RUN_DOC_SUFFIX}`;
    return ((await this.listFolder().catch(() => undefined)) ?? []).some((e) => e.name === name && !e.isDirectory);
  }

  /** Read a run document. Throws `RUNS_RUN_DOC_NOT_FOUND`, `RUNS_BAD_RUN_DOC`, `RUNS_BAD_RUN_ID`. */
  async readRunDoc(runId: string): Promise<RunDoc> {
    assertRunId(runId);
    const path = this.runDocPath(runId);
    const bytes = await this.readBytes(`${runId}${RUN_DOC_SUFFIX}`);
    if (bytes === undefined) {
      throw new RunsError("RUNS_RUN_DOC_NOT_FOUND", `strax: no file at ${path}, cannot find run metadata for ${runId}`, { path, runId });
    }
    let text: string;
    try {
      text = decodeJsonBytes(bytes, path);
    } catch (cause) {
      throw new RunsError("RUNS_BAD_RUN_DOC", `strax: run document of ${runId}: ${(cause as Error).message.replace(/^strax: /, "")}`, {
        path,
        runId,
        byteOffset: (cause as RunsError).byteOffset ?? 0,
        cause,
      });
    }
    return parseRunDoc(text, runId, path);
  }

  /** Every strax data folder (name splits into 3 parts on `-`; `_temp` folders excluded). */
  async listDataFolders(): Promise<StoredDataFolder[]> {
    const out: StoredDataFolder[] = [];
    for (const e of await this.entries()) {
      if (!e.isDirectory || e.name.endsWith("_temp")) continue;
      const parsed = parseDataFolderName(e.name);
      if (parsed) out.push({ ...parsed, folder: e.name, path: this.locate(e.name) });
    }
    return out.sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0));
  }

  /** Read the data metadata in a data folder (`{type}-{hash}-metadata.json`, or legacy `metadata.json`). */
  async readFolderMetadata(folder: StoredDataFolder): Promise<{ metadata: DataMetadata; metadataPath: string }> {
    for (const name of [`${folder.dataType}-${folder.lineageHash}-metadata.json`, "metadata.json"]) {
      const bytes = await this.readBytes(`${folder.folder}/${name}`);
      if (bytes === undefined) continue;
      const path = this.locate(`${folder.folder}/${name}`);
      return { metadata: parseDataMetadata(decodeJsonBytes(bytes, path), path), metadataPath: path };
    }
    throw new RunsError("RUNS_METADATA_MISSING", `strax: data in ${folder.path} has no metadata`, { path: folder.path });
  }

  /**
   * Find stored data of (run, data type). For a superrun the 2.x key (`{run}_{H}`, H from its run
   * document's `sub_run_spec`) is tried first, then the 1.x folder naming, accepted only if its
   * chunks' subruns match the current definition (otherwise it is stale). Incomplete data is
   * skipped unless `allowIncomplete`. Returns `undefined` when nothing matches. Throws
   * `RUNS_AMBIGUOUS_DATA` when several lineages match and none was given.
   */
  async findData(runId: string, dataType: string, options: FindDataOptions = {}): Promise<StoredData | undefined> {
    assertRunId(runId);
    const folders = (options.folders ?? (await this.listDataFolders())).filter(
      (f) => f.dataType === dataType && (options.lineageHash === undefined || f.lineageHash === options.lineageHash),
    );
    const tiers: { runPart: string; layout: 1 | 2 }[] = [];
    let specIds: Set<string> | undefined;
    if (isSuperrunId(runId)) {
      const doc = await this.readRunDoc(runId);
      if (!doc.subRunSpec) {
        throw new RunsError("RUNS_BAD_SUPERRUN", `strax: superrun ${runId} has no sub_run_spec in its run document`, { runId });
      }
      tiers.push({ runPart: `${runId}_${superrunHash(doc.subRunSpec)}`, layout: 2 });
      tiers.push({ runPart: runId, layout: 1 });
      specIds = new Set(doc.subRunSpec.map((e) => e.runId));
    } else tiers.push({ runPart: runId, layout: 2 });
    for (const tier of tiers) {
      const found: StoredData[] = [];
      for (const folder of folders.filter((f) => f.runPart === tier.runPart)) {
        let read: { metadata: DataMetadata; metadataPath: string };
        try {
          read = await this.readFolderMetadata(folder);
        } catch (error) {
          if (RunsError.isInstance(error) && !options.allowIncomplete) continue;
          throw error;
        }
        if (!options.allowIncomplete && metadataProblem(read.metadata) !== undefined) continue;
        if (tier.layout === 1 && specIds && isSuperrunId(runId)) {
          const seen = new Set(read.metadata.chunks.flatMap((c) => (c.subruns ? [...c.subruns.keys()] : [])));
          if (seen.size !== specIds.size || [...seen].some((id) => !specIds!.has(id))) continue;
        }
        let dtype: Dtype;
        try {
          dtype = parseDtype(read.metadata.dtype);
        } catch (error) {
          throw withContext(error, `strax: ${read.metadataPath}: field "dtype" of ${dataType} of run ${runId} in ${this.path}`, {
            path: read.metadataPath,
            runId,
            dataType,
            field: "dtype",
          });
        }
        found.push({ folder: folder.folder, path: folder.path, layout: tier.layout, ...read, dtype });
      }
      if (found.length > 1) {
        throw new RunsError(
          "RUNS_AMBIGUOUS_DATA",
          `strax: ${found.length} stored versions of ${runId}/${dataType} (lineage hashes ${found.map((f) => f.metadata.lineageHash).join(", ")}); pass a lineage hash`,
          { runId, dataType },
        );
      }
      if (found.length === 1) return found[0];
    }
    return undefined;
  }

  /**
   * Like {@link findData} but throws `RUNS_DATA_NOT_FOUND`, or the reason the stored data is
   * unusable (`RUNS_BAD_METADATA`, `RUNS_METADATA_MISSING`, `RUNS_BAD_JSON`, `RUNS_UNKNOWN_COMPRESSOR`).
   */
  async requireData(runId: string, dataType: string, options: FindDataOptions = {}): Promise<StoredData> {
    const found = await this.findData(runId, dataType, options);
    if (found) return found;
    // Explain why: a broken folder is worth naming.
    const broken = await this.findData(runId, dataType, { ...options, allowIncomplete: true });
    // Complete after all: a writer renamed it into place between the two lookups.
    if (broken && metadataProblem(broken.metadata) === undefined) return broken;
    if (broken) {
      throw new RunsError("RUNS_BAD_METADATA", `strax: data at ${broken.path} is not loadable: ${metadataProblem(broken.metadata)}`, {
        path: broken.path,
        runId,
        dataType,
      });
    }
    throw new RunsError("RUNS_DATA_NOT_FOUND", `strax: no stored ${dataType} for run ${runId} in ${this.path}`, {
      runId,
      dataType,
      path: this.path,
    });
  }

  /**
   * True when complete data of (run, data type) is stored (for a superrun: under its own key).
   * An invalid run id or data type is an error (`RUNS_BAD_RUN_ID`), as in strax, not `false`.
   */
  async isStored(runId: string, dataType: string, options: FindDataOptions = {}): Promise<boolean> {
    assertRunId(runId);
    assertDataType(dataType);
    try {
      return (await this.findData(runId, dataType, options)) !== undefined;
    } catch (error) {
      if (RunsError.isInstance(error) && error.code !== "RUNS_IO") return false;
      throw error;
    }
  }

  /**
   * Iterate the chunks of stored data in order, decompressing one at a time (with read-ahead).
   * Checks the chunk list against the folder (missing files `RUNS_CHUNK_MISSING`, stray chunk files
   * `RUNS_BAD_METADATA`), each chunk's size and row count (`RUNS_CORRUPT_CHUNK`), the chunk laws
   * (`RUNS_BAD_CHUNK`) and continuity (`RUNS_NOT_CONTINUOUS`/`RUNS_CHUNK_OVERLAP`).
   */
  async *iterateStored(stored: StoredData, options: ChunkIterationOptions = {}): AsyncGenerator<Chunk> {
    try {
      yield* this.iterateStoredChunks(stored, options);
    } catch (error) {
      // Every error names the run and data type, besides the file.
      throw fillContext(error, { path: stored.metadataPath, runId: stored.metadata.runId, dataType: stored.metadata.dataType });
    }
  }

  private async *iterateStoredChunks(stored: StoredData, options: ChunkIterationOptions): AsyncGenerator<Chunk> {
    const meta = stored.metadata;
    const prefix = `${meta.dataType}-${meta.lineageHash}`;
    const listing = await this.listFolder(stored.folder);
    if (!listing)
      throw new RunsError("RUNS_DATA_NOT_FOUND", `strax: data folder ${stored.path} does not exist (any more)`, { path: stored.path });
    const onDisk = new Set(listing.filter((e) => !e.isDirectory).map((e) => e.name));
    const listed = new Set<string>();
    for (const c of meta.chunks) {
      if (c.n > 0 && c.filename === undefined) {
        throw new RunsError("RUNS_BAD_METADATA", `strax: ${stored.metadataPath}: chunk ${c.chunkIndex} has ${c.n} rows but no filename`, {
          path: stored.metadataPath,
          chunkIndex: c.chunkIndex,
        });
      }
      if (c.filename !== undefined) {
        listed.add(c.filename);
        if (!onDisk.has(c.filename)) {
          throw new RunsError(
            "RUNS_CHUNK_MISSING",
            `strax: chunk ${c.chunkIndex} file ${this.locate(`${stored.folder}/${c.filename}`)} listed in the metadata does not exist`,
            {
              path: this.locate(`${stored.folder}/${c.filename}`),
              chunkIndex: c.chunkIndex,
            },
          );
        }
      }
    }
    const chunkFile = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-\\d{6}$`);
    const stray = [...onDisk].filter((f) => chunkFile.test(f) && !listed.has(f));
    if (stray.length > 0) {
      throw new RunsError(
        "RUNS_BAD_METADATA",
        `strax: ${stored.metadataPath}: chunk list and files disagree: ${stray.join(", ")} not listed in the metadata`,
        {
          path: stored.metadataPath,
        },
      );
    }
    const range = options.timeRange;
    const wanted = meta.chunks.filter(
      (c) => !range || (c.start < range.end && c.end > range.start) || (c.start === c.end && c.start >= range.start && c.start < range.end),
    );
    const continuity = createContinuityChecker();
    const useWorkers = options.workers ?? wanted.reduce((sum, c) => sum + c.nbytes, 0) >= WORKERS_AUTO_BYTES;
    const workers = useWorkers ? this.decodeWorkers() : undefined;
    const readAhead = Math.max(0, options.readAhead ?? (workers ? 2 : 1));
    const itemsize = stored.dtype.itemsize;
    // Each chunk's file is read and decoded as one promise, started `readAhead` chunks early, so
    // reading, decoding (on worker threads for large Blosc chunks) and the consumer overlap.
    const prepare = async (info: (typeof wanted)[number]): Promise<Uint8Array> => {
      if (info.filename === undefined) return new Uint8Array(0);
      const path = this.locate(`${stored.folder}/${info.filename}`);
      const compressed = await this.readBytes(`${stored.folder}/${info.filename}`);
      if (compressed === undefined)
        throw new RunsError("RUNS_CHUNK_MISSING", `strax: chunk file ${path} does not exist`, { path, chunkIndex: info.chunkIndex });
      if (info.filesize !== undefined && compressed.byteLength !== info.filesize) {
        throw new RunsError(
          "RUNS_CORRUPT_CHUNK",
          `strax: chunk ${path} has ${compressed.byteLength} bytes, metadata filesize says ${info.filesize}`,
          {
            path,
            chunkIndex: info.chunkIndex,
          },
        );
      }
      return decompressChunk(meta.compressor, compressed, { expectedBytes: info.n * itemsize, path, workers }).catch((error: unknown) => {
        throw fillContext(error, { path, chunkIndex: info.chunkIndex });
      });
    };
    const pending: (Promise<Uint8Array> | undefined)[] = [];
    const start = (i: number) => {
      const c = wanted[i];
      if (!c || pending[i]) return;
      const p = prepare(c);
      p.catch(() => undefined); // handled when awaited
      pending[i] = p;
    };
    for (let i = 0; i < wanted.length; i++) {
      options.signal?.throwIfAborted();
      for (let k = i; k <= i + readAhead; k++) start(k);
      const info = wanted[i]!;
      const path = info.filename === undefined ? stored.path : this.locate(`${stored.folder}/${info.filename}`);
      const data = await pending[i]!;
      pending[i] = undefined;
      if (data.byteLength !== info.n * itemsize) {
        throw new RunsError(
          "RUNS_CORRUPT_CHUNK",
          `strax: chunk ${path} has ${data.byteLength / itemsize} items, but chunk_info says ${info.n}`,
          { path, chunkIndex: info.chunkIndex },
        );
      }
      if (isSuperrunId(info.runId) && info.subruns === null) {
        throw new RunsError(
          "RUNS_BAD_METADATA",
          `strax: superrun ${info.runId} has no subruns information in ${stored.metadataPath} chunk ${info.chunkIndex}`,
          {
            path: stored.metadataPath,
            chunkIndex: info.chunkIndex,
          },
        );
      }
      let chunk: Chunk = {
        runId: info.runId,
        dataType: meta.dataType,
        dataKind: meta.dataKind,
        dtype: stored.dtype,
        start: info.start,
        end: info.end,
        n: info.n,
        data,
        subruns: info.subruns,
      };
      try {
        validateChunk(chunk, `${path} (chunk ${info.chunkIndex})`);
        continuity.check(chunk);
      } catch (error) {
        throw withContext(error, `strax: ${stored.metadataPath} (${meta.dataType} of run ${meta.runId}, chunk ${info.chunkIndex})`, {
          path: stored.metadataPath,
          runId: meta.runId,
          dataType: meta.dataType,
          chunkIndex: info.chunkIndex,
          ...(RunsError.isInstance(error) && error.code === "RUNS_BAD_DTYPE" ? { field: "dtype" } : {}),
        });
      }
      if (range) chunk = clipChunk(chunk, range);
      yield chunk;
    }
  }

  /** The pool large Blosc chunks are decoded on when workers are wanted (`undefined`: decode in this thread). */
  protected decodeWorkers(): BloscDecodePool | undefined {
    return sharedWebBloscPool();
  }

  /** Throw `RUNS_READONLY` if the directory was opened read-only. */
  assertWritable(): void {
    if (this.readonly) {
      throw new RunsError("RUNS_READONLY", `strax: ${this.path} is read-only: it cannot write any data`, { path: this.path });
    }
  }
}
