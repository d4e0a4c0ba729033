/**
 * Compound types of larpix-control's packet file that h5wasm 0.10.3 cannot create, made the way
 * `vlen-u8.ts` makes VLEN-uint8: create a placeholder of the same encoded size, close the file,
 * rewrite bytes of the new dataset's object header (checksum verified before, recomputed after).
 *
 * - `configs.registers` is `(239,)u1`, an HDF5 *array* member; h5wasm's type builder has no array
 *   case ("data type not supported"). Placeholder: a nested compound `{abc: u1}` (25 encoded bytes,
 *   exactly the size of the array type `u1[239]`), replaced by the array type; the compound size
 *   (datatype message) and the element size in the chunk dimensions (layout message) become 250.
 * - `messages.message` is numpy `S64`: ASCII NULLPAD. h5wasm's ASCII string is NULLTERM; the
 *   padding bits of the member type are changed.
 *
 * Datatype encodings per the HDF5 file format spec, IV.A.2.d (compound and array version 3).
 */
import { RawHdf5Error } from "../errors.js";
import { lookup3 } from "@daqkit/io";
import type { H5Runtime } from "./runtime.js";

const MSG_DATATYPE = 0x03;
const MSG_FILL_VALUE = 0x05;
const MSG_LAYOUT = 0x08;
const CLASS_COMPOUND = 6;
const CLASS_STRING = 3;
const CLASS_ARRAY = 10;
/** Name of the placeholder's only member: 4 bytes with its NUL, so that the placeholder encodes in 25 bytes. */
export const ARRAY_PLACEHOLDER_MEMBER = "abc";

function failure(path: string, message: string, byteOffset?: number): RawHdf5Error {
  return new RawHdf5Error("RAWHDF5_PATCH_FAILED", `rawhdf5: ${path}: ${message}`, { path, byteOffset });
}

interface Message {
  readonly type: number;
  readonly body: number;
  readonly size: number;
}

/** The messages of chunk 0 of a version-2 object header held in `header` (from `OHDR`). */
function chunk0Messages(header: Uint8Array, path: string, address: number): { messages: Message[]; chunkEnd: number } {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (String.fromCharCode(header[0]!, header[1]!, header[2]!, header[3]!) !== "OHDR" || header[4] !== 2) {
    throw failure(path, `expected a version-2 object header at byte ${address}`, address);
  }
  const flags = header[5]!;
  let pos = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
  const sizeBytes = 1 << (flags & 0x03);
  let size = 0;
  for (let i = sizeBytes - 1; i >= 0; i--) size = size * 256 + header[pos + i]!;
  pos += sizeBytes;
  const chunkEnd = pos + size;
  if (chunkEnd + 4 > header.length) throw failure(path, `object header chunk 0 at byte ${address} is longer than read`, address);
  if (lookup3(header.subarray(0, chunkEnd)) !== view.getUint32(chunkEnd, true)) {
    throw failure(path, `object header checksum mismatch at byte ${address}`, address);
  }
  const messageHeader = flags & 0x04 ? 6 : 4;
  const messages: Message[] = [];
  while (pos + messageHeader <= chunkEnd) {
    const type = header[pos]!;
    const length = view.getUint16(pos + 1, true);
    if (header[pos + 3]! & 0x02) throw failure(path, `message ${type} at byte ${address + pos} is shared; cannot patch it`, address + pos);
    messages.push({ type, body: pos + messageHeader, size: length });
    pos += messageHeader + length;
  }
  return { messages, chunkEnd };
}

/** Offset (in `header`) of the type of compound member `name`, and its byte offset in the compound. */
function findMember(header: Uint8Array, datatype: Message, name: string, path: string): { type: number; memberOffset: number } {
  const b = datatype.body;
  if ((header[b]! & 0x0f) !== CLASS_COMPOUND || header[b]! >> 4 !== 3) {
    throw failure(path, `expected a version-3 compound datatype, found class/version byte 0x${header[b]!.toString(16)}`, b);
  }
  const needle = new TextEncoder().encode(`${name}\0`);
  const end = b + datatype.size;
  for (let p = b + 8; p + needle.length < end; p++) {
    if (needle.every((x, i) => header[p + i] === x)) {
      // Version 3 member: NUL-terminated name, then the byte offset in the smallest size that holds
      // the compound's size (1 byte for compounds under 256 bytes), then the member's datatype.
      const compoundSize = new DataView(header.buffer, header.byteOffset).getUint32(b + 4, true);
      if (compoundSize >= 256) throw failure(path, `compound of ${compoundSize} bytes: member offsets are wider than handled`, b);
      return { memberOffset: header[p + needle.length]!, type: p + needle.length + 1 };
    }
  }
  throw failure(path, `no compound member ${JSON.stringify(name)} in the datatype message`, b);
}

/**
 * Patch (in memory) the `configs` placeholder header: member `registers` {abc: u1} → u1[count],
 * compound size and chunk element size to `finalSize`. Returns the bytes to write back (to the checksum's end).
 */
export function patchArrayMemberHeader(
  header: Uint8Array,
  address: number,
  member: string,
  count: number,
  finalSize: number,
  path: string,
): number {
  const { messages, chunkEnd } = chunk0Messages(header, path, address);
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const datatype = messages.find((m) => m.type === MSG_DATATYPE);
  const layout = messages.find((m) => m.type === MSG_LAYOUT);
  const fill = messages.find((m) => m.type === MSG_FILL_VALUE);
  if (!datatype || !layout) throw failure(path, `no datatype or layout message in the object header at byte ${address}`, address);
  const { type: t, memberOffset } = findMember(header, datatype, member, path);
  const oldSize = view.getUint32(datatype.body + 4, true);
  // The placeholder: compound v3 of size 1 with one member "abc" at offset 0 of type u8 (integer v1, 12 bytes).
  const placeholderName = new TextEncoder().encode(`${ARRAY_PLACEHOLDER_MEMBER}\0`);
  const base = t + 8 + placeholderName.length + 1;
  const isPlaceholder =
    header[t] === ((3 << 4) | CLASS_COMPOUND) &&
    view.getUint16(t + 1, true) === 1 &&
    view.getUint32(t + 4, true) === 1 &&
    placeholderName.every((x, i) => header[t + 8 + i] === x) &&
    header[t + 8 + placeholderName.length] === 0 &&
    (header[base]! & 0x0f) === 0 && // integer
    view.getUint32(base + 4, true) === 1 &&
    memberOffset + 1 === oldSize;
  if (!isPlaceholder) throw failure(path, `member ${JSON.stringify(member)} is not the expected {abc: u1} placeholder`, address + t);
  const integer = header.slice(base, base + 12);
  // Array datatype, version 3: class/version, 3 zero class bytes, size; rank; dimension sizes; base type.
  header[t] = (3 << 4) | CLASS_ARRAY;
  header[t + 1] = 0;
  header[t + 2] = 0;
  header[t + 3] = 0;
  view.setUint32(t + 4, count, true);
  header[t + 8] = 1;
  view.setUint32(t + 9, count, true);
  header.set(integer, t + 13); // 8 + 1 + 4 + 12 = 25 bytes, as the placeholder
  view.setUint32(datatype.body + 4, finalSize, true);
  if (fill && fill.size > 2 && (header[fill.body + 1]! & 0x20) !== 0)
    throw failure(path, "the placeholder has a stored fill value", address + fill.body);
  // Layout message version 4, chunked: version, class, flags, rank, dimension encoded length, dims…
  const l = layout.body;
  if (header[l] !== 4 || header[l + 1] !== 2)
    throw failure(path, `expected a version-4 chunked layout, found ${header[l]}/${header[l + 1]}`, address + l);
  const rank = header[l + 3]!;
  const width = header[l + 4]!;
  const last = l + 5 + (rank - 1) * width;
  let element = 0;
  for (let i = width - 1; i >= 0; i--) element = element * 256 + header[last + i]!;
  if (element !== oldSize) throw failure(path, `chunk element size ${element}, expected ${oldSize}`, address + last);
  if (finalSize >= 2 ** (8 * width)) throw failure(path, `element size ${finalSize} does not fit ${width} bytes`, address + last);
  for (let i = 0, v = finalSize; i < width; i++, v = Math.floor(v / 256)) header[last + i] = v & 0xff;
  view.setUint32(chunkEnd, lookup3(header.subarray(0, chunkEnd)), true);
  return chunkEnd + 4;
}

/** Patch (in memory) the padding of string member `member` to NULLPAD (charset kept). */
export function patchStringMemberPadding(header: Uint8Array, address: number, member: string, path: string): number {
  const { messages, chunkEnd } = chunk0Messages(header, path, address);
  const datatype = messages.find((m) => m.type === MSG_DATATYPE);
  if (!datatype) throw failure(path, `no datatype message in the object header at byte ${address}`, address);
  const { type: t } = findMember(header, datatype, member, path);
  if ((header[t]! & 0x0f) !== CLASS_STRING) throw failure(path, `member ${JSON.stringify(member)} is not a string`, address + t);
  header[t + 1] = (header[t + 1]! & 0xf0) | 1; // padding type 1 = NULLPAD
  new DataView(header.buffer, header.byteOffset).setUint32(chunkEnd, lookup3(header.subarray(0, chunkEnd)), true);
  return chunkEnd + 4;
}

/** File address of the object header of `name` in the open file (through an object reference). */
export function objectAddress(rt: H5Runtime, fileId: bigint, name: string): number {
  const ref = rt.module.create_object_reference(fileId, name);
  const bytes = Uint8Array.from(ref as ArrayLike<number>);
  return Number(new DataView(bytes.buffer).getBigUint64(0, true));
}
