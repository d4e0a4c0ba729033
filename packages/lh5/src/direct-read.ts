/**
 * Direct reads of numeric datasets: the raw data bytes go from the byte source straight into the
 * output typed array (one copy), with no HDF5 library in between. The dataset's object header is
 * parsed with the fast metadata path (`fast-links`), its chunk index walked here (HDF5 file format
 * spec 3.0, III.A–B, IV.A.2.i): contiguous and compact storage; chunked storage indexed by a version-1
 * B-tree (layout v3), or (layout v4) a single chunk, an implicit index, a fixed array or an
 * extensible array; filters deflate (where the platform gives an inflater) and shuffle.
 *
 * It is only an accelerator. Anything it does not recognise — big-endian or non-IEEE elements, other
 * filters (zstd, lz4, fletcher32 …), version-2 B-tree indexes, chunks that split a row, a checksum
 * or signature that does not match, a chunk never written (fill value), a read error — makes it give
 * up (`null`), and the caller reads through h5wasm as before, which also reports damage with its
 * own coded errors.
 */
import { type ByteSource, lookup3 } from "@daqkit/io";
import type { Metadata } from "h5wasm";
import type { Lh5Links } from "./fast-links.js";
import type { Ranges } from "./selection.js";
import type { NumericArray } from "./types.js";

/** Inflate a zlib stream of `expectedSize` decoded bytes (Node: `zlib.inflateSync`). */
export type Inflate = (input: Uint8Array, expectedSize: number) => Uint8Array;

/** Inflate a zlib stream off the calling thread (Node: `zlib.inflate` on libuv's thread pool). */
export type InflateAsync = (input: Uint8Array, expectedSize: number) => Promise<Uint8Array>;

/** Positioned reads into caller memory that may run several at once (Node: `fs.read` on the thread pool). */
export interface AsyncReads {
  readInto(offset: number, target: Uint8Array): Promise<void>;
  inflate?: InflateAsync;
  signal?: AbortSignal;
  /** Largest single read of unfiltered bytes (default 4 MiB). */
  partBytes?: number;
}

/**
 * Bytes by which an inflater's output buffer may exceed the decoded size and still be kept as a
 * whole-chunk read's result (Node's zlib is given one byte more than it will write, see node.ts).
 */
export const INFLATE_SLACK = 1;

/** A source the direct reader can read synchronously. */
export type DirectSource = ByteSource & { readSync(offset: number, length: number): Uint8Array };

class Bail extends Error {}
function bail(why: string): never {
  throw new Bail(why);
}

const FILTER_DEFLATE = 1;
const FILTER_SHUFFLE = 2;
/** Pieces of at least this many bytes are read straight from the file into the output. */
const DIRECT_PIECE_BYTES = 64 * 1024;
/** Contiguous storage is read in windows of this many bytes when the selection is scattered. */
const CONTIGUOUS_WINDOW_BYTES = 1024 * 1024;
/** Reads or chunk decodes in flight at once (libuv's thread pool has 4 threads by default). */
const ASYNC_IN_FLIGHT = 4;
/** {@link DirectReader.readAsync}: default largest single read of unfiltered bytes. */
const ASYNC_PART_BYTES = 4 * 1024 * 1024;
/** Parts of at least this size are cut on multiples of it (whole pages of the output). */
const ASYNC_PART_ALIGN = 64 * 1024;
/** Deepest version-1 B-tree followed. */
const MAX_BTREE_DEPTH = 32;

/** Where each chunk of a dataset lies (a chunk holds `chunkRows` whole rows). */
export interface DirectLayout {
  readonly rows: number;
  readonly rowBytes: number;
  readonly chunkRows: number;
  /** Stored rows of chunk `c` are rows `[c·chunkRows, min((c+1)·chunkRows, rows))`; contiguous: true. */
  readonly contiguous: boolean;
  /** Per chunk: file address (-1 = never written), stored size in bytes, filter mask. */
  readonly addresses: Float64Array;
  readonly sizes: Float64Array;
  readonly masks: Uint32Array;
  /** Compact storage: the data itself. */
  readonly compact?: Uint8Array;
  /** Filter ids in pipeline order (deflate, shuffle); empty when unfiltered. */
  readonly filters: readonly number[];
  readonly elementSize: number;
}

function le(b: Uint8Array, p: number, size: number): number {
  if (p + size > b.length) bail("truncated message");
  let v = 0;
  let all = true;
  for (let i = size - 1; i >= 0; i--) {
    const x = b[p + i] as number;
    if (x !== 0xff) all = false;
    v = v * 256 + x;
  }
  if (all && size >= 4) return -1;
  if (v > Number.MAX_SAFE_INTEGER) bail("integer beyond 2^53");
  return v;
}

function checkSignature(b: Uint8Array, p: number, sig: string): void {
  for (let i = 0; i < 4; i++) if (b[p + i] !== sig.charCodeAt(i)) bail(`no ${sig} signature`);
}

function checkChecksum(b: Uint8Array, end: number): void {
  if (lookup3(b.subarray(0, end)) !== le(b, end, 4) >>> 0) bail("checksum mismatch");
}

const log2 = (x: number): number => 31 - Math.clz32(x);

interface Geometry {
  readonly O: number;
  readonly L: number;
}

/** Check the datatype message against h5wasm's metadata: a little-endian integer or IEEE float. */
function checkDatatype(b: Uint8Array, meta: Metadata): void {
  const cls = (b[0] as number) & 0x0f;
  const version = (b[0] as number) >> 4;
  if (version < 1 || version > 4) bail("datatype version");
  const size = le(b, 4, 4);
  if (size !== meta.size || cls !== meta.type) bail("datatype differs from HDF5's");
  const bits0 = b[1] as number;
  if (cls === 0) {
    if ((bits0 & 0x01) !== 0) bail("big-endian integer");
    if (le(b, 8, 2) !== 0 || le(b, 10, 2) !== size * 8) bail("integer with padding bits");
    return;
  }
  if (cls !== 1) bail("not a number");
  if ((bits0 & 0x41) !== 0) bail("not a little-endian float");
  if (((bits0 >> 4) & 3) !== 2) bail("float mantissa normalisation");
  const ieee = size === 8 ? [63, 0, 64, 52, 11, 0, 52, 1023] : size === 4 ? [31, 0, 32, 23, 8, 0, 23, 127] : bail(`float of ${size} bytes`);
  const got = [b[2], le(b, 8, 2), le(b, 10, 2), b[12], b[13], b[14], b[15], le(b, 16, 4)];
  for (let i = 0; i < ieee.length; i++) if (got[i] !== ieee[i]) bail("not an IEEE float");
}

/** Dimensions from a dataspace message (versions 1 and 2). */
function dataspaceDims(b: Uint8Array, g: Geometry): number[] {
  const version = b[0];
  const rank = b[1] as number;
  if (version === 2 && b[3] !== 1) bail("dataspace is not simple");
  const first = version === 1 ? 8 : version === 2 ? 4 : bail("dataspace version");
  const dims: number[] = [];
  for (let d = 0; d < rank; d++) dims.push(le(b, first + d * g.L, g.L));
  return dims;
}

/** Filter ids of a filter pipeline message (versions 1 and 2). */
function pipelineFilters(b: Uint8Array): number[] {
  const version = b[0];
  const n = b[1] as number;
  let p = version === 1 ? 8 : version === 2 ? 2 : bail("filter pipeline version");
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = le(b, p, 2);
    let nameLength = 0;
    if (version === 1 || id >= 256) {
      nameLength = le(b, p + 2, 2);
      p += 2;
    }
    const nValues = le(b, p + 4, 2);
    p += 6;
    p += version === 1 ? (nameLength + 7) & ~7 : nameLength;
    p += 4 * nValues + (version === 1 && nValues % 2 === 1 ? 4 : 0);
    if (p > b.length) bail("truncated filter pipeline");
    out.push(id);
  }
  return out;
}

/** Chunk table being filled. */
class Chunks {
  readonly addresses: Float64Array;
  readonly sizes: Float64Array;
  readonly masks: Uint32Array;
  constructor(n: number, chunkBytes: number) {
    this.addresses = new Float64Array(n).fill(-1);
    this.sizes = new Float64Array(n).fill(chunkBytes);
    this.masks = new Uint32Array(n);
  }
}

/**
 * Decode one index element (fixed/extensible array): address, and for filtered datasets the
 * stored size and the filter mask.
 */
function putElement(chunks: Chunks, c: number, b: Uint8Array, p: number, g: Geometry, filtered: boolean, sizeLength: number): void {
  if (c >= chunks.addresses.length) return;
  chunks.addresses[c] = le(b, p, g.O);
  if (filtered) {
    chunks.sizes[c] = le(b, p + g.O, sizeLength);
    chunks.masks[c] = le(b, p + g.O + sizeLength, 4) >>> 0;
  }
}

function readV1Btree(src: DirectSource, g: Geometry, root: number, rank: number, chunkRows: number, chunks: Chunks): void {
  const keySize = 8 + 8 * (rank + 1);
  const seen = new Set<number>();
  const visit = (node: number, depth: number): void => {
    if (depth > MAX_BTREE_DEPTH || seen.has(node)) bail("v1 B-tree cycle or depth");
    seen.add(node);
    const head = src.readSync(node, 8 + 2 * g.O);
    checkSignature(head, 0, "TREE");
    if (head[4] !== 1) bail("not a chunk B-tree");
    const level = head[5] as number;
    const used = le(head, 6, 2);
    const b = src.readSync(node + 8 + 2 * g.O, used * (keySize + g.O) + keySize);
    for (let i = 0; i < used; i++) {
      const k = i * (keySize + g.O);
      const child = le(b, k + keySize, g.O);
      if (level > 0) {
        visit(child, depth + 1);
        continue;
      }
      const row = le(b, k + 8, 8);
      for (let d = 1; d < rank; d++) if (le(b, k + 8 + 8 * d, 8) !== 0) bail("chunk splits a row");
      if (row % chunkRows !== 0) bail("misaligned chunk");
      const c = row / chunkRows;
      if (c >= chunks.addresses.length) continue;
      chunks.addresses[c] = child;
      chunks.sizes[c] = le(b, k, 4);
      chunks.masks[c] = le(b, k + 4, 4) >>> 0;
    }
  };
  if (root >= 0) visit(root, 0);
}

function readFixedArray(src: DirectSource, g: Geometry, address: number, filtered: boolean, chunks: Chunks): void {
  const h = src.readSync(address, 8 + g.L + g.O + 4);
  checkSignature(h, 0, "FAHD");
  if (h[4] !== 0 || h[5] !== (filtered ? 1 : 0)) bail("fixed array version / client");
  const elementSize = h[6] as number;
  const pageBits = h[7] as number;
  const nelmts = le(h, 8, g.L);
  const dblk = le(h, 8 + g.L, g.O);
  checkChecksum(h, 8 + g.L + g.O);
  const sizeLength = elementSize - g.O - 4;
  if (filtered ? sizeLength < 1 || sizeLength > 8 : elementSize !== g.O) bail("fixed array element size");
  if (nelmts === 0 || dblk < 0) return;
  const pageNelmts = 2 ** pageBits;
  const prefix = 6 + g.O;
  if (nelmts <= pageNelmts) {
    const b = src.readSync(dblk, prefix + nelmts * elementSize + 4);
    checkSignature(b, 0, "FADB");
    checkChecksum(b, prefix + nelmts * elementSize);
    for (let i = 0; i < nelmts; i++) putElement(chunks, i, b, prefix + i * elementSize, g, filtered, sizeLength);
    return;
  }
  const npages = Math.ceil(nelmts / pageNelmts);
  const bitmapSize = Math.ceil(npages / 8);
  const head = src.readSync(dblk, prefix + bitmapSize + 4);
  checkSignature(head, 0, "FADB");
  checkChecksum(head, prefix + bitmapSize);
  let at = dblk + prefix + bitmapSize + 4;
  for (let pg = 0; pg < npages; pg++) {
    const n = Math.min(pageNelmts, nelmts - pg * pageNelmts);
    const first = pg * pageNelmts;
    if (first < chunks.addresses.length && ((head[prefix + (pg >> 3)] as number) & (0x80 >> (pg & 7))) !== 0) {
      const page = src.readSync(at, n * elementSize + 4);
      checkChecksum(page, n * elementSize);
      for (let i = 0; i < n; i++) putElement(chunks, first + i, page, i * elementSize, g, filtered, sizeLength);
    }
    at += n * elementSize + 4;
  }
}

function readExtensibleArray(src: DirectSource, g: Geometry, address: number, filtered: boolean, chunks: Chunks): void {
  const nChunks = chunks.addresses.length;
  const h = src.readSync(address, 12 + 6 * g.L + g.O + 4);
  checkSignature(h, 0, "EAHD");
  if (h[4] !== 0 || h[5] !== (filtered ? 1 : 0)) bail("extensible array version / client");
  const elementSize = h[6] as number;
  const maxNelmtsBits = h[7] as number;
  const idxBlkElmts = h[8] as number;
  const dataBlkMinElmts = h[9] as number;
  const supBlkMinDataPtrs = h[10] as number;
  const pageBits = h[11] as number;
  const iblock = le(h, 12 + 6 * g.L, g.O);
  checkChecksum(h, 12 + 6 * g.L + g.O);
  const sizeLength = elementSize - g.O - 4;
  if (filtered ? sizeLength < 1 || sizeLength > 8 : elementSize !== g.O) bail("extensible array element size");
  if (iblock < 0 || dataBlkMinElmts === 0 || supBlkMinDataPtrs === 0) return;
  const arrOffSize = Math.floor((maxNelmtsBits + 7) / 8);
  // Super block geometry (how HDF5's H5EA header lays out the element index space).
  const nsblks = 1 + (maxNelmtsBits - log2(dataBlkMinElmts));
  const sblkNdblks: number[] = [];
  const sblkNelmts: number[] = [];
  for (let u = 0; u < nsblks; u++) {
    sblkNdblks.push(2 ** Math.floor(u / 2));
    sblkNelmts.push(2 ** Math.floor((u + 1) / 2) * dataBlkMinElmts);
  }
  const iblockNsblks = 2 * log2(supBlkMinDataPtrs);
  const ndblkAddrs = 2 * (supBlkMinDataPtrs - 1);
  const nsblkAddrs = nsblks - iblockNsblks;
  const pageNelmts = 2 ** pageBits;
  const ibEnd = 6 + g.O + idxBlkElmts * elementSize + (ndblkAddrs + nsblkAddrs) * g.O;
  const ib = src.readSync(iblock, ibEnd + 4);
  checkSignature(ib, 0, "EAIB");
  if (le(ib, 6, g.O) !== address) bail("index block of another array");
  checkChecksum(ib, ibEnd);
  let p = 6 + g.O;
  for (let i = 0; i < idxBlkElmts; i++) putElement(chunks, i, ib, p + i * elementSize, g, filtered, sizeLength);
  p += idxBlkElmts * elementSize;
  const dblkAt = p;
  const sblkAt = p + ndblkAddrs * g.O;

  // pageInit: the super block's page bitmap, one bit per page of its data blocks in order, from bit `pageBit`.
  const dataBlock = (dblk: number, first: number, nelmts: number, pageInit: Uint8Array | null, pageBit: number): void => {
    if (dblk < 0) return; // never written: the chunks stay unallocated
    const prefix = 6 + g.O + arrOffSize;
    if (nelmts <= pageNelmts) {
      const n = Math.min(nelmts, nChunks - first);
      const b = src.readSync(dblk, prefix + nelmts * elementSize + 4);
      checkSignature(b, 0, "EADB");
      if (le(b, 6, g.O) !== address) bail("data block of another array");
      checkChecksum(b, prefix + nelmts * elementSize);
      for (let i = 0; i < n; i++) putElement(chunks, first + i, b, prefix + i * elementSize, g, filtered, sizeLength);
      return;
    }
    const head = src.readSync(dblk, prefix + 4);
    checkSignature(head, 0, "EADB");
    checkChecksum(head, prefix);
    const npages = nelmts / pageNelmts;
    for (let pg = 0; pg < npages && first + pg * pageNelmts < nChunks; pg++) {
      const bit = pageBit + pg;
      if (pageInit && ((pageInit[bit >> 3] as number) & (0x80 >> (bit & 7))) === 0) continue;
      const page = src.readSync(dblk + prefix + 4 + pg * (pageNelmts * elementSize + 4), pageNelmts * elementSize + 4);
      checkChecksum(page, pageNelmts * elementSize);
      for (let i = 0; i < pageNelmts; i++) putElement(chunks, first + pg * pageNelmts + i, page, i * elementSize, g, filtered, sizeLength);
    }
  };

  let first = idxBlkElmts;
  let dblkIndex = 0;
  for (let s = 0; s < nsblks && first < nChunks; s++) {
    const ndblks = sblkNdblks[s] as number;
    const nelmts = sblkNelmts[s] as number;
    if (s < iblockNsblks) {
      for (let d = 0; d < ndblks && first < nChunks; d++) {
        dataBlock(le(ib, dblkAt + dblkIndex * g.O, g.O), first, nelmts, null, 0);
        dblkIndex++;
        first += nelmts;
      }
      continue;
    }
    const sblk = le(ib, sblkAt + (s - iblockNsblks) * g.O, g.O);
    if (sblk < 0) {
      first += ndblks * nelmts;
      continue;
    }
    const paged = nelmts > pageNelmts;
    const npages = nelmts / pageNelmts;
    // HDF5 sizes the bitmap as one byte-rounded run per data block but indexes it as one bit array.
    const pageInitSize = paged ? Math.ceil(npages / 8) : 0;
    const base = 6 + g.O + arrOffSize;
    const sbEnd = base + ndblks * pageInitSize + ndblks * g.O;
    const sb = src.readSync(sblk, sbEnd + 4);
    checkSignature(sb, 0, "EASB");
    if (le(sb, 6, g.O) !== address) bail("super block of another array");
    checkChecksum(sb, sbEnd);
    for (let d = 0; d < ndblks && first < nChunks; d++) {
      const pageInit = paged ? sb.subarray(base, base + ndblks * pageInitSize) : null;
      dataBlock(le(sb, base + ndblks * pageInitSize + d * g.O, g.O), first, nelmts, pageInit, d * npages);
      first += nelmts;
    }
  }
}

/** Parse the storage of the dataset at `path`; throws {@link Bail} for anything not handled. */
/**
 * Parse the storage of the dataset at `path`; throws {@link Bail} for anything not handled. With
 * `given` (h5wasm's metadata) the header must agree with it; without, the metadata the readers use
 * (class, size, sign, shape) is taken from the header.
 */
function parseLayout(links: Lh5Links, src: DirectSource, path: string, given?: Metadata): { layout: DirectLayout; meta: Metadata } {
  const info = links.objectMessages(path);
  if (!info) bail("object not found");
  const g: Geometry = { O: info.offsetSize, L: info.lengthSize };
  const message = (type: number): Uint8Array | undefined => {
    const found = info.messages.filter((m) => m.type === type);
    if (found.length > 1) bail(`${found.length} messages of type ${type}`);
    if (found[0] && (found[0].flags & 0x02) !== 0) bail("shared message");
    return found[0]?.bytes;
  };
  if (message(0x07)) bail("external storage");
  const datatype = message(0x03) ?? bail("no datatype message");
  const dataspace = message(0x01) ?? bail("no dataspace message");
  const layout = message(0x08) ?? bail("no layout message");
  const pipeline = message(0x0b);
  const dims = dataspaceDims(dataspace, g);
  const meta = given ?? headerMeta(datatype, dims);
  checkDatatype(datatype, meta);
  const shape = meta.shape ?? [];
  if (dims.length === 0 || dims.length !== shape.length || dims.some((d, i) => d !== shape[i])) bail("shape differs from HDF5's");
  const rows = dims[0] as number;
  const rowWidth = dims.slice(1).reduce((a, b) => a * b, 1);
  const elementSize = meta.size;
  const rowBytes = rowWidth * elementSize;
  if (rowBytes === 0) bail("empty rows");
  const filters = pipeline ? pipelineFilters(pipeline) : [];
  for (const f of filters) if (f !== FILTER_DEFLATE && f !== FILTER_SHUFFLE) bail(`filter ${f}`);
  const version = layout[0] as number;
  if (version !== 3 && version !== 4) bail(`layout version ${version}`);
  const cls = layout[1];
  const empty = { addresses: new Float64Array(0), sizes: new Float64Array(0), masks: new Uint32Array(0) };
  if (cls === 0) {
    const size = le(layout, 2, 2);
    if (size < rows * rowBytes || 4 + size > layout.length) bail("compact data size");
    return {
      meta,
      layout: {
        rows,
        rowBytes,
        chunkRows: Math.max(1, rows),
        contiguous: true,
        ...empty,
        compact: layout.subarray(4, 4 + size),
        filters,
        elementSize,
      },
    };
  }
  if (cls === 1) {
    if (filters.length > 0) bail("filtered contiguous dataset");
    const address = le(layout, 2, g.O);
    const size = le(layout, 2 + g.O, g.L);
    if (address < 0 || size < rows * rowBytes || address + rows * rowBytes > src.size) bail("contiguous storage outside the file");
    // Windows of whole rows, so that a scattered selection reads a window at a time.
    const chunkRows = Math.max(1, Math.floor(CONTIGUOUS_WINDOW_BYTES / rowBytes));
    const n = Math.ceil(rows / chunkRows);
    const chunks = new Chunks(n, chunkRows * rowBytes);
    for (let c = 0; c < n; c++) {
      chunks.addresses[c] = address + c * chunkRows * rowBytes;
      chunks.sizes[c] = Math.min(chunkRows, rows - c * chunkRows) * rowBytes;
    }
    return { meta, layout: { rows, rowBytes, chunkRows, contiguous: true, ...chunks, filters, elementSize } };
  }
  if (cls !== 2) bail(`layout class ${cls}`);
  // Chunked: dimensions of a chunk (rank + 1 of them, the last being the element size).
  let ndims: number;
  let p: number;
  let dimBytes: number;
  let flags = 0;
  if (version === 3) {
    ndims = layout[2] as number;
    p = 3 + g.O;
    dimBytes = 4;
  } else {
    flags = layout[2] as number;
    ndims = layout[3] as number;
    dimBytes = layout[4] as number;
    p = 5;
  }
  if (ndims !== dims.length + 1) bail("chunk rank");
  const chunkDims: number[] = [];
  for (let d = 0; d < ndims; d++) chunkDims.push(le(layout, p + d * dimBytes, dimBytes));
  p += ndims * dimBytes;
  if (chunkDims[ndims - 1] !== elementSize) bail("chunk element size");
  for (let d = 1; d < dims.length; d++) if (chunkDims[d] !== dims[d]) bail("chunks split rows");
  const chunkRows = chunkDims[0] as number;
  if (chunkRows < 1) bail("chunk rows");
  const chunkBytes = chunkRows * rowBytes;
  const n = Math.ceil(rows / chunkRows);
  const chunks = new Chunks(n, chunkBytes);
  const filtered = filters.length > 0;
  if (version === 3) {
    readV1Btree(src, g, le(layout, 3, g.O), dims.length, chunkRows, chunks);
  } else {
    const indexType = layout[p];
    p += 1;
    if (indexType === 1) {
      // Single chunk.
      if (flags & 0x02) {
        chunks.sizes[0] = le(layout, p, g.L);
        chunks.masks[0] = le(layout, p + g.L, 4) >>> 0;
        p += g.L + 4;
      } else if (filtered) bail("filtered single chunk without its size");
      if (n > 1) bail("single-chunk index of several chunks");
      if (n === 1) chunks.addresses[0] = le(layout, p, g.O);
    } else if (indexType === 2) {
      // Implicit: chunks stored back to back.
      if (filtered) bail("filtered implicit index");
      const base = le(layout, p, g.O);
      if (base >= 0) for (let c = 0; c < n; c++) chunks.addresses[c] = base + c * chunkBytes;
    } else if (indexType === 3) {
      readFixedArray(src, g, le(layout, p + 1, g.O), filtered, chunks);
    } else if (indexType === 4) {
      readExtensibleArray(src, g, le(layout, p + 5, g.O), filtered, chunks);
    } else bail(`chunk index type ${indexType}`);
  }
  if (!filtered) for (let c = 0; c < n; c++) if ((chunks.sizes[c] as number) !== chunkBytes) bail("unfiltered chunk of another size");
  return { meta, layout: { rows, rowBytes, chunkRows, contiguous: false, ...chunks, filters, elementSize } };
}

/** The fields of h5wasm's `Metadata` the readers use, for an integer or float dataset, from its header messages. */
function headerMeta(datatype: Uint8Array, dims: number[]): Metadata {
  const type = (datatype[0] as number) & 0x0f;
  if (type !== 0 && type !== 1) bail("not a number");
  const size = le(datatype, 4, 4);
  const signed = type === 0 ? ((datatype[1] as number) & 0x08) !== 0 : true;
  const total = dims.reduce((a, b) => a * b, 1);
  return {
    type,
    size,
    signed,
    littleEndian: true,
    vlen: false,
    shape: dims,
    maxshape: null,
    chunks: null,
    total_size: total,
  } as unknown as Metadata;
}

/** Undo HDF5's shuffle filter: byte `b` of element `i` was stored at `b·n + i`. */
function unshuffle(src: Uint8Array, dst: Uint8Array, elementSize: number): void {
  const n = Math.floor(src.length / elementSize);
  for (let b = 0; b < elementSize; b++) {
    const from = b * n;
    for (let i = 0, j = b; i < n; i++, j += elementSize) dst[j] = src[from + i] as number;
  }
  const tail = n * elementSize;
  if (tail < src.length) dst.set(src.subarray(tail), tail);
}

/**
 * The direct reader of one open file: layouts parsed once per dataset (and kept), chunk buffers
 * reused across reads.
 */
export class DirectReader {
  readonly #links: Lh5Links;
  readonly #src: DirectSource;
  readonly #inflate: Inflate | undefined;
  readonly #layouts = new Map<string, { layout: DirectLayout; meta: Metadata } | null>();
  #scratch = new Uint8Array(0);
  #shuffled = new Uint8Array(0);
  /** Reads served directly (for tests). */
  hits = 0;
  /** Why the last direct read that fell back did so (a bad chunk), for messages. */
  #lastFailure: { layout: DirectLayout; why: string } | undefined;

  constructor(links: Lh5Links, src: DirectSource, inflate?: Inflate) {
    this.#links = links;
    this.#src = src;
    this.#inflate = inflate;
  }

  /**
   * Why the last direct read of the dataset at `path` fell back to h5wasm (e.g. a chunk that fails
   * to inflate), when the last read that fell back was of that dataset; else undefined.
   */
  failureOf(path: string): string | undefined {
    const f = this.#lastFailure;
    const d = this.#layouts.get(path.replace(/^\/+/, ""));
    return f && d && d.layout === f.layout ? f.why : undefined;
  }

  /** The layout of the dataset at `path` when the direct path handles it, else null (kept either way). */
  layout(path: string, meta: Metadata): DirectLayout | null {
    return this.describe(path, meta)?.layout ?? null;
  }

  /**
   * Layout and metadata of the dataset at `path` when the direct path handles it, else null (kept
   * either way). `meta` (h5wasm's), when given, must agree with the header.
   */
  describe(path: string, meta?: Metadata): { layout: DirectLayout; meta: Metadata } | null {
    const key = path.replace(/^\/+/, "");
    let d = this.#layouts.get(key);
    if (d !== undefined) return d;
    try {
      d = parseLayout(this.#links, this.#src, key, meta);
      if (d.layout.filters.includes(FILTER_DEFLATE) && !this.#inflate) d = null;
    } catch {
      d = null; // not handled (or the metadata is odd): h5wasm reads it
    }
    this.#layouts.set(key, d);
    return d;
  }

  /**
   * Read `ranges` (rows of axis 0, concatenated in range order) into a new `ctor` array, or null
   * when a chunk cannot be read directly (never written, an inflate failure, a read error).
   */
  read(layout: DirectLayout, ranges: Ranges, ctor: { new (n: number): NumericArray; BYTES_PER_ELEMENT: number }): NumericArray | null {
    const rowBytes = layout.rowBytes;
    const whole = this.#wholeChunk(layout, ranges, ctor);
    if (whole) {
      this.hits++;
      return whole;
    }
    let total = 0;
    const nr = ranges.starts.length;
    for (let k = 0; k < nr; k++) total += (ranges.stops[k] as number) - (ranges.starts[k] as number);
    const out = new ctor((total * rowBytes) / ctor.BYTES_PER_ELEMENT);
    const outBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    try {
      if (layout.compact) {
        let dst = 0;
        for (let k = 0; k < nr; k++) {
          const s = (ranges.starts[k] as number) * rowBytes;
          const e = (ranges.stops[k] as number) * rowBytes;
          outBytes.set(layout.compact.subarray(s, e), dst);
          dst += e - s;
        }
        this.hits++;
        return out;
      }
      let loaded = -1; // chunk held in `chunk` (rows from the chunk's first row)
      let chunk: Uint8Array = new Uint8Array(0);
      const R = layout.chunkRows;
      let dstRow = 0;
      for (let k = 0; k < nr; k++) {
        let s = ranges.starts[k] as number;
        const e = ranges.stops[k] as number;
        while (s < e) {
          const c = Math.floor(s / R);
          const c0 = c * R;
          const stop = Math.min(e, c0 + R);
          const bytes = (stop - s) * rowBytes;
          const dstByte = dstRow * rowBytes;
          const address = layout.addresses[c] as number;
          if (address < 0) return null; // never written: HDF5 supplies the fill value
          if (layout.filters.length === 0 && (bytes >= DIRECT_PIECE_BYTES || stop - s === R) && c !== loaded) {
            // A large piece: file → output, one copy.
            this.#readInto(address + (s - c0) * rowBytes, outBytes.subarray(dstByte, dstByte + bytes));
          } else {
            if (c !== loaded) {
              chunk = this.#loadChunk(layout, c);
              loaded = c;
            }
            const from = (s - c0) * rowBytes;
            if (bytes <= 64) for (let i = 0; i < bytes; i++) outBytes[dstByte + i] = chunk[from + i] as number;
            else outBytes.set(chunk.subarray(from, from + bytes), dstByte);
          }
          dstRow += stop - s;
          s = stop;
        }
      }
    } catch (error) {
      if (error instanceof Bail || (error as { code?: unknown }).code !== undefined) {
        this.#lastFailure = { layout, why: (error as Error).message };
        return null;
      }
      throw error;
    }
    this.hits++;
    return out;
  }

  /**
   * {@link DirectReader.read} with the file reads (and inflates, where `io.inflate` is given) running
   * several at once off the main thread: an unfiltered selection is read as runs of contiguous file
   * bytes, each cut in parts of at most `io.partBytes` read concurrently into disjoint parts of the
   * output (the first touches of its fresh pages then run on several threads); a filtered one chunk by chunk with
   * up to {@link ASYNC_IN_FLIGHT} chunks being read and inflated at once. Same result as `read`;
   * null when a chunk cannot be read directly; the signal's reason when aborted. Every read started
   * has finished when the promise settles.
   */
  async readAsync(
    layout: DirectLayout,
    ranges: Ranges,
    ctor: { new (n: number): NumericArray; BYTES_PER_ELEMENT: number },
    io: AsyncReads,
  ): Promise<NumericArray | null> {
    const rowBytes = layout.rowBytes;
    let total = 0;
    const nr = ranges.starts.length;
    for (let k = 0; k < nr; k++) total += (ranges.stops[k] as number) - (ranges.starts[k] as number);
    if (layout.compact) return this.read(layout, ranges, ctor);
    const out = new ctor((total * rowBytes) / ctor.BYTES_PER_ELEMENT);
    const outBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    // Pieces of the selection, one per (range, chunk): chunk, offset in the chunk, output offset, bytes.
    const R = layout.chunkRows;
    const pieces: { c: number; from: number; dst: number; bytes: number }[] = [];
    let dstRow = 0;
    for (let k = 0; k < nr; k++) {
      let s = ranges.starts[k] as number;
      const e = ranges.stops[k] as number;
      while (s < e) {
        const c = Math.floor(s / R);
        const stop = Math.min(e, (c + 1) * R);
        if ((layout.addresses[c] as number) < 0) return null; // never written: HDF5 supplies the fill value
        pieces.push({ c, from: (s - c * R) * rowBytes, dst: dstRow * rowBytes, bytes: (stop - s) * rowBytes });
        dstRow += stop - s;
        s = stop;
      }
    }
    try {
      if (layout.filters.length === 0) {
        // Runs of bytes contiguous both in the file and in the output, then parts of the large ones.
        const runs: { at: number; dst: number; bytes: number }[] = [];
        for (const p of pieces) {
          const at = (layout.addresses[p.c] as number) + p.from;
          const last = runs[runs.length - 1];
          if (last && last.at + last.bytes === at && last.dst + last.bytes === p.dst) last.bytes += p.bytes;
          else runs.push({ at, dst: p.dst, bytes: p.bytes });
        }
        const parts: { at: number; dst: number; bytes: number }[] = [];
        const most = Math.max(1, Math.floor(io.partBytes ?? ASYNC_PART_BYTES));
        for (const r of runs) {
          const even = Math.ceil(r.bytes / Math.ceil(r.bytes / most)); // equal parts of at most `most`
          const size =
            even >= ASYNC_PART_ALIGN && most >= ASYNC_PART_ALIGN
              ? Math.min(most, Math.ceil(even / ASYNC_PART_ALIGN) * ASYNC_PART_ALIGN)
              : even;
          for (let d = 0; d < r.bytes; d += size) parts.push({ at: r.at + d, dst: r.dst + d, bytes: Math.min(size, r.bytes - d) });
        }
        await inFlight(parts.length, io.signal, async (i) => {
          const p = parts[i] as { at: number; dst: number; bytes: number };
          await io.readInto(p.at, outBytes.subarray(p.dst, p.dst + p.bytes));
        });
      } else {
        // One task per chunk (consecutive pieces of the same chunk share it).
        const tasks: { c: number; first: number; last: number }[] = [];
        for (let i = 0; i < pieces.length; i++) {
          const p = pieces[i] as { c: number };
          const t = tasks[tasks.length - 1];
          if (t && t.c === p.c) t.last = i;
          else tasks.push({ c: p.c, first: i, last: i });
        }
        const chunkBytes = R * rowBytes;
        // Per lane, reused: the stored bytes and the unshuffled ones.
        const storedOf = Array.from({ length: ASYNC_IN_FLIGHT }, () => new Uint8Array(0));
        const shuffledOf = Array.from({ length: ASYNC_IN_FLIGHT }, () => new Uint8Array(0));
        await inFlight(tasks.length, io.signal, async (i, lane) => {
          const t = tasks[i] as { c: number; first: number; last: number };
          const size = layout.sizes[t.c] as number;
          if ((storedOf[lane] as Uint8Array).length < size) storedOf[lane] = new Uint8Array(size);
          const stored = (storedOf[lane] as Uint8Array).subarray(0, size);
          await io.readInto(layout.addresses[t.c] as number, stored);
          let data: Uint8Array = stored;
          const mask = layout.masks[t.c] as number;
          for (let f = layout.filters.length - 1; f >= 0; f--) {
            if ((mask >>> f) & 1) continue; // this filter was skipped for this chunk
            if (layout.filters[f] === FILTER_DEFLATE) {
              const sync = this.#inflate;
              try {
                data = io.inflate ? await io.inflate(data, chunkBytes) : sync ? sync(data, chunkBytes) : bail("no inflater");
              } catch (error) {
                if (error instanceof Bail) throw error;
                bail(`chunk ${t.c} of ${size} bytes at file offset ${layout.addresses[t.c]} failed to inflate`);
              }
            } else {
              if ((shuffledOf[lane] as Uint8Array).length < data.length) shuffledOf[lane] = new Uint8Array(data.length);
              const dst = (shuffledOf[lane] as Uint8Array).subarray(0, data.length);
              unshuffle(data, dst, layout.elementSize);
              data = dst;
            }
          }
          if (data.length !== chunkBytes) bail(`chunk ${t.c} decodes to ${data.length} bytes, expected ${chunkBytes}`);
          for (let j = t.first; j <= t.last; j++) {
            const p = pieces[j] as { from: number; dst: number; bytes: number };
            outBytes.set(data.subarray(p.from, p.from + p.bytes), p.dst);
          }
        });
      }
    } catch (error) {
      if (io.signal?.aborted) throw io.signal.reason;
      if (error instanceof Bail || (error as { code?: unknown }).code !== undefined) return null;
      throw error;
    }
    io.signal?.throwIfAborted(); // aborted after the last part started
    this.hits++;
    return out;
  }

  /**
   * One range of rows inside one deflated chunk (no other filter) that starts at the chunk's first
   * row — a whole column of a table that fits one chunk, the common loader read: the inflater's
   * output becomes the result's buffer when it is a buffer of its own of the decoded size (or up to
   * {@link INFLATE_SLACK} bytes more)
   * (so it can still be transferred), instead of being copied into a new array. Else undefined
   * (the general path reads it); null when the chunk cannot be read directly.
   */
  #wholeChunk(
    layout: DirectLayout,
    ranges: Ranges,
    ctor: { new (n: number): NumericArray; BYTES_PER_ELEMENT: number },
  ): NumericArray | undefined {
    if (ranges.starts.length !== 1 || layout.compact || layout.filters.length !== 1 || layout.filters[0] !== FILTER_DEFLATE) {
      return undefined;
    }
    const s = ranges.starts[0] as number;
    const e = ranges.stops[0] as number;
    const R = layout.chunkRows;
    const c = s / R;
    if (e <= s || e - s !== R || !Number.isInteger(c) || (layout.masks[c] as number) !== 0) return undefined;
    if ((layout.addresses[c] as number) < 0) return undefined;
    let data: Uint8Array;
    try {
      data = this.#loadChunk(layout, c);
    } catch (error) {
      if (error instanceof Bail || (error as { code?: unknown }).code !== undefined) return undefined;
      throw error;
    }
    const bytes = R * layout.rowBytes;
    // Its own buffer: at offset 0 and at most INFLATE_SLACK bytes longer (never a slice of a shared pool).
    const own = data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.buffer.byteLength - data.byteLength <= INFLATE_SLACK;
    if (!own || data.buffer === this.#scratch.buffer || data.buffer === this.#shuffled.buffer || data.byteLength !== bytes) {
      return undefined;
    }
    const View = ctor as unknown as new (b: ArrayBuffer, offset: number, length: number) => NumericArray;
    return new View(data.buffer as ArrayBuffer, 0, bytes / ctor.BYTES_PER_ELEMENT);
  }

  #readInto(offset: number, target: Uint8Array): void {
    const src = this.#src;
    if (src.readIntoSync) src.readIntoSync(offset, target);
    else target.set(src.readSync(offset, target.byteLength));
  }

  /** The decoded bytes of chunk `c` (its stored rows), in a buffer reused by the next load. */
  #loadChunk(layout: DirectLayout, c: number): Uint8Array {
    const address = layout.addresses[c] as number;
    const stored = layout.sizes[c] as number;
    if (layout.filters.length === 0) {
      const bytes = layout.contiguous ? stored : Math.min(layout.chunkRows, layout.rows - c * layout.chunkRows) * layout.rowBytes;
      const buf = this.#scratchOf(bytes);
      this.#readInto(address, buf);
      return buf;
    }
    const chunkBytes = layout.chunkRows * layout.rowBytes;
    const mask = layout.masks[c] as number;
    let data: Uint8Array = this.#scratchOf(stored);
    this.#readInto(address, data);
    for (let i = layout.filters.length - 1; i >= 0; i--) {
      if ((mask >>> i) & 1) continue; // this filter was skipped for this chunk
      const f = layout.filters[i];
      if (f === FILTER_DEFLATE) {
        const inflate = this.#inflate ?? bail("no inflater");
        let decoded: Uint8Array;
        try {
          decoded = inflate(data, chunkBytes);
        } catch {
          bail(`chunk ${c} of ${stored} bytes at file offset ${address} failed to inflate`);
        }
        data = decoded;
      } else {
        if (this.#shuffled.length < data.length) this.#shuffled = new Uint8Array(data.length);
        const dst = this.#shuffled.subarray(0, data.length);
        unshuffle(data, dst, layout.elementSize);
        data = dst;
      }
    }
    if (data.length !== chunkBytes) bail(`chunk ${c} decodes to ${data.length} bytes, expected ${chunkBytes}`);
    return data;
  }

  #scratchOf(n: number): Uint8Array {
    if (this.#scratch.length < n) this.#scratch = new Uint8Array(Math.max(n, this.#scratch.length * 2));
    return this.#scratch.subarray(0, n);
  }
}

/**
 * Run `task(0) … task(count - 1)` with at most {@link ASYNC_IN_FLIGHT} running at once, in index
 * order (each on a lane `0 … ASYNC_IN_FLIGHT - 1`, which runs one task at a time); after a failure (or an abort) no new task starts, and the first error is thrown once every
 * running task has settled.
 */
async function inFlight(count: number, signal: AbortSignal | undefined, task: (i: number, lane: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  let first: unknown;
  const lane = async (_: unknown, n: number): Promise<void> => {
    while (!failed && next < count) {
      if (signal?.aborted) {
        failed = true;
        first = signal.reason;
        return;
      }
      const i = next++;
      try {
        await task(i, n);
      } catch (error) {
        if (!failed) first = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(ASYNC_IN_FLIGHT, count) }, lane));
  if (failed) throw first;
}
