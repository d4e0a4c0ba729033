/**
 * The Node packet-file writer: a LArPix packet file (packet-layout.ts) written under io's
 * temporary name beside the final path and put in place by io's atomic writer.
 */
import { withAtomicPath } from "@daqkit/io/node";
import type { File as H5File } from "h5wasm";
import { RawHdf5Error } from "./errors.js";
import { loadH5, withQuietHdf5 } from "./h5/node-runtime.js";
import { closeQuietly } from "./h5/raw-layout.js";
import type { H5Runtime } from "./h5/runtime.js";
import { appendPacketRows, createPacketFile } from "./packet-layout.js";
import type { PacketColumns } from "./pacman.js";

/** The earlier temporary scheme of this package (`.NAME.PID.RANDOM.tmp`, `.NAME.PID.RANDOM.repair.tmp`), cleaned up like io's. */
export const LEGACY_TEMPORARY = /^(\d+)\.[0-9a-z]+(?:\.repair)?\.tmp$/;

/**
 * Streaming writer of a LArPix packet file (`_header` + `packets`). Rows are appended with
 * {@link PacketFileWriter.append}; the file is written under io's temporary name in the same
 * directory (stale temporaries of dead writers are removed first) and fsynced and renamed into
 * place by {@link PacketFileWriter.close}. {@link PacketFileWriter.abort} leaves nothing.
 */
export class PacketFileWriter {
  readonly path: string;
  #rt: H5Runtime;
  #file: H5File | undefined;
  #length = 0;
  #finish: (ok: boolean) => void;
  #done: Promise<void>;

  private constructor(rt: H5Runtime, path: string, file: H5File, finish: (ok: boolean) => void, done: Promise<void>) {
    this.#rt = rt;
    this.path = path;
    this.#file = file;
    this.#finish = finish;
    this.#done = done;
  }

  /**
   * Create the writer (and the temporary file).
   * @throws RawHdf5Error `RAWHDF5_IO`
   */
  static async create(path: string, options: { nowSeconds?: number } = {}): Promise<PacketFileWriter> {
    const rt = await loadH5();
    const now = options.nowSeconds ?? Date.now() / 1000;
    let finish!: (ok: boolean) => void;
    const finished = new Promise<boolean>((resolve) => {
      finish = resolve;
    });
    let opened!: (value: { file: H5File } | { error: unknown }) => void;
    const ready = new Promise<{ file: H5File } | { error: unknown }>((resolve) => {
      opened = resolve;
    });
    // io's atomic writer owns the temporary: it is renamed into place when the writer is closed,
    // and removed when it is aborted or creation fails.
    const done = withAtomicPath(
      path,
      async (tmp) => {
        let file: H5File;
        try {
          file = withQuietHdf5(rt, (scope) => createPacketFile(rt, scope, tmp, path, now));
        } catch (error) {
          opened({ error });
          throw error;
        }
        opened({ file });
        if (!(await finished)) throw new PacketWriterAborted();
      },
      { legacyTemporary: LEGACY_TEMPORARY },
    ).catch((error: unknown) => {
      if (error instanceof PacketWriterAborted) return;
      throw error;
    });
    const result = await Promise.race([ready, done.then(() => ({ error: new Error("the packet file writer ended early") }))]);
    if ("error" in result) {
      await done.catch(() => undefined);
      if (RawHdf5Error.isInstance(result.error)) throw result.error;
      throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${path}: cannot create the packet file: ${(result.error as Error)?.message}`, {
        path,
        cause: result.error,
      });
    }
    return new PacketFileWriter(rt, path, result.file, finish, done);
  }

  /** Rows written so far. */
  get length(): number {
    return this.#length;
  }

  /**
   * Append packet rows.
   * @throws RawHdf5Error `RAWHDF5_IO`
   */
  append(cols: PacketColumns): void {
    const file = this.#file;
    if (!file) throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${this.path}: the packet file writer is closed`, { path: this.path });
    this.#length = withQuietHdf5(this.#rt, (scope) => appendPacketRows(this.#rt, scope, file, this.path, this.#length, cols));
  }

  /**
   * Close the file and move it to its final path (fsync, rename, fsync of the directory).
   * @throws RawHdf5Error `RAWHDF5_IO` when it cannot be put in place
   */
  async close(): Promise<void> {
    const file = this.#file;
    if (file) {
      this.#file = undefined;
      withQuietHdf5(this.#rt, () => closeQuietly(file));
      this.#finish(true);
    }
    try {
      await this.#done;
    } catch (error) {
      if (RawHdf5Error.isInstance(error)) throw error;
      throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${this.path}: cannot put the packet file in place: ${(error as Error)?.message}`, {
        path: this.path,
        cause: error,
      });
    }
  }

  /** Close and delete the temporary file without creating `path`. */
  async abort(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    if (file) withQuietHdf5(this.#rt, () => closeQuietly(file));
    this.#finish(false);
    await this.#done.catch(() => undefined);
  }
}

class PacketWriterAborted extends Error {}

/**
 * Write packet columns as a LArPix packet file (`_header` attrs version/created/modified and the
 * `packets` compound dataset), atomically. Convenience wrapper over {@link PacketFileWriter}.
 * @throws RawHdf5Error `RAWHDF5_IO`
 */
export async function writePacketFile(path: string, cols: PacketColumns): Promise<void> {
  const writer = await PacketFileWriter.create(path);
  try {
    writer.append(cols);
  } catch (error) {
    await writer.abort();
    throw error;
  }
  await writer.close();
}
