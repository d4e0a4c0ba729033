import type { Table } from "apache-arrow";
import { concatPacketColumns, decodePacmanMessages, PACKET_FIELDS, type PacketColumns, type ParseMessageOptions } from "./pacman.js";
import type { RawfileData, RawfileRetryOptions } from "./read-core.js";
import { openRawfileSnapshot, type RawfileInput, type RawfileRuntimeOptions } from "./read-source.js";

/** Options of {@link iterateRawfilePackets}. */
export interface RawfilePacketsOptions extends ParseMessageOptions, RawfileRetryOptions {
  /** Messages read per block. Default 100 000 (the upstream converter's block size). */
  blockMessages?: number;
  /** Called after each block with (messages done, total messages). */
  onProgress?: (done: number, total: number) => void;
  /** Stop early. */
  signal?: AbortSignal;
}

/** Packet blocks of `total` messages read by `read(start, end)` (shared by the source and path APIs). */
export async function* packetBlocks(
  total: number,
  read: (start: number, end: number) => RawfileData | Promise<RawfileData>,
  options: RawfilePacketsOptions,
): AsyncGenerator<PacketColumns> {
  const blockMessages = Math.max(1, options.blockMessages ?? 100_000);
  options.onProgress?.(0, total);
  for (let start = 0; start < total; start += blockMessages) {
    options.signal?.throwIfAborted();
    const end = Math.min(total, start + blockMessages);
    const data = await read(start, end);
    const packed = data.packed!;
    yield decodePacmanMessages(packed.bytes, packed.offsets, data.msgHeaders.io_groups, {
      lenient: options.lenient,
      firstMessageIndex: start,
    });
    options.onProgress?.(end, total);
  }
}

/** All blocks of an iterator as one set of columns. */
export async function collectPacketBlocks(blocks: AsyncIterable<PacketColumns>): Promise<PacketColumns> {
  const all: PacketColumns[] = [];
  for await (const block of blocks) all.push(block);
  if (all.length === 0) return decodePacmanMessages(new Uint8Array(0), [0], []);
  return concatPacketColumns(all);
}

/**
 * Convert a raw file given as bytes, a `Blob`/`File` or an io byte source into LArPix packet rows
 * block by block (spec §7.4): each yielded block owns its memory and holds the rows of
 * `blockMessages` consecutive messages (`message_index` is the file row).
 *
 * @throws RawHdf5Error the read errors of `fromRawfile` and the parse errors of
 *   {@link decodePacmanMessages}
 */
export async function* iterateRawfilePackets(
  input: RawfileInput,
  options: RawfilePacketsOptions & RawfileRuntimeOptions = {},
): AsyncGenerator<PacketColumns> {
  const snapshot = await openRawfileSnapshot(input, options);
  try {
    yield* packetBlocks(snapshot.length, (start, end) => snapshot.read({ ...options, start, end }), options);
  } finally {
    snapshot.close();
  }
}

/** All packet rows of a raw file as one set of columns. Same options and errors as {@link iterateRawfilePackets}. */
export async function readRawfilePackets(
  input: RawfileInput,
  options: RawfilePacketsOptions & RawfileRuntimeOptions = {},
): Promise<PacketColumns> {
  return collectPacketBlocks(iterateRawfilePackets(input, options));
}

/**
 * Packet columns as an Arrow table with the hdf5format field names and types (u1 → Uint8,
 * timestamp → Uint64, shared_fifo_events → Uint16, counter/receipt_timestamp → Uint32). Zero-copy.
 * `message_index` (Float64) is appended when `includeMessageIndex` is set.
 */
export async function packetColumnsToArrow(cols: PacketColumns, options: { includeMessageIndex?: boolean } = {}): Promise<Table> {
  const arrow = await import("apache-arrow");
  const columns: Record<string, ArrayLike<number> | BigUint64Array> = {};
  for (const f of PACKET_FIELDS) columns[f] = cols[f];
  if (options.includeMessageIndex) columns["message_index"] = cols.message_index;
  return arrow.tableFromArrays(columns as Parameters<typeof arrow.tableFromArrays>[0]);
}
