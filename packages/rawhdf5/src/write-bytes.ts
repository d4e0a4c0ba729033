/**
 * Writing a raw file or a packet file to bytes (platform neutral): the file is built in the h5wasm
 * runtime's in-memory file system (h5wasm's browser build by default, also in Node) and returned
 * as a `Uint8Array`; a page wraps it in a `Blob` to offer it for download. Same layout and
 * validation as the Node file writers.
 */
import { loadH5Runtime } from "@daqkit/io";
import { RawHdf5Error } from "./errors.js";
import { appendRawBatch, closeQuietly, createRawLayout, openH5, WRITE_LIBVER } from "./h5/raw-layout.js";
import { type H5Runtime, rawRuntime, THROWING_SCOPE } from "./h5/runtime.js";
import { parseRawfileVersion } from "./layout.js";
import { appendPacketRows, createPacketFile } from "./packet-layout.js";
import type { PacketColumns } from "./pacman.js";
import type { RawfileRuntimeOptions } from "./read-source.js";
import { checkNewFileVersions, prepareBatch, type ToRawfileOptions } from "./write-core.js";

interface MemFs {
  mkdirTree(path: string): void;
  readFile(path: string): Uint8Array;
  unlink(path: string): void;
  analyzePath(path: string): { exists: boolean };
}

let counter = 0;

/** Build a file at a private in-memory path with `build(path)`, return its bytes, remove it. */
async function buildInMemory(
  options: RawfileRuntimeOptions,
  name: string,
  build: (rt: H5Runtime, path: string) => void,
): Promise<Uint8Array<ArrayBuffer>> {
  const io = options.runtime ?? (await loadH5Runtime(options.h5));
  if (io.kind !== "browser") {
    throw new RawHdf5Error(
      "RAWHDF5_BAD_INPUT",
      `rawhdf5: ${name}: writing to bytes needs an in-memory runtime (io's loadH5Runtime), not the Node file runtime`,
      { path: name },
    );
  }
  const rt = await rawRuntime(io);
  const fs = rt.module.FS as unknown as MemFs;
  fs.mkdirTree("/daqkit-rawhdf5");
  counter++;
  const path = `/daqkit-rawhdf5/out-${counter}-${Math.random().toString(36).slice(2, 10)}.h5`;
  try {
    build(rt, path);
    return new Uint8Array(fs.readFile(path));
  } catch (error) {
    if (RawHdf5Error.isInstance(error)) throw error;
    const text = error instanceof Error ? error.message : String(error);
    throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${name}: writing failed: ${text.split("\n")[0]}`, {
      path: name,
      cause: error,
      hdf5Diagnostic: text,
    });
  } finally {
    if (fs.analyzePath(path).exists) fs.unlink(path);
  }
}

/**
 * A new raw file (spec §2) holding `msgs` and their headers, as bytes: the same file `toRawfile`
 * creates on disk. Everything is validated first (same codes as `toRawfile`).
 *
 * ```ts
 * const bytes = await toRawfileBytes({ msgs, msgHeaders: { io_groups } });
 * const url = URL.createObjectURL(new Blob([bytes], { type: "application/x-hdf5" }));
 * ```
 * @throws RawHdf5Error `RAWHDF5_BAD_VERSION`, `RAWHDF5_UNSUPPORTED_VERSION`, `RAWHDF5_BAD_MESSAGE_TYPE`,
 *   `RAWHDF5_UNKNOWN_HEADER_KEY`, `RAWHDF5_HEADER_LENGTH`, `RAWHDF5_HEADER_VALUE`, `RAWHDF5_IO`, `RAWHDF5_PATCH_FAILED`
 */
export async function toRawfileBytes(options: ToRawfileOptions & RawfileRuntimeOptions = {}): Promise<Uint8Array<ArrayBuffer>> {
  const { msgs = null, msgHeaders = null, version = null, ioVersion = null } = options;
  const name = options.name ?? "raw file";
  if (version != null) parseRawfileVersion(version, "requested version", name);
  const newVersion = checkNewFileVersions(version, ioVersion, name);
  const batch = msgs == null ? null : prepareBatch(msgs, msgHeaders, newVersion, name);
  const nowSeconds = Date.now() / 1000;
  return buildInMemory(options, name, (rt, path) => {
    createRawLayout(rt, THROWING_SCOPE, path, { version: newVersion, ioVersion: ioVersion ?? null, nowSeconds });
    if (!batch || batch.msgs.length === 0) return;
    const opened = openH5(rt, THROWING_SCOPE, path, "a", WRITE_LIBVER);
    if (!opened.ok)
      throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${name}: cannot re-open the new file: ${opened.diagnostic}`, { path: name });
    try {
      appendRawBatch(rt, THROWING_SCOPE, opened.file, name, 0, batch.msgs, batch.ioGroups, nowSeconds);
    } finally {
      closeQuietly(opened.file);
    }
  });
}

/**
 * A LArPix packet file (`_header` + `packets`, hdf5format 2.4) holding `cols`, as bytes: the same
 * file `writePacketFile` writes on disk.
 * @throws RawHdf5Error `RAWHDF5_IO`
 */
export async function packetFileBytes(
  cols: PacketColumns | readonly PacketColumns[],
  options: RawfileRuntimeOptions = {},
): Promise<Uint8Array<ArrayBuffer>> {
  const name = options.name ?? "packet file";
  const blocks = Array.isArray(cols) ? (cols as readonly PacketColumns[]) : [cols as PacketColumns];
  const nowSeconds = Date.now() / 1000;
  return buildInMemory(options, name, (rt, path) => {
    const file = createPacketFile(rt, THROWING_SCOPE, path, name, nowSeconds);
    try {
      let length = 0;
      for (const block of blocks) length = appendPacketRows(rt, THROWING_SCOPE, file, name, length, block);
    } finally {
      closeQuietly(file);
    }
  });
}
