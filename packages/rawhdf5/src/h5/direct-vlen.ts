/**
 * A direct (non-HDF5) reader for the `msgs` dataset of a **quiescent** raw file: it parses the
 * superblock (v2/v3), the object headers (v2), the data layout (v4, chunked, extensible-array
 * index, optionally deflate-filtered), the 16-byte VLEN references in the chunks and the global
 * heap collections, and copies the message bytes straight out of the file. It exists because
 * HDF5's own variable-length conversion inside wasm costs about 2 µs per message.
 *
 * It is only an accelerator: any structure it does not recognise, any checksum or signature that
 * does not match, a file that a writer has open (superblock consistency flags) or a file that
 * changed while it was being read (size / mtime) makes it return `null`, and the caller uses the
 * HDF5 path instead. It never throws for file content.
 */
import type { ByteSource } from "@daqkit/io";
import { unzlibSync } from "fflate";
import { lookup3 } from "@daqkit/io";
import type { PackedMessages } from "./vlen-u8.js";

const UNDEFINED = 0xffff_ffff_ffff_ffffn;

class Bail extends Error {}
function bail(): never {
  throw new Bail();
}

/** Synchronous random access to the file's bytes (a Node descriptor, or an io byte source). */
export interface DirectReader {
  readonly size: number;
  /** Up to `length` bytes at `address` (fewer at the end of the file); throws {@link Bail} outside it. */
  read(address: number, length: number): Uint8Array;
  /** Exactly `length` bytes at `address` into `target` at `at`; false when they cannot be read. */
  readInto(target: Uint8Array, at: number, address: number, length: number): boolean;
}

type FileReader = DirectReader;

function u64(view: DataView, at: number): number {
  const v = view.getBigUint64(at, true);
  if (v === UNDEFINED) return -1;
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) bail();
  return Number(v);
}

function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function checkSignature(b: Uint8Array, sig: string): void {
  for (let i = 0; i < 4; i++) if (b[i] !== sig.charCodeAt(i)) bail();
}

/** Verify the lookup3 checksum stored right after `b[0..end)`. */
function checkChecksum(b: Uint8Array, end: number): void {
  if (end + 4 > b.length) bail();
  if (lookup3(b.subarray(0, end)) !== viewOf(b).getUint32(end, true)) bail();
}

interface Message {
  type: number;
  body: Uint8Array;
}

/** All messages of a version-2 object header (following continuation chunks). */
function readObjectHeader(file: FileReader, address: number): Message[] {
  let head = file.read(address, 512);
  checkSignature(head, "OHDR");
  if (head[4] !== 2) bail();
  const flags = head[5]!;
  let pos = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
  const sizeBytes = 1 << (flags & 3);
  const hv = viewOf(head);
  const chunkSize =
    sizeBytes === 1
      ? hv.getUint8(pos)
      : sizeBytes === 2
        ? hv.getUint16(pos, true)
        : sizeBytes === 4
          ? hv.getUint32(pos, true)
          : u64(hv, pos);
  pos += sizeBytes;
  const total = pos + chunkSize + 4;
  if (total > head.length) head = file.read(address, total);
  checkChecksum(head, pos + chunkSize);
  const messages: Message[] = [];
  const creationOrder = flags & 0x04 ? 2 : 0;
  const chunks: Array<[Uint8Array, number, number]> = [[head, pos, pos + chunkSize]];
  while (chunks.length > 0) {
    const [b, start, end] = chunks.shift()!;
    const v = viewOf(b);
    let p = start;
    while (p + 4 + creationOrder <= end) {
      const type = b[p]!;
      const size = v.getUint16(p + 1, true);
      const mflags = b[p + 3]!;
      const body = b.subarray(p + 4 + creationOrder, p + 4 + creationOrder + size);
      if (p + 4 + creationOrder + size > end) bail();
      if (mflags & 0x02) bail(); // shared messages: not in raw files
      if (type === 0x10) {
        const bv = viewOf(body);
        const cAddr = u64(bv, 0);
        const cLen = u64(bv, 8);
        if (cAddr < 0 || cLen < 8) bail();
        const c = file.read(cAddr, cLen);
        checkSignature(c, "OCHK");
        checkChecksum(c, cLen - 4);
        chunks.push([c, 4, cLen - 4]);
      } else {
        messages.push({ type, body });
      }
      p += 4 + creationOrder + size;
    }
  }
  return messages;
}

/** Address of the hard link `name` among the compact link messages of a group header. */
function findLink(messages: Message[], name: string): number {
  for (const m of messages) {
    if (m.type !== 6) continue;
    const b = m.body;
    const v = viewOf(b);
    if (b[0] !== 1) bail();
    const flags = b[1]!;
    let p = 2;
    let linkType = 0;
    if (flags & 0x08) linkType = b[p++]!;
    if (flags & 0x04) p += 8;
    if (flags & 0x10) p++;
    const lenSize = 1 << (flags & 3);
    const nameLength = lenSize === 1 ? b[p]! : lenSize === 2 ? v.getUint16(p, true) : v.getUint32(p, true);
    p += lenSize;
    const linkName = new TextDecoder().decode(b.subarray(p, p + nameLength));
    p += nameLength;
    if (linkName === name) {
      if (linkType !== 0) bail();
      return u64(v, p);
    }
  }
  return bail(); // dense link storage or missing: not handled here
}

interface ChunkIndex {
  rows: number;
  chunkRows: number;
  filtered: boolean;
  eaHeaderAddress: number;
}

function describeDataset(messages: Message[]): ChunkIndex {
  let rows = -1;
  let chunkRows = -1;
  let eaHeaderAddress = -2;
  let filtered = false;
  for (const m of messages) {
    const b = m.body;
    const v = viewOf(b);
    if (m.type === 1) {
      // Dataspace: v1 (8-byte preamble) or v2 (4-byte preamble); rank 1.
      if (b[1] !== 1) bail();
      const at = b[0] === 1 ? 8 : b[0] === 2 ? 4 : bail();
      rows = u64(v, at);
    } else if (m.type === 3) {
      // Datatype: VLEN (class 9) sequence of 1-byte integers.
      if ((b[0]! & 0x0f) !== 9 || (b[1]! & 0x0f) !== 0 || (b[8]! & 0x0f) !== 0 || v.getUint32(12, true) !== 1) bail();
    } else if (m.type === 8) {
      // Layout v4, chunked, extensible-array index.
      if (b[0] !== 4 || b[1] !== 2) bail();
      const dimensionality = b[3]!;
      const encLen = b[4]!;
      if (dimensionality !== 2) bail();
      let p = 5;
      const dim = (at: number): number => {
        let x = 0;
        for (let i = encLen - 1; i >= 0; i--) x = x * 256 + b[at + i]!;
        return x;
      };
      chunkRows = dim(p);
      if (dim(p + encLen) !== 16) bail(); // element size of a VLEN reference
      p += 2 * encLen;
      if (b[p] !== 4) bail(); // extensible array
      p += 1 + 5; // max bits, index elements, min pointers, min elements, page bits
      eaHeaderAddress = u64(v, p);
    } else if (m.type === 11) {
      // Filter pipeline: only deflate (id 1) is handled.
      const version = b[0]!;
      const n = b[1]!;
      if (version !== 2 || n !== 1 || v.getUint16(2, true) !== 1) bail();
      filtered = true;
    }
  }
  if (rows < 0 || chunkRows <= 0 || eaHeaderAddress === -2) bail();
  return { rows, chunkRows, filtered, eaHeaderAddress };
}

interface ChunkEntry {
  address: number;
  size: number;
  filterMask: number;
}

/** Chunk entries 0..nChunks-1 from an extensible array (HDF5 H5EA, version 0). */
function readExtensibleArray(
  file: FileReader,
  headerAddress: number,
  nChunks: number,
  filtered: boolean,
  chunkBytes: number,
): ChunkEntry[] {
  const out: ChunkEntry[] = [];
  if (nChunks === 0) return out;
  if (headerAddress < 0) bail();
  const h = file.read(headerAddress, 4 + 1 + 1 + 6 + 6 * 8 + 8 + 4);
  checkSignature(h, "EAHD");
  if (h[4] !== 0) bail();
  const hv = viewOf(h);
  const clientId = h[5]!;
  const elementSize = h[6]!;
  const maxNelmtsBits = h[7]!;
  const idxBlkElmts = h[8]!;
  const dataBlkMinElmts = h[9]!;
  const supBlkMinDataPtrs = h[10]!;
  const maxDblkPageNelmtsBits = h[11]!;
  const iblockAddress = u64(hv, 12 + 48);
  checkChecksum(h, 12 + 48 + 8);
  if (clientId !== (filtered ? 1 : 0) || iblockAddress < 0) bail();
  const chunkSizeLength = filtered ? elementSize - 12 : 0;
  if (filtered ? chunkSizeLength < 1 || chunkSizeLength > 8 : elementSize !== 8) bail();
  const arrOffSize = Math.floor((maxNelmtsBits + 7) / 8);
  const log2 = (x: number): number => 31 - Math.clz32(x);
  // Super block geometry (H5EA__hdr_init).
  const nsblks = 1 + (maxNelmtsBits - log2(dataBlkMinElmts));
  const sblk: Array<{ ndblks: number; dblkNelmts: number; startIdx: number; startDblk: number }> = [];
  let startIdx = 0;
  let startDblk = 0;
  for (let u = 0; u < nsblks; u++) {
    const ndblks = 2 ** Math.floor(u / 2);
    const dblkNelmts = 2 ** Math.floor((u + 1) / 2) * dataBlkMinElmts;
    sblk.push({ ndblks, dblkNelmts, startIdx, startDblk });
    startIdx += ndblks * dblkNelmts;
    startDblk += ndblks;
  }
  const iblockNsblks = 2 * log2(supBlkMinDataPtrs);
  const ndblkAddrs = 2 * (supBlkMinDataPtrs - 1);
  const nsblkAddrs = nsblks - iblockNsblks;
  const pageNelmts = 2 ** maxDblkPageNelmtsBits;
  const ibSize = 4 + 2 + 8 + idxBlkElmts * elementSize + ndblkAddrs * 8 + nsblkAddrs * 8;
  const ib = file.read(iblockAddress, ibSize + 4);
  checkSignature(ib, "EAIB");
  if (ib[4] !== 0 || ib[5] !== clientId || u64(viewOf(ib), 6) !== headerAddress) bail();
  checkChecksum(ib, ibSize);
  const ibv = viewOf(ib);
  const decode = (b: Uint8Array, at: number): ChunkEntry => {
    const v = viewOf(b);
    const address = u64(v, at);
    if (!filtered) return { address, size: chunkBytes, filterMask: 0 };
    let size = 0;
    for (let i = chunkSizeLength - 1; i >= 0; i--) size = size * 256 + b[at + 8 + i]!;
    return { address, size, filterMask: v.getUint32(at + 8 + chunkSizeLength, true) };
  };
  let p = 14;
  for (let i = 0; i < idxBlkElmts && out.length < nChunks; i++) out.push(decode(ib, p + i * elementSize));
  p += idxBlkElmts * elementSize;
  const dblkAddrs: number[] = [];
  for (let i = 0; i < ndblkAddrs; i++) dblkAddrs.push(u64(ibv, p + i * 8));
  p += ndblkAddrs * 8;
  const sblkAddrs: number[] = [];
  for (let i = 0; i < nsblkAddrs; i++) sblkAddrs.push(u64(ibv, p + i * 8));

  const readDataBlock = (address: number, nelmts: number, pageInit: Uint8Array | null): void => {
    if (address < 0) bail();
    const prefix = 4 + 2 + 8 + arrOffSize;
    const want = Math.min(nelmts, nChunks - out.length);
    if (nelmts > pageNelmts) {
      // Paged data block: prefix + checksum, then pages of pageNelmts elements + checksum each.
      const head = file.read(address, prefix + 4);
      checkSignature(head, "EADB");
      checkChecksum(head, prefix);
      const npages = Math.ceil(nelmts / pageNelmts);
      for (let pg = 0; pg < npages && out.length < nChunks; pg++) {
        if (pageInit && !(pageInit[pg >> 3]! & (0x80 >> (pg & 7)))) bail(); // uninitialised page
        const page = file.read(address + prefix + 4 + pg * (pageNelmts * elementSize + 4), pageNelmts * elementSize + 4);
        checkChecksum(page, pageNelmts * elementSize);
        for (let i = 0; i < pageNelmts && out.length < nChunks; i++) out.push(decode(page, i * elementSize));
      }
      return;
    }
    const b = file.read(address, prefix + nelmts * elementSize + 4);
    checkSignature(b, "EADB");
    if (b[4] !== 0 || b[5] !== clientId || u64(viewOf(b), 6) !== headerAddress) bail();
    checkChecksum(b, prefix + nelmts * elementSize);
    for (let i = 0; i < want; i++) out.push(decode(b, prefix + i * elementSize));
  };

  let s = 0;
  let dblkIndex = 0;
  while (out.length < nChunks) {
    if (s >= nsblks) bail();
    const info = sblk[s]!;
    if (s < iblockNsblks) {
      for (let d = 0; d < info.ndblks && out.length < nChunks; d++) {
        readDataBlock(dblkAddrs[dblkIndex]!, info.dblkNelmts, null);
        dblkIndex++;
      }
    } else {
      const sAddr = sblkAddrs[s - iblockNsblks]!;
      if (sAddr < 0) bail();
      const paged = info.dblkNelmts > pageNelmts;
      const pageInitSize = paged ? Math.ceil(info.dblkNelmts / pageNelmts / 8) : 0;
      const sbSize = 4 + 2 + 8 + arrOffSize + info.ndblks * pageInitSize + info.ndblks * 8;
      const sb = file.read(sAddr, sbSize + 4);
      checkSignature(sb, "EASB");
      if (sb[4] !== 0 || sb[5] !== clientId || u64(viewOf(sb), 6) !== headerAddress) bail();
      checkChecksum(sb, sbSize);
      const base = 14 + arrOffSize;
      const addrsAt = base + info.ndblks * pageInitSize;
      for (let d = 0; d < info.ndblks && out.length < nChunks; d++) {
        const pageInit = paged ? sb.subarray(base + d * pageInitSize, base + (d + 1) * pageInitSize) : null;
        readDataBlock(u64(viewOf(sb), addrsAt + d * 8), info.dblkNelmts, pageInit);
      }
    }
    s++;
  }
  return out;
}

/** An 8-byte little-endian file address as a number, without a BigInt (hot path). */
function address64(view: DataView, at: number): number {
  const lo = view.getUint32(at, true);
  const hi = view.getUint32(at + 4, true);
  if (hi > 0x1fffff) bail(); // undefined address or beyond 2^53
  return hi * 0x1_0000_0000 + lo;
}

/**
 * Parse the global heap collection at `region[at..]`: fills `objectOffsets[index]` (offset of the
 * object data in `region`) and `objectSizes[index]` for every object. Returns the collection size.
 */
function parseCollection(region: Uint8Array, view: DataView, at: number, objectOffsets: Map<number, Float64Array>, address: number): void {
  if (at + 16 > region.length) bail();
  if (region[at] !== 0x47 || region[at + 1] !== 0x43 || region[at + 2] !== 0x4f || region[at + 3] !== 0x4c || region[at + 4] !== 1) bail(); // "GCOL" v1
  const size = address64(view, at + 8);
  if (size < 16 || at + size > region.length) bail();
  // Objects: u16 index, u16 refcount, 4 reserved, u64 size, data padded to 8 bytes; index 0 = free space.
  const entries: number[] = [];
  let p = at + 16;
  let maxIndex = 0;
  while (p + 16 <= at + size) {
    const index = view.getUint16(p, true);
    if (index === 0) break;
    const objSize = address64(view, p + 8);
    if (p + 16 + objSize > at + size) bail();
    entries.push(index, p + 16, objSize);
    if (index > maxIndex) maxIndex = index;
    p += 16 + Math.ceil(objSize / 8) * 8;
  }
  // table[2*index] = offset in region, table[2*index+1] = size (-1: no such object)
  const table = new Float64Array(2 * (maxIndex + 1)).fill(-1);
  for (let i = 0; i < entries.length; i += 3) {
    table[2 * entries[i]!] = entries[i + 1]!;
    table[2 * entries[i]! + 1] = entries[i + 2]!;
  }
  objectOffsets.set(address, table);
}

/**
 * Read rows `[start, start + count)` of the VLEN-uint8 dataset `name` of a quiescent raw file
 * directly through `file`. Returns null whenever the fast path does not apply (the caller then uses HDF5).
 *
 * @param expectedRows the dataset length HDF5 reported; a different length on disk means a writer
 *   touched the file
 */
export function readVlenU8DirectFrom(
  file: DirectReader,
  name: string,
  start: number,
  count: number,
  expectedRows: number,
): PackedMessages | null {
  try {
    const size = file.size;
    // Superblock v2/v3 at offset 0 (no user block), 8-byte offsets and lengths, no writer attached.
    const sb = file.read(0, 48);
    const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
    for (let i = 0; i < 8; i++) if (sb[i] !== sig[i]) bail();
    if ((sb[8] !== 2 && sb[8] !== 3) || sb[9] !== 8 || sb[10] !== 8) bail();
    if (sb[11] !== 0) bail(); // consistency flags: a writer has the file open
    checkChecksum(sb, 44);
    const sbv = viewOf(sb);
    if (u64(sbv, 12) !== 0) bail(); // base address
    const root = u64(sbv, 36);
    const dataset = findLink(readObjectHeader(file, root), name.replace(/^\//, ""));
    const index = describeDataset(readObjectHeader(file, dataset));
    if (index.rows !== expectedRows || start < 0 || start + count > index.rows) bail();
    const chunkBytes = index.chunkRows * 16;
    const firstChunk = Math.floor(start / index.chunkRows);
    const lastChunk = count === 0 ? firstChunk : Math.floor((start + count - 1) / index.chunkRows);
    const entries = count === 0 ? [] : readExtensibleArray(file, index.eaHeaderAddress, lastChunk + 1, index.filtered, chunkBytes);
    const refs = new Uint8Array(count * 16);
    for (let c = firstChunk; c <= lastChunk && count > 0; c++) {
      const e = entries[c]!;
      if (e.address < 0) bail();
      let chunk = file.read(e.address, e.size);
      if (index.filtered && (e.filterMask & 1) === 0) {
        try {
          chunk = unzlibSync(chunk);
        } catch {
          bail();
        }
      }
      if (chunk.length !== chunkBytes) bail();
      const rowFrom = Math.max(start, c * index.chunkRows);
      const rowTo = Math.min(start + count, (c + 1) * index.chunkRows);
      refs.set(chunk.subarray((rowFrom - c * index.chunkRows) * 16, (rowTo - c * index.chunkRows) * 16), (rowFrom - start) * 16);
    }
    const rv = viewOf(refs);
    const offsets = new Float64Array(count + 1);
    let total = 0;
    for (let i = 0; i < count; i++) {
      offsets[i] = total;
      total += rv.getUint32(i * 16, true);
    }
    offsets[count] = total;
    // Collections holding the selected messages; read as one region when they lie close together.
    const sourceAt = new Float64Array(count);
    let lo = Number.POSITIVE_INFINITY;
    let hi = 0;
    for (let i = 0; i < count; i++) {
      if (offsets[i + 1]! === offsets[i]!) continue;
      const a = address64(rv, i * 16 + 4);
      sourceAt[i] = a;
      if (a < lo) lo = a;
      if (a > hi) hi = a;
    }
    let bytes: Uint8Array;
    if (total === 0) bytes = new Uint8Array(0);
    else {
      // Collections are ≥ 4 KiB and usually < 64 KiB; one starting near `hi` that extends past
      // the region is read on its own (collectionAt).
      const spanEnd = Math.min(size, hi + (64 << 10));
      // The region gets `total` spare bytes at its end: messages are gathered there with
      // copyWithin (native, no object per message), whatever their order in the file.
      let region: Uint8Array | null = null;
      const span = spanEnd - lo;
      if (span <= 3 * total + (4 << 20)) {
        region = new Uint8Array(span + total);
        if (!file.readInto(region, 0, lo, span)) bail();
      }
      const tables = new Map<number, Float64Array>();
      const regionOf = new Map<number, [Uint8Array, DataView, number]>(); // collection → buffer, view, base offset
      // Consecutive messages almost always share a collection: remember the last one.
      let lastAddress = -1;
      let lastTable: Float64Array = new Float64Array(0);
      let lastBuffer: Uint8Array = new Uint8Array(0);
      const collectionAt = (address: number): void => {
        if (address === lastAddress) return;
        let table = tables.get(address);
        let where = regionOf.get(address);
        if (!table || !where) {
          if (region && address - lo + 16 <= span && viewOf(region).getUint32(address - lo + 8, true) + (address - lo) <= span) {
            where = [region, viewOf(region), address - lo];
          } else {
            let b = file.read(address, 4096);
            const sz = address64(viewOf(b), 8);
            if (sz > b.length) b = file.read(address, sz);
            where = [b, viewOf(b), 0];
          }
          regionOf.set(address, where);
          parseCollection(where[0], where[1], where[2], tables, address);
          table = tables.get(address)!;
        }
        lastAddress = address;
        lastTable = table;
        lastBuffer = where[0];
      };
      // Source offset of every message in its collection's buffer.
      const src = new Float64Array(count);
      let sameRegion = region !== null;
      for (let i = 0; i < count; i++) {
        const n = offsets[i + 1]! - offsets[i]!;
        if (n === 0) continue;
        const objectIndex = rv.getUint32(i * 16 + 12, true);
        collectionAt(sourceAt[i]!);
        const table = lastTable;
        if (2 * objectIndex + 1 >= table.length || table[2 * objectIndex + 1] !== n) bail();
        const at = table[2 * objectIndex]!;
        if (lastBuffer !== region) sameRegion = false;
        src[i] = at;
      }
      if (sameRegion && region) {
        for (let i = 0; i < count; i++) {
          const n = offsets[i + 1]! - offsets[i]!;
          if (n > 0) region.copyWithin(span + offsets[i]!, src[i]!, src[i]! + n);
        }
        bytes = region.slice(span, span + total); // release the region
      } else {
        bytes = new Uint8Array(total);
        for (let i = 0; i < count; i++) {
          const n = offsets[i + 1]! - offsets[i]!;
          if (n === 0) continue;
          collectionAt(sourceAt[i]!);
          bytes.set(lastBuffer.subarray(src[i]!, src[i]! + n), offsets[i]!);
        }
      }
    }
    // The superblock is read again: its EOF address moves with every allocation, its flags with
    // every writer open (callers on live files also compare file times around the read).
    const sbAfter = file.read(0, 48);
    for (let i = 0; i < 48; i++) if (sbAfter[i] !== sb[i]) bail();
    return { bytes, offsets };
  } catch {
    // Bail or any other surprise: the caller uses HDF5.
    return null;
  }
}

/**
 * The direct reader over an io byte source with `readSync` (bytes, a Node file source, a `Blob` in
 * a Web Worker): what the platform-neutral readers use. Null when it does not apply.
 */
export function readVlenU8DirectSource(
  source: ByteSource,
  name: string,
  start: number,
  count: number,
  expectedRows: number,
): PackedMessages | null {
  const readSync = source.readSync?.bind(source);
  if (!readSync) return null;
  const size = source.size;
  return readVlenU8DirectFrom(
    {
      size,
      read(address, length) {
        if (address < 0 || address >= size) bail();
        try {
          return readSync(address, Math.min(length, size - address));
        } catch {
          bail();
        }
      },
      readInto(target, at, address, length) {
        if (address < 0 || address + length > size) return false;
        try {
          target.set(readSync(address, length), at);
          return true;
        } catch {
          return false;
        }
      },
    },
    name,
    start,
    count,
    expectedRows,
  );
}
