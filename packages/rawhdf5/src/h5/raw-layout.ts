/**
 * The raw-file layout of spec §2 on h5wasm: create it, inspect it, append a batch. All functions
 * are synchronous; they run inside io's status-call scope (Node, `withQuietHdf5`) or under io's
 * throwing error handler (byte snapshots, where a failing call throws).
 */
import type { File as H5File } from "h5wasm";
import { RawHdf5Error } from "../errors.js";
import { RAWFILE_CHUNK_ROWS, RAWFILE_PATHS } from "../layout.js";
import { type H5Runtime, type QuietScope, summarizeDiagnostic } from "./runtime.js";
import { createVlenStringPlaceholder, patchVlenStringDatasetOnDisk, writeU8Rows, writeVlenU8Rows } from "./vlen-u8.js";

/** Library-version bounds for everything we write: HDF5 1.10 object formats, superblock 3 (spec §8.1). */
export const WRITE_LIBVER: ["v110", "latest"] = ["v110", "latest"];

/** An open h5wasm file, or the HDF5 diagnostic explaining why it did not open. */
export type OpenResult = { ok: true; file: H5File } | { ok: false; diagnostic: string };

/** Open `path` with an h5wasm mode; never throws for HDF5 failures (file_id < 0 → diagnostic). */
export function openH5(
  rt: H5Runtime,
  scope: QuietScope,
  path: string,
  mode: "r" | "a" | "w" | "Sr" | "Sa",
  libver?: ["v110", "latest"],
): OpenResult {
  scope.clear();
  let file: H5File;
  try {
    file = libver ? new rt.h5.File(path, mode, { libver }) : new rt.h5.File(path, mode);
  } catch (error) {
    return { ok: false, diagnostic: scope.diagnostic() || String(error) };
  }
  if (file.file_id < 0n) return { ok: false, diagnostic: scope.diagnostic() || "HDF5 could not open the file" };
  return { ok: true, file };
}

/** Close an h5wasm file, ignoring failures (used in `finally`). */
export function closeQuietly(file: H5File | undefined): void {
  if (!file) return;
  try {
    file.close();
  } catch {
    // already closed or the module reported an error: nothing more to do
  }
}

/** What {@link inspectRawLayout} found. `missing` lists absent layout objects (transient or not a raw file). */
export interface RawLayoutInfo {
  version: string | null;
  ioVersion: string | null;
  created: number | null;
  modified: number | null;
  msgsLength: number | null;
  headersLength: number | null;
  headerFields: string[];
  missing: string[];
}

function attributeNames(rt: H5Runtime, fileId: bigint, path: string): string[] {
  try {
    return rt.module.get_attribute_names(fileId, path) ?? [];
  } catch {
    return [];
  }
}

function readAttribute(file: H5File, path: string, name: string): unknown {
  const group = file.get(path);
  if (!group) return null;
  try {
    const value = (group as { get_attribute(n: string, json?: boolean): unknown }).get_attribute(name, false);
    return value;
  } catch {
    return null;
  }
}

function asString(value: unknown): string | null {
  if (value == null) return null;
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value).replace(/\0+$/, "");
  return String(value);
}

function asNumber(value: unknown): number | null {
  if (value == null) return null;
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (ArrayBuffer.isView(value)) return Number((value as unknown as ArrayLike<number>)[0]);
  return Number(value);
}

function objectType(rt: H5Runtime, fileId: bigint, path: string): number | null {
  try {
    const t = rt.module.get_type(fileId, path);
    return t < 0 ? null : t;
  } catch {
    return null;
  }
}

/** Current length (first dimension) of a dataset, or null if it cannot be read. */
export function datasetLength(rt: H5Runtime, fileId: bigint, path: string): number | null {
  try {
    const meta = rt.module.get_dataset_metadata(fileId, path);
    const n = meta?.shape?.[0];
    return typeof n === "number" ? n : n == null ? null : Number(n);
  } catch {
    return null;
  }
}

/** Read everything needed to validate a raw file without touching message data. */
export function inspectRawLayout(rt: H5Runtime, file: H5File): RawLayoutInfo {
  const fileId = file.file_id;
  const missing: string[] = [];
  const info: RawLayoutInfo = {
    version: null,
    ioVersion: null,
    created: null,
    modified: null,
    msgsLength: null,
    headersLength: null,
    headerFields: [],
    missing,
  };
  if (objectType(rt, fileId, RAWFILE_PATHS.meta) !== rt.module.H5G_GROUP) {
    missing.push("meta");
  } else {
    const names = attributeNames(rt, fileId, RAWFILE_PATHS.meta);
    for (const required of ["version", "created", "modified"]) if (!names.includes(required)) missing.push(`meta@${required}`);
    if (names.includes("version")) info.version = asString(readAttribute(file, RAWFILE_PATHS.meta, "version"));
    if (names.includes("io_version")) info.ioVersion = asString(readAttribute(file, RAWFILE_PATHS.meta, "io_version"));
    if (names.includes("created")) info.created = asNumber(readAttribute(file, RAWFILE_PATHS.meta, "created"));
    if (names.includes("modified")) info.modified = asNumber(readAttribute(file, RAWFILE_PATHS.meta, "modified"));
  }
  for (const [key, path] of [
    ["msgs", RAWFILE_PATHS.msgs],
    ["msg_headers", RAWFILE_PATHS.msgHeaders],
  ] as const) {
    if (objectType(rt, fileId, path) !== rt.module.H5G_DATASET) {
      missing.push(key);
      continue;
    }
    const n = datasetLength(rt, fileId, path);
    if (n == null) missing.push(`${key} shape`);
    if (key === "msgs") info.msgsLength = n;
    else {
      info.headersLength = n;
      try {
        const meta = rt.module.get_dataset_metadata(fileId, path);
        info.headerFields = meta.compound_type?.members.map((m: { name: string }) => m.name) ?? [];
      } catch {
        missing.push("msg_headers type");
      }
    }
  }
  return info;
}

/** Options for {@link createRawLayout}. */
export interface CreateLayoutOptions {
  version: string;
  ioVersion: string | null;
  /** Unix seconds for `created` and `modified`. */
  nowSeconds: number;
}

function ioFailure(path: string, what: string, scope: QuietScope): RawHdf5Error {
  const diagnostic = scope.diagnostic();
  return new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${path}: ${what}${diagnostic ? `: ${summarizeDiagnostic(diagnostic)}` : ""}`, {
    path,
    hdf5Diagnostic: diagnostic || undefined,
  });
}

/** Replace (delete + create) a scalar float64 attribute of `/meta` (h5wasm keeps old values otherwise). */
export function setFloatAttribute(file: H5File, name: string, value: number): void {
  const meta = file.get(RAWFILE_PATHS.meta) as unknown as {
    attrs: Record<string, unknown>;
    delete_attribute(n: string): number;
    create_attribute(n: string, v: unknown, shape: null, dtype: string): void;
  };
  if (name in meta.attrs) meta.delete_attribute(name);
  meta.create_attribute(name, value, null, "<d");
}

/**
 * Create a complete empty raw file at `path` (which must not exist; callers use a temporary name
 * and rename): spec §8.3 steps 1–5. The file is closed on return.
 * @throws RawHdf5Error `RAWHDF5_IO`, `RAWHDF5_PATCH_FAILED`
 */
export function createRawLayout(rt: H5Runtime, scope: QuietScope, path: string, options: CreateLayoutOptions): void {
  let opened = openH5(rt, scope, path, "w", WRITE_LIBVER);
  if (!opened.ok)
    throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${path}: cannot create the file: ${summarizeDiagnostic(opened.diagnostic)}`, {
      path,
      hdf5Diagnostic: opened.diagnostic,
    });
  let address: number;
  try {
    address = createVlenStringPlaceholder(rt, opened.file.file_id, RAWFILE_PATHS.msgs, RAWFILE_CHUNK_ROWS);
  } finally {
    closeQuietly(opened.file);
  }
  patchVlenStringDatasetOnDisk(rt, path, address);
  opened = openH5(rt, scope, path, "a", WRITE_LIBVER);
  if (!opened.ok)
    throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${path}: cannot re-open the new file: ${summarizeDiagnostic(opened.diagnostic)}`, {
      path,
      hdf5Diagnostic: opened.diagnostic,
    });
  const file = opened.file;
  try {
    const meta = file.create_group("meta");
    if (!meta) throw ioFailure(path, "cannot create the meta group", scope);
    meta.create_attribute("version", options.version, null, "A");
    meta.create_attribute("created", options.nowSeconds, null, "<d");
    meta.create_attribute("modified", options.nowSeconds, null, "<d");
    if (options.ioVersion != null) meta.create_attribute("io_version", options.ioVersion, null, "A");
    file.create_dataset({
      name: "msg_headers",
      data: new Map([["io_groups", new Uint8Array(0)]]),
      shape: [0],
      maxshape: [null],
      chunks: [RAWFILE_CHUNK_ROWS],
      compression: "gzip",
      compression_opts: 4,
      dtype: [["io_groups", "<B"]],
    } as unknown as Parameters<H5File["create_dataset"]>[0]);
    file.flush();
    const info = inspectRawLayout(rt, file);
    if (info.missing.length > 0) throw ioFailure(path, `the new file lacks ${info.missing.join(", ")}`, scope);
  } finally {
    closeQuietly(file);
  }
}

/**
 * Append one validated batch to an open, writable raw file whose datasets both have length
 * `currentLength`: grow and write `msgs`, flush, then grow and write `msg_headers`, replace `modified`, flush the
 * whole file (spec §3.3 step 5, §6.3). Returns the new length.
 * @throws RawHdf5Error `RAWHDF5_IO`
 */
export function appendRawBatch(
  rt: H5Runtime,
  scope: QuietScope,
  file: H5File,
  path: string,
  currentLength: number,
  msgs: readonly Uint8Array[],
  ioGroups: Uint8Array,
  nowSeconds: number,
): number {
  const fileId = file.file_id;
  const k = msgs.length;
  const next = currentLength + k;
  if (k > 0) {
    // msgs is grown, written and flushed before msg_headers is grown: whatever a kill -9
    // interrupts, msg_headers is never longer than msgs on disk, and every row below the length of
    // msg_headers is a complete message (readers and repairRawfile use the common prefix).
    scope.clear();
    if (rt.module.resize_dataset(fileId, RAWFILE_PATHS.msgs, [BigInt(next)]) < 0) throw ioFailure(path, "cannot resize msgs", scope);
    let status: number;
    try {
      status = writeVlenU8Rows(rt, fileId, RAWFILE_PATHS.msgs, currentLength, msgs);
    } catch {
      status = -1;
    }
    if (status < 0) throw ioFailure(path, `cannot write msgs rows ${currentLength}..${next - 1}`, scope);
    if (rt.module.flush(fileId) < 0) throw ioFailure(path, "flush failed", scope);
    if (rt.module.resize_dataset(fileId, RAWFILE_PATHS.msgHeaders, [BigInt(next)]) < 0)
      throw ioFailure(path, "cannot resize msg_headers", scope);
    if (writeU8Rows(rt, fileId, RAWFILE_PATHS.msgHeaders, currentLength, ioGroups) < 0) {
      throw ioFailure(path, `cannot write msg_headers rows ${currentLength}..${next - 1}`, scope);
    }
  }
  try {
    setFloatAttribute(file, "modified", nowSeconds);
  } catch (error) {
    throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${path}: cannot update meta@modified`, { path, cause: error });
  }
  if (rt.module.flush(fileId) < 0) throw ioFailure(path, "flush failed", scope);
  return next;
}
