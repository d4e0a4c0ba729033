/**
 * Writing stored data the way strax's FileSaver does (spec runs.md §3.2, §5): everything goes to
 * `{folder}_temp/`, chunk files are written as `{file}_temp` and renamed, the metadata is rewritten
 * after every chunk, and at `close()` the folder is renamed to its final name. `abort()` removes the
 * temporary folder, so a failed write leaves nothing behind.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Chunk, createContinuityChecker, rowTimes, validateChunk } from "./chunk.js";
import { type Compressor, compressChunk, WRITABLE_COMPRESSORS } from "./codecs.js";
import { type DataKey, dataKeyFolderName } from "./data-key.js";
import { deterministicHash } from "./deterministic-hash.js";
import { type Dtype, formatDtype } from "./dtype.js";
import { RunsError } from "./errors.js";
import { type ChunkInfo, type DataMetadata, formatDataMetadata, metadataProblem, parseDataMetadata } from "./metadata.js";
import type { PyJsonValue } from "./python-json.js";

/** What to do when data for the key already exists (strax frontends' `overwrite`). */
export type OverwritePolicy = "never" | "if_broken" | "always";

/** The strax version written in `strax_version` (the on-disk format we reproduce). */
export const STRAX_FORMAT_VERSION = "2.2.3";
/** Extra metadata field naming this writer (strax ignores unknown fields). */
export const WRITER_FIELD = "daqkit_writer";
const WRITER_NAME = "@daqkit/runs";

/** Options of {@link openDataWriter}. */
export interface DataWriterOptions {
  /** DataDirectory folder. */
  readonly directory: string;
  /** Key; `lineageHash` defaults to `deterministicHash(lineage)`. */
  readonly key: Omit<DataKey, "lineageHash"> & { readonly lineageHash?: string };
  readonly dtype: Dtype;
  /** Default: the data type. */
  readonly dataKind?: string;
  /** Default `blosc`. */
  readonly compressor?: Compressor;
  /** strax lineage `{data_type: [plugin, version, {options}]}`. Default `{[dataType]: ["DaqkitData", "0.0.0", {}]}`. */
  readonly lineage?: PyJsonValue;
  /** Recorded `chunk_target_size_mb` (default 200). */
  readonly chunkTargetSizeMb?: number;
  /** Default `if_broken` (strax's default). */
  readonly overwrite?: OverwritePolicy;
  /** Check continuity of regular-run chunks (default true). */
  readonly checkContinuity?: boolean;
}

/** An open writer. Always finish with `close()` or `abort()`. */
export interface DataWriter {
  /** Final folder name, e.g. `0-records-j3nd2fjbiq`. */
  readonly folderName: string;
  readonly lineageHash: string;
  /** Append one chunk (must follow the previous one in time). */
  write(chunk: Chunk): Promise<void>;
  /** Finish: write `writing_ended`, rename the folder into place; returns the final metadata. */
  close(): Promise<DataMetadata>;
  /** Discard everything written so far. */
  abort(): Promise<void>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** True when `folder` holds complete strax data (metadata with `writing_ended`, no `exception`). */
export async function isCompleteDataFolder(folder: string): Promise<boolean> {
  const prefix = folder.split(/[\\/]/).pop()!.split("-").slice(1).join("-");
  for (const name of [`${prefix}-metadata.json`, "metadata.json"]) {
    try {
      const meta = parseDataMetadata(await readFile(join(folder, name), "utf8"), join(folder, name));
      return metadataProblem(meta) === undefined;
    } catch {
      // try the next name
    }
  }
  return false;
}

/**
 * Check the overwrite policy for `folder` (throws `RUNS_DATA_EXISTS`); returns whether old data
 * must be removed at close.
 */
export async function checkOverwrite(folder: string, policy: OverwritePolicy): Promise<boolean> {
  if (!(await exists(folder))) return false;
  if (policy === "always") return true;
  if (policy === "if_broken" && !(await isCompleteDataFolder(folder))) return true;
  throw new RunsError(
    "RUNS_DATA_EXISTS",
    `strax: data already exists at ${folder} (overwrite policy ${JSON.stringify(policy)}; use "always" to replace it)`,
    { path: folder },
  );
}

/**
 * Open a writer for one data key (strax 2.x layout). Checks the overwrite policy before creating
 * anything. Throws `RUNS_DATA_EXISTS`, `RUNS_UNKNOWN_COMPRESSOR`, `RUNS_IO`.
 */
export async function openDataWriter(options: DataWriterOptions): Promise<DataWriter> {
  const compressor = options.compressor ?? "blosc";
  if (!WRITABLE_COMPRESSORS.includes(compressor)) {
    throw new RunsError("RUNS_UNKNOWN_COMPRESSOR", `strax: cannot write with compressor ${JSON.stringify(compressor)} (writable: ${WRITABLE_COMPRESSORS.join(", ")})`);
  }
  const dataType = options.key.dataType;
  if (!/^[A-Za-z0-9_]+$/.test(dataType)) {
    throw new RunsError("RUNS_BAD_RUN_ID", `strax: data type ${JSON.stringify(dataType)} must contain only letters, digits and '_'`, { dataType });
  }
  const lineage = options.lineage ?? { [dataType]: ["DaqkitData", "0.0.0", {}] };
  const lineageHash = options.key.lineageHash ?? deterministicHash(lineage);
  const key: DataKey = { ...options.key, lineageHash };
  const folderName = dataKeyFolderName(key, 2);
  const finalPath = join(options.directory, folderName);
  const tempPath = `${finalPath}_temp`;
  const replaceOld = await checkOverwrite(finalPath, options.overwrite ?? "if_broken");
  const prefix = `${dataType}-${lineageHash}`;
  const metadataName = `${prefix}-metadata.json`;
  const runId = key.runId;
  try {
    await rm(tempPath, { recursive: true, force: true });
    await mkdir(tempPath, { recursive: true });
  } catch (cause) {
    throw new RunsError("RUNS_IO", `strax: cannot create ${tempPath}: ${(cause as Error).message}`, { path: tempPath, cause });
  }
  const chunks: ChunkInfo[] = [];
  const started = Date.now() / 1000;
  const dtypeText = formatDtype(options.dtype);
  const continuity = createContinuityChecker();
  const checkContinuity = options.checkContinuity ?? true;
  let state: "open" | "closed" | "aborted" = "open";
  let previousEnd: bigint | undefined;

  const metadata = (ended?: number): DataMetadata => ({
    runId,
    dataType,
    dataKind: options.dataKind ?? dataType,
    dtype: dtypeText,
    compressor,
    lineage,
    lineageHash,
    chunkTargetSizeMb: options.chunkTargetSizeMb ?? 200,
    straxVersion: STRAX_FORMAT_VERSION,
    writingStarted: started,
    ...(ended !== undefined ? { writingEnded: ended } : {}),
    ...(chunks.length > 0 ? { start: chunks[0]!.start } : {}),
    ...(ended !== undefined && chunks.length > 0 ? { end: chunks[chunks.length - 1]!.end } : {}),
    chunks,
    extra: { [WRITER_FIELD]: WRITER_NAME },
  });
  const writeMetadata = async (ended?: number) => {
    const path = join(tempPath, metadataName);
    await writeFile(`${path}_temp`, formatDataMetadata(metadata(ended)));
    await rename(`${path}_temp`, path);
  };
  const assertOpen = () => {
    if (state !== "open") throw new RunsError("RUNS_IO", `strax: writer for ${folderName} is already ${state}`, { path: finalPath });
  };

  return {
    folderName,
    lineageHash,
    async write(chunk: Chunk) {
      assertOpen();
      if (chunk.dtype.itemsize !== options.dtype.itemsize) {
        throw new RunsError("RUNS_BAD_CHUNK", `strax: chunk for ${folderName} has itemsize ${chunk.dtype.itemsize}, writer dtype has ${options.dtype.itemsize}`);
      }
      validateChunk(chunk);
      if (previousEnd !== undefined && chunk.start < previousEnd) {
        throw new RunsError("RUNS_CHUNK_OVERLAP", `strax: chunk [${chunk.start}, ${chunk.end}) for ${folderName} starts before the previous chunk's end ${previousEnd}`, {
          runId,
          dataType,
        });
      }
      if (checkContinuity) continuity.check({ ...chunk, runId });
      previousEnd = chunk.end;
      const index = chunks.length;
      const info: { -readonly [K in keyof ChunkInfo]: ChunkInfo[K] } = {
        chunkIndex: index,
        start: chunk.start,
        end: chunk.end,
        runId,
        n: chunk.n,
        nbytes: chunk.data.byteLength,
        subruns: chunk.subruns,
        extra: {},
      };
      if (chunk.n > 0) {
        const filename = `${prefix}-${String(index).padStart(6, "0")}`;
        const compressed = await compressChunk(compressor, chunk.data);
        const path = join(tempPath, filename);
        try {
          await writeFile(`${path}_temp`, compressed);
          await rename(`${path}_temp`, path);
        } catch (cause) {
          throw new RunsError("RUNS_IO", `strax: cannot write ${path}: ${(cause as Error).message}`, { path, cause });
        }
        info.filename = filename;
        info.filesize = compressed.byteLength;
        const times = rowTimes(chunk.dtype, chunk.data);
        info.firstTime = times.time(0);
        info.firstEndtime = times.endtime(0);
        info.lastTime = times.time(chunk.n - 1);
        info.lastEndtime = times.endtime(chunk.n - 1);
      }
      chunks.push(info);
      await writeMetadata();
    },
    async close() {
      assertOpen();
      if (chunks.length === 0) {
        state = "aborted";
        await rm(tempPath, { recursive: true, force: true });
        throw new RunsError("RUNS_BAD_CHUNK", `strax: nothing was written for ${folderName} (strax cannot load data without chunks)`, { runId, dataType });
      }
      const ended = Date.now() / 1000;
      try {
        await writeMetadata(ended);
        if (replaceOld) await rm(finalPath, { recursive: true, force: true });
        else if (await exists(finalPath)) {
          throw new RunsError("RUNS_DATA_EXISTS", `strax: data appeared at ${finalPath} while writing`, { path: finalPath });
        }
        await rename(tempPath, finalPath);
      } catch (cause) {
        await rm(tempPath, { recursive: true, force: true });
        state = "aborted";
        if (RunsError.isInstance(cause)) throw cause;
        throw new RunsError("RUNS_IO", `strax: cannot finish ${finalPath}: ${(cause as Error).message}`, { path: finalPath, cause });
      }
      state = "closed";
      return metadata(ended);
    },
    async abort() {
      if (state !== "open") return;
      state = "aborted";
      await rm(tempPath, { recursive: true, force: true });
    },
  };
}
