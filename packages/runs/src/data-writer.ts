/**
 * Writing stored data the way strax's FileSaver does (spec runs.md §3.2, §5): everything goes to a
 * temporary folder, chunk files are written as `{file}_temp` and renamed, the metadata is rewritten
 * after every chunk, and at `close()` the folder is renamed to its final name. `abort()` removes the
 * temporary folder, so a failed write leaves nothing behind.
 *
 * Unlike strax's one fixed `{folder}_temp`, every writer has its own temporary folder
 * (`{folder}_temp-{pid}-{host}-{random}`, see scratch-names.ts), the rename into place is
 * first-wins (a directory cannot be renamed onto a non-empty one), and the loser gets `RUNS_BUSY`.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Chunk, createContinuityChecker, rowTimes, validateChunk } from "./chunk.js";
import { type Compressor, compressChunk, WRITABLE_COMPRESSORS } from "./codecs.js";
import { type DataKey, dataKeyFolderName } from "./data-key.js";
import { deterministicHash } from "./deterministic-hash.js";
import { type Dtype, formatDtype } from "./dtype.js";
import { RunsError } from "./errors.js";
import { type ChunkInfo, type DataMetadata, formatDataMetadata, metadataProblem, parseDataMetadata } from "./metadata.js";
import { decodeJsonBytes, type PyJsonValue } from "./python-json.js";
import { isStaleScratch, parseScratchName, releaseScratch, scratchName } from "./scratch-names.js";

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
      const meta = parseDataMetadata(decodeJsonBytes(await readFile(join(folder, name)), join(folder, name)), join(folder, name));
      return metadataProblem(meta) === undefined;
    } catch {
      // try the next name
    }
  }
  return false;
}

/** `RUNS_DATA_EXISTS` for existing data the policy forbids replacing. */
function existsError(folder: string, policy: OverwritePolicy, key: { runId: string; dataType: string }): RunsError {
  return new RunsError(
    "RUNS_DATA_EXISTS",
    `strax: ${key.dataType} of run ${key.runId} already exists at ${folder} (overwrite policy ${JSON.stringify(policy)}; use "always" to replace it)`,
    { path: folder, runId: key.runId, dataType: key.dataType },
  );
}

/**
 * Check the overwrite policy for `folder` (throws `RUNS_DATA_EXISTS`); returns whether old data
 * must be removed at close.
 */
export async function checkOverwrite(folder: string, policy: OverwritePolicy, key: { runId: string; dataType: string }): Promise<boolean> {
  if (!(await exists(folder))) return false;
  if (policy === "always") return true;
  if (policy === "if_broken" && !(await isCompleteDataFolder(folder))) return true;
  throw existsError(folder, policy, key);
}

/**
 * Remove the scratch folders of `folderName` in `directory` left by writers that are gone (killed
 * or crashed: pid no longer alive on this host). Never touches a live writer's folder, strax's own
 * `{folder}_temp` or another host's. Old data a dead writer had moved aside (`_old-…`) is put back
 * when no final folder replaced it. Best effort: failures are ignored.
 */
export async function removeStaleScratch(directory: string, folderName: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!isStaleScratch(name, folderName)) continue;
    const path = join(directory, name);
    try {
      if (parseScratchName(name, folderName)?.kind === "old" && !(await exists(join(directory, folderName)))) {
        await rename(path, join(directory, folderName));
        continue;
      }
      await rm(path, { recursive: true, force: true });
      removed.push(name);
    } catch {
      // another writer is cleaning up too; leave it
    }
  }
  return removed;
}

function isRenameConflict(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === "ENOTEMPTY" || code === "EEXIST" || code === "ENOTDIR" || code === "EISDIR";
}

/**
 * Open a writer for one data key (strax 2.x layout). Checks the overwrite policy before creating
 * anything. Throws `RUNS_DATA_EXISTS`, `RUNS_UNKNOWN_COMPRESSOR`, `RUNS_IO`.
 */
export async function openDataWriter(options: DataWriterOptions): Promise<DataWriter> {
  const compressor = options.compressor ?? "blosc";
  if (!WRITABLE_COMPRESSORS.includes(compressor)) {
    throw new RunsError(
      "RUNS_UNKNOWN_COMPRESSOR",
      `strax: cannot write with compressor ${JSON.stringify(compressor)} (writable: ${WRITABLE_COMPRESSORS.join(", ")})`,
    );
  }
  const dataType = options.key.dataType;
  if (!/^[A-Za-z0-9_]+$/.test(dataType)) {
    throw new RunsError("RUNS_BAD_RUN_ID", `strax: data type ${JSON.stringify(dataType)} must contain only letters, digits and '_'`, {
      dataType,
    });
  }
  const lineage = options.lineage ?? { [dataType]: ["DaqkitData", "0.0.0", {}] };
  const lineageHash = options.key.lineageHash ?? deterministicHash(lineage);
  const key: DataKey = { ...options.key, lineageHash };
  const folderName = dataKeyFolderName(key, 2);
  const runId = key.runId;
  const finalPath = join(options.directory, folderName);
  const policy = options.overwrite ?? "if_broken";
  await removeStaleScratch(options.directory, folderName);
  await checkOverwrite(finalPath, policy, { runId, dataType });
  const tempName = scratchName(folderName, "temp");
  const tempPath = join(options.directory, tempName);
  const prefix = `${dataType}-${lineageHash}`;
  const metadataName = `${prefix}-metadata.json`;
  const where = `${dataType} of run ${runId} in ${options.directory}`;
  const discard = async () => {
    await rm(tempPath, { recursive: true, force: true }).catch(() => undefined);
    releaseScratch(tempName);
  };
  try {
    await mkdir(options.directory, { recursive: true });
    await mkdir(tempPath);
  } catch (cause) {
    releaseScratch(tempName);
    throw new RunsError("RUNS_IO", `strax: cannot create ${tempPath} for ${where}: ${(cause as Error).message}`, {
      path: tempPath,
      runId,
      dataType,
      cause,
    });
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
    try {
      await writeFile(`${path}_temp`, formatDataMetadata(metadata(ended)));
      await rename(`${path}_temp`, path);
    } catch (cause) {
      throw new RunsError("RUNS_IO", `strax: cannot write ${path} (${where}): ${(cause as Error).message}`, {
        path,
        runId,
        dataType,
        cause,
      });
    }
  };
  const assertOpen = () => {
    if (state !== "open")
      throw new RunsError("RUNS_IO", `strax: writer for ${folderName} is already ${state}`, { path: finalPath, runId, dataType });
  };
  /**
   * Rename the finished temporary folder into place, first-wins: a folder that appeared meanwhile
   * is kept (`RUNS_BUSY`) unless the policy allows replacing it, in which case it is moved aside
   * first (readers see the old or the new data, never a mix) and removed afterwards.
   */
  const install = async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await rename(tempPath, finalPath);
        return;
      } catch (cause) {
        if (!isRenameConflict(cause)) throw cause;
      }
      // The final folder exists (it did at open, or another writer finished first).
      const replace = policy === "always" || (policy === "if_broken" && !(await isCompleteDataFolder(finalPath)));
      if (!replace) {
        throw new RunsError(
          "RUNS_BUSY",
          `strax: ${where} was stored by another writer while this one was writing (${finalPath}); this write was discarded`,
          { path: finalPath, runId, dataType },
        );
      }
      const oldName = scratchName(folderName, "old");
      const oldPath = join(options.directory, oldName);
      try {
        await rename(finalPath, oldPath);
      } catch (cause) {
        releaseScratch(oldName);
        if ((cause as { code?: unknown }).code === "ENOENT") continue; // someone else moved it
        throw cause;
      }
      try {
        await rename(tempPath, finalPath);
      } catch (cause) {
        // Put the old data back if nothing took its place, then report.
        await rename(oldPath, finalPath).catch(() => undefined);
        releaseScratch(oldName);
        if (!isRenameConflict(cause)) throw cause;
        continue;
      }
      await rm(oldPath, { recursive: true, force: true }).catch(() => undefined);
      releaseScratch(oldName);
      return;
    }
    throw new RunsError("RUNS_BUSY", `strax: ${where}: other writers keep replacing ${finalPath}; this write was discarded`, {
      path: finalPath,
      runId,
      dataType,
    });
  };

  return {
    folderName,
    lineageHash,
    async write(chunk: Chunk) {
      assertOpen();
      if (chunk.dtype.itemsize !== options.dtype.itemsize) {
        throw new RunsError(
          "RUNS_BAD_CHUNK",
          `strax: chunk for ${folderName} has itemsize ${chunk.dtype.itemsize}, writer dtype has ${options.dtype.itemsize}`,
          {
            runId,
            dataType,
          },
        );
      }
      validateChunk(chunk);
      if (previousEnd !== undefined && chunk.start < previousEnd) {
        throw new RunsError(
          "RUNS_CHUNK_OVERLAP",
          `strax: chunk [${chunk.start}, ${chunk.end}) for ${folderName} starts before the previous chunk's end ${previousEnd}`,
          {
            runId,
            dataType,
          },
        );
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
          throw new RunsError("RUNS_IO", `strax: cannot write ${path} (${where}): ${(cause as Error).message}`, {
            path,
            runId,
            dataType,
            cause,
          });
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
        await discard();
        throw new RunsError("RUNS_BAD_CHUNK", `strax: nothing was written for ${folderName} (strax cannot load data without chunks)`, {
          runId,
          dataType,
        });
      }
      const ended = Date.now() / 1000;
      try {
        await writeMetadata(ended);
        await install();
        releaseScratch(tempName);
      } catch (cause) {
        await discard();
        state = "aborted";
        if (RunsError.isInstance(cause)) throw cause;
        throw new RunsError("RUNS_IO", `strax: cannot finish ${finalPath} (${where}): ${(cause as Error).message}`, {
          path: finalPath,
          runId,
          dataType,
          cause,
        });
      }
      state = "closed";
      return metadata(ended);
    },
    async abort() {
      if (state !== "open") return;
      state = "aborted";
      await discard();
    },
  };
}
