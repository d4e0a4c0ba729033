/**
 * Variable-length uint8 ("VLEN sequence of H5T_STD_U8LE") datasets on h5wasm 0.10.3, which has no
 * public API for them (spec §8.3–§8.5). Everything that depends on h5wasm internals lives here:
 *
 * - {@link createVlenU8Dataset}: create the dataset as a VLEN *string* through the low-level
 *   `create_vlen_str_dataset`, then flip its datatype message to a VLEN *sequence* by patching the
 *   object header on disk (checksum verified before, recomputed after).
 * - {@link writeVlenU8Rows}: write rows with hand-built `hvl_t` structs via `set_dataset_data`.
 * - {@link readVlenU8Rows} / {@link readU8Rows}: statused low-level reads that never let h5wasm
 *   decode or free garbage pointers after a failed read (which aborts the wasm runtime).
 */
import { RawHdf5Error } from "../errors.js";
import type { H5Runtime } from "./runtime.js";
import { lookup3 } from "@daqkit/io";

/** HDF5 `H5S_UNLIMITED` (2^64 − 1). */
const H5S_UNLIMITED = 0xffff_ffff_ffff_ffffn;
/** HDF5 datatype class numbers (file format spec, datatype message). */
const CLASS_INTEGER = 0;
const CLASS_VLEN = 9;
/** Object header message type of the datatype message. */
const MSG_DATATYPE = 3;
/** Size of one wasm32 `hvl_t` {u32 length, u32 pointer}. */
const HVL_T_SIZE = 8;

/** Where the datatype message of a dataset was found and what was changed. */
export interface DatatypePatch {
  /** File offset of the `OHDR` signature. */
  headerAddress: number;
  /** File offset of the datatype message body. */
  bodyOffset: number;
  /** Checksum before and after the patch. */
  checksumBefore: number;
  checksumAfter: number;
}

function patchFailure(path: string, message: string, byteOffset?: number): RawHdf5Error {
  return new RawHdf5Error("RAWHDF5_PATCH_FAILED", `rawhdf5: ${path}: ${message}`, { path, byteOffset });
}

/**
 * Patch, in memory, a version-2 object header chunk 0 so that its VLEN-string datatype of 1-byte
 * unsigned characters becomes a VLEN sequence of `H5T_STD_U8LE` (spec §8.3 step 3).
 *
 * @param header bytes starting at the `OHDR` signature (at least the whole chunk 0 plus checksum);
 *   modified in place
 * @param headerAddress file offset of `header[0]` (for messages only)
 * @returns the patch description; `chunkEnd` is the byte count (from `OHDR`) that must be written back
 * @throws RawHdf5Error `RAWHDF5_PATCH_FAILED` when any byte differs from what h5wasm 0.10.3 writes
 */
export function patchVlenStringHeader(header: Uint8Array, headerAddress: number, path = "(buffer)"): DatatypePatch & { chunkEnd: number } {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const sig = String.fromCharCode(header[0]!, header[1]!, header[2]!, header[3]!);
  if (sig !== "OHDR" || header[4] !== 2) {
    throw patchFailure(
      path,
      `expected a version-2 object header ("OHDR", 2) at byte ${headerAddress}, found ${JSON.stringify(sig)} version ${header[4]}`,
      headerAddress,
    );
  }
  const flags = header[5]!;
  let pos = 6;
  if (flags & 0x20) pos += 16; // access/modification/change/birth times
  if (flags & 0x10) pos += 4; // attribute phase change values
  const sizeBytes = 1 << (flags & 0x03);
  let chunkSize: number;
  if (sizeBytes === 1) chunkSize = view.getUint8(pos);
  else if (sizeBytes === 2) chunkSize = view.getUint16(pos, true);
  else if (sizeBytes === 4) chunkSize = view.getUint32(pos, true);
  else chunkSize = Number(view.getBigUint64(pos, true));
  pos += sizeBytes;
  const messagesStart = pos;
  const chunkEnd = messagesStart + chunkSize;
  if (chunkEnd + 4 > header.length) {
    throw patchFailure(path, `object header chunk 0 (${chunkSize} bytes) extends past the ${header.length} bytes read`, headerAddress);
  }
  const checksumBefore = view.getUint32(chunkEnd, true);
  const computed = lookup3(header.subarray(0, chunkEnd));
  if (computed !== checksumBefore) {
    throw patchFailure(
      path,
      `object header checksum mismatch at byte ${headerAddress}: stored 0x${checksumBefore.toString(16)}, computed 0x${computed.toString(16)}`,
      headerAddress,
    );
  }
  const messageHeaderSize = flags & 0x04 ? 6 : 4;
  let bodyOffset = -1;
  while (pos + messageHeaderSize <= chunkEnd) {
    const type = header[pos]!;
    const size = view.getUint16(pos + 1, true);
    const messageFlags = header[pos + 3]!;
    const body = pos + messageHeaderSize;
    if (type === MSG_DATATYPE) {
      if (messageFlags & 0x02) throw patchFailure(path, "the datatype message is shared; cannot patch it", body);
      bodyOffset = body;
      break;
    }
    pos = body + size;
  }
  if (bodyOffset < 0) throw patchFailure(path, "no datatype message in object header chunk 0", headerAddress);
  const b = bodyOffset;
  // Datatype message (HDF5 file format §IV.A.2.d): class/version, 24-bit class fields, u32 size,
  // then for VLEN the base type as a complete datatype message.
  const isVlenString =
    (header[b]! & 0x0f) === CLASS_VLEN &&
    (header[b + 1]! & 0x0f) === 1 &&
    view.getUint32(b + 4, true) === 16 &&
    (header[b + 8]! & 0x0f) === CLASS_INTEGER &&
    (header[b + 9]! & 0x08) === 0 && // base unsigned
    (header[b + 9]! & 0x01) === 0 && // base little-endian
    view.getUint32(b + 12, true) === 1 &&
    view.getUint16(b + 16, true) === 0 && // bit offset
    view.getUint16(b + 18, true) === 8; // precision
  if (!isVlenString) {
    const found = Array.from(header.subarray(b, b + 20), (x) => x.toString(16).padStart(2, "0")).join("");
    throw patchFailure(path, `expected a VLEN string datatype of 1-byte unsigned characters, found datatype bytes ${found}`, b);
  }
  // Class bit field bits 0-3: 0 = sequence; bits 4-7 padding and 8-11 character set are
  // string-only and must be 0 for a sequence (byte-identical to h5py's vlen_dtype(u1)).
  header[b + 1] = 0;
  header[b + 2] = 0;
  const checksumAfter = lookup3(header.subarray(0, chunkEnd));
  view.setUint32(chunkEnd, checksumAfter, true);
  return { headerAddress, bodyOffset: headerAddress + b, checksumBefore, checksumAfter, chunkEnd: chunkEnd + 4 };
}

/**
 * Bytes from `OHDR` to the end of chunk 0's checksum declared by a version-2 object header, or
 * null when the prefix is too short or not such a header.
 */
export function objectHeaderChunk0Bytes(header: Uint8Array): number | null {
  if (header.length < 7 || header[0] !== 0x4f || header[1] !== 0x48 || header[2] !== 0x44 || header[3] !== 0x52 || header[4] !== 2)
    return null;
  const flags = header[5]!;
  const pos = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
  const sizeBytes = 1 << (flags & 0x03);
  if (pos + sizeBytes > header.length) return null;
  let size = 0;
  for (let i = sizeBytes - 1; i >= 0; i--) size = size * 256 + header[pos + i]!;
  return pos + sizeBytes + size + 4;
}

interface EmscriptenFs {
  open(path: string, flags: string): unknown;
  read(stream: unknown, buffer: Uint8Array, offset: number, length: number, position: number): number;
  write(stream: unknown, buffer: Uint8Array, offset: number, length: number, position: number): number;
  close(stream: unknown): void;
}

/**
 * Apply `patch` to the object header at `address` of the closed file `path` through the runtime's
 * file system (host paths under Node's NODERAWFS, MEMFS in browsers): the one read-patch-write of
 * chunk 0 behind every datatype fix-up (`msgs` here, the packet file's compounds in compound-fixup.ts).
 * `patch` gets chunk 0 with its checksum and returns how many of its bytes to write back.
 */
export function patchObjectHeaderOnDisk(rt: H5Runtime, path: string, address: number, patch: (header: Uint8Array) => number): void {
  const fs = rt.module.FS as unknown as EmscriptenFs;
  let stream: unknown;
  try {
    stream = fs.open(path, "r+");
  } catch (error) {
    throw patchFailure(path, `cannot open the new file to patch it: ${(error as Error).message ?? String(error)}`);
  }
  try {
    // Chunk 0 of a freshly created dataset header is a few hundred bytes; read generously, and
    // re-read once with the size the header declares if it is longer (decided on the declared
    // size, never on the text of an error).
    let header = new Uint8Array(4096);
    let got = fs.read(stream, header, 0, header.length, address);
    const needed = objectHeaderChunk0Bytes(header.subarray(0, got));
    if (needed !== null && needed > got && got === header.length) {
      header = new Uint8Array(needed);
      got = fs.read(stream, header, 0, needed, address);
    }
    const length = patch(header.subarray(0, got));
    const written = fs.write(stream, header, 0, length, address);
    if (written !== length) throw patchFailure(path, `short write of the patched object header (${written} of ${length} bytes)`, address);
  } finally {
    fs.close(stream);
  }
}

/**
 * Patch the datatype of the dataset whose object header is at `address` in the closed file `path`,
 * through the runtime's file system (host paths in Node's NODERAWFS build, MEMFS in browsers).
 */
export function patchVlenStringDatasetOnDisk(rt: H5Runtime, path: string, address: number): DatatypePatch {
  let result: DatatypePatch | undefined;
  patchObjectHeaderOnDisk(rt, path, address, (header) => {
    const patch = patchVlenStringHeader(header, address, path);
    result = patch;
    return patch.chunkEnd;
  });
  return result!;
}

/**
 * Create an empty, resizable VLEN-uint8 dataset `name` (shape [0], unlimited, chunks [1024],
 * no filter: HDF5 rejects mandatory filters on VLEN types) in the open file `fileId`, and return
 * the file address of its object header. The datatype is still a VLEN *string* until the file is
 * closed and {@link patchVlenStringDatasetOnDisk} is applied to that address.
 */
export function createVlenStringPlaceholder(rt: H5Runtime, fileId: bigint, name: string, chunkRows = 1024): number {
  const { module } = rt;
  const status = module.create_vlen_str_dataset(fileId, name, [], {
    type: module.H5T_class_t.H5T_STRING.value,
    size: 4,
    vlen: true,
    cset: 0, // ASCII: H5T_C_S1, NULLTERM padding
    signed: false,
    littleEndian: true,
    shape: [0n],
    maxshape: [H5S_UNLIMITED],
    chunks: [BigInt(chunkRows)],
    compression: 0,
    compression_opts: [],
    track_order: false,
    total_size: 0,
  } as unknown as Parameters<typeof module.create_vlen_str_dataset>[3]);
  if (status < 0) throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: could not create the ${name} dataset (status ${status})`);
  const ref = module.create_object_reference(fileId, name);
  const bytes = Uint8Array.from(ref as ArrayLike<number>);
  const address = new DataView(bytes.buffer).getBigUint64(0, true);
  return Number(address);
}

/**
 * Write `msgs` as rows `[startRow, startRow + msgs.length)` of the VLEN-uint8 dataset `name`
 * (which must already be at least that long). Returns the HDF5 status (negative = failure).
 */
export function writeVlenU8Rows(rt: H5Runtime, fileId: bigint, name: string, startRow: number, msgs: readonly Uint8Array[]): number {
  const { module } = rt;
  const k = msgs.length;
  if (k === 0) return 0;
  let total = 0;
  for (let i = 0; i < k; i++) total += msgs[i]!.length;
  const dataPtr = module._malloc(Math.max(total, 1));
  const hvlPtr = module._malloc(k * HVL_T_SIZE);
  if (dataPtr === 0 || hvlPtr === 0) {
    if (dataPtr) module._free(dataPtr);
    if (hvlPtr) module._free(hvlPtr);
    throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: wasm allocation of ${total} bytes failed (batch too large)`);
  }
  try {
    // Views are taken after both allocations: HEAPU8 is replaced when the heap grows.
    const heap = module.HEAPU8;
    const hvl = new Uint32Array(heap.buffer, hvlPtr, k * 2);
    let p = dataPtr;
    for (let i = 0; i < k; i++) {
      const m = msgs[i]!;
      heap.set(m, p);
      hvl[2 * i] = m.length;
      hvl[2 * i + 1] = m.length === 0 ? 0 : p;
      p += m.length;
    }
    return module.set_dataset_data(fileId, name, [BigInt(k)], [BigInt(startRow)], [1n], BigInt(hvlPtr));
  } finally {
    module._free(hvlPtr);
    module._free(dataPtr);
  }
}

/** Messages of a block, packed: message i is `bytes.subarray(offsets[i], offsets[i + 1])`. */
export interface PackedMessages {
  bytes: Uint8Array;
  /** `count + 1` offsets into `bytes`. */
  offsets: Float64Array;
}

/**
 * Read rows `[start, start + count)` of a VLEN-uint8 dataset (spec §8.5). Returns `null` when
 * HDF5 reports a failure (transient while another process writes); never decodes unread memory.
 */
export function readVlenU8Rows(rt: H5Runtime, fileId: bigint, name: string, start: number, count: number): PackedMessages | null {
  const { module } = rt;
  if (count === 0) return { bytes: new Uint8Array(0), offsets: new Float64Array(1) };
  const hvlPtr = module._malloc(count * HVL_T_SIZE);
  if (hvlPtr === 0) throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: wasm allocation for ${count} rows failed`);
  module.HEAPU8.fill(0, hvlPtr, hvlPtr + count * HVL_T_SIZE);
  const countArg = [BigInt(count)];
  try {
    let status: number;
    try {
      status = module.get_dataset_data(fileId, name, countArg, [BigInt(start)], [1n], BigInt(hvlPtr));
    } catch {
      status = -1; // h5wasm throws when the dataset cannot be opened
    }
    if (status < 0) return null;
    const heap = module.HEAPU8;
    const hvl = new Uint32Array(heap.buffer, hvlPtr, count * 2);
    const offsets = new Float64Array(count + 1);
    let total = 0;
    for (let i = 0; i < count; i++) {
      offsets[i] = total;
      total += hvl[2 * i]!;
    }
    offsets[count] = total;
    return { bytes: copyElements(heap, hvl, count, total), offsets };
  } finally {
    // Safe on zeroed entries; frees what HDF5 allocated on success.
    try {
      module.reclaim_vlen_memory_count(fileId, name, "", BigInt(hvlPtr), countArg);
    } catch {
      // the dataset could not be re-opened: nothing was allocated by a read that failed to open it
    }
    module._free(hvlPtr);
  }
}

/**
 * Copy `count` VLEN elements (`hvl` = length, pointer pairs) out of the wasm heap into one packed
 * buffer of `total` bytes. HDF5 allocates the elements one after the other, so they usually lie in
 * ascending order in one region: copy that region once and compact it in place with `copyWithin`
 * (no object per message). Otherwise fall back to one `set` per element.
 */
export function copyElements(heap: Uint8Array, hvl: Uint32Array, count: number, total: number): Uint8Array {
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  let ascending = true;
  for (let i = 0; i < count; i++) {
    const n = hvl[2 * i]!;
    if (n === 0) continue;
    const ptr = hvl[2 * i + 1]!;
    if (ptr < hi) ascending = false;
    if (ptr < lo) lo = ptr;
    if (ptr + n > hi) hi = ptr + n;
  }
  if (total === 0) return new Uint8Array(0);
  if (ascending && hi - lo <= 2 * total + (1 << 20)) {
    const region = heap.slice(lo, hi);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const n = hvl[2 * i]!;
      if (n === 0) continue;
      const from = hvl[2 * i + 1]! - lo;
      if (from !== at) region.copyWithin(at, from, from + n); // at <= from: ascending, no overlap issue
      at += n;
    }
    return region.subarray(0, total);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const n = hvl[2 * i]!;
    if (n > 0) {
      const ptr = hvl[2 * i + 1]!;
      bytes.set(heap.subarray(ptr, ptr + n), at);
    }
    at += n;
  }
  return bytes;
}

/**
 * Read rows `[start, start + count)` of a dataset whose element is one byte (a u8 dataset or a
 * compound with one u8 member, like `msg_headers`). Returns `null` on an HDF5 failure.
 */
export function readU8Rows(rt: H5Runtime, fileId: bigint, name: string, start: number, count: number): Uint8Array | null {
  const { module } = rt;
  if (count === 0) return new Uint8Array(0);
  const ptr = module._malloc(count);
  if (ptr === 0) throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: wasm allocation for ${count} rows failed`);
  try {
    let status: number;
    try {
      status = module.get_dataset_data(fileId, name, [BigInt(count)], [BigInt(start)], [1n], BigInt(ptr));
    } catch {
      status = -1;
    }
    if (status < 0) return null;
    return module.HEAPU8.slice(ptr, ptr + count);
  } finally {
    module._free(ptr);
  }
}

/**
 * Write `values` as rows `[startRow, …)` of a one-byte-element dataset (e.g. `msg_headers`).
 * Returns the HDF5 status.
 */
export function writeU8Rows(rt: H5Runtime, fileId: bigint, name: string, startRow: number, values: Uint8Array): number {
  const { module } = rt;
  if (values.length === 0) return 0;
  const ptr = module._malloc(values.length);
  if (ptr === 0) throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: wasm allocation of ${values.length} bytes failed`);
  try {
    module.HEAPU8.set(values, ptr);
    return module.set_dataset_data(fileId, name, [BigInt(values.length)], [BigInt(startRow)], [1n], BigInt(ptr));
  } catch {
    return -1;
  } finally {
    module._free(ptr);
  }
}
