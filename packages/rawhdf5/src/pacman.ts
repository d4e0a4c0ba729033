/**
 * PACMAN messages (larpix-control `pacman_msg_format`) decoded into LArPix v2 packet rows of the
 * LArPix packet file (`hdf5format` 2.4 `packets`), spec §7. Columnar: one typed array per field.
 */
import { RawHdf5Error } from "./errors.js";

/** PACMAN message type bytes (spec §7.1). */
export const PACMAN_MESSAGE_TYPES = { data: 0x44, request: 0x3f, reply: 0x21 } as const;
/** PACMAN word type letters. */
export const PACMAN_WORD_TYPES = { data: 0x44, trigger: 0x54, sync: 0x53, ping: 0x50, write: 0x57, read: 0x52, error: 0x45 } as const;
/** Bytes of the PACMAN message header (type, u32 unix seconds, pad, u16 word count). */
export const PACMAN_HEADER_SIZE = 8;
/** Bytes of one PACMAN word (word type letter + 15 bytes). */
export const PACMAN_WORD_SIZE = 16;

/** `packet_type` values of packet rows (LArPix v2 0–3 and the larpix-control extras). */
export const PACKET_TYPES = { data: 0, test: 1, configWrite: 2, configRead: 3, timestamp: 4, sync: 6, trigger: 7 } as const;

/** Field names of the `packets` dataset, hdf5format 2.4, in file order (spec §7.4). */
export const PACKET_FIELDS = [
  "io_group",
  "io_channel",
  "chip_id",
  "packet_type",
  "downstream_marker",
  "parity",
  "valid_parity",
  "channel_id",
  "timestamp",
  "dataword",
  "trigger_type",
  "local_fifo",
  "shared_fifo",
  "register_address",
  "register_data",
  "direction",
  "local_fifo_events",
  "shared_fifo_events",
  "counter",
  "fifo_diagnostics_enabled",
  "first_packet",
  "receipt_timestamp",
] as const;

/** One packet field name. */
export type PacketField = (typeof PACKET_FIELDS)[number];

/**
 * Packet rows as columns. `timestamp` is `BigUint64Array` (file type u8); its values are at most
 * 2^32 − 1 (header time in seconds, 31-bit packet ticks, or 32-bit PACMAN ticks).
 */
export interface PacketColumns {
  readonly length: number;
  readonly io_group: Uint8Array;
  readonly io_channel: Uint8Array;
  readonly chip_id: Uint8Array;
  readonly packet_type: Uint8Array;
  readonly downstream_marker: Uint8Array;
  readonly parity: Uint8Array;
  readonly valid_parity: Uint8Array;
  readonly channel_id: Uint8Array;
  readonly timestamp: BigUint64Array;
  readonly dataword: Uint8Array;
  readonly trigger_type: Uint8Array;
  readonly local_fifo: Uint8Array;
  readonly shared_fifo: Uint8Array;
  readonly register_address: Uint8Array;
  readonly register_data: Uint8Array;
  readonly direction: Uint8Array;
  readonly local_fifo_events: Uint8Array;
  readonly shared_fifo_events: Uint16Array;
  readonly counter: Uint32Array;
  readonly fifo_diagnostics_enabled: Uint8Array;
  readonly first_packet: Uint8Array;
  readonly receipt_timestamp: Uint32Array;
  /** Index (within the parsed input) of the message each row came from. */
  readonly message_index: Float64Array;
}

/** One packet row as a plain object (convenience for single messages; use columns in bulk). */
export type PacketRow = { [K in PacketField]: number };

/** Options of the PACMAN decoders. */
export interface ParseMessageOptions {
  /**
   * Skip unknown message types and illegal word letters instead of throwing, and ignore a trailing
   * partial word. Default false (upstream raises).
   */
  lenient?: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function allocateColumns(capacity: number): Mutable<PacketColumns> & { ts32: Uint32Array } {
  const timestamp = new BigUint64Array(capacity);
  return {
    length: 0,
    io_group: new Uint8Array(capacity),
    io_channel: new Uint8Array(capacity),
    chip_id: new Uint8Array(capacity),
    packet_type: new Uint8Array(capacity),
    downstream_marker: new Uint8Array(capacity),
    parity: new Uint8Array(capacity),
    valid_parity: new Uint8Array(capacity),
    channel_id: new Uint8Array(capacity),
    timestamp,
    dataword: new Uint8Array(capacity),
    trigger_type: new Uint8Array(capacity),
    local_fifo: new Uint8Array(capacity),
    shared_fifo: new Uint8Array(capacity),
    register_address: new Uint8Array(capacity),
    register_data: new Uint8Array(capacity),
    direction: new Uint8Array(capacity),
    local_fifo_events: new Uint8Array(capacity),
    shared_fifo_events: new Uint16Array(capacity),
    counter: new Uint32Array(capacity),
    fifo_diagnostics_enabled: new Uint8Array(capacity),
    first_packet: new Uint8Array(capacity),
    receipt_timestamp: new Uint32Array(capacity),
    message_index: new Float64Array(capacity),
    // Low/high 32-bit words of each timestamp (little-endian host): values fit in 32 bits.
    ts32: new Uint32Array(timestamp.buffer),
  };
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

function legalWord(messageType: number, word: number): boolean {
  if (messageType === PACMAN_MESSAGE_TYPES.data) {
    return word === PACMAN_WORD_TYPES.data || word === PACMAN_WORD_TYPES.trigger || word === PACMAN_WORD_TYPES.sync;
  }
  if (messageType === PACMAN_MESSAGE_TYPES.request) {
    return (
      word === PACMAN_WORD_TYPES.ping ||
      word === PACMAN_WORD_TYPES.write ||
      word === PACMAN_WORD_TYPES.read ||
      word === PACMAN_WORD_TYPES.data
    );
  }
  return (
    word === PACMAN_WORD_TYPES.ping ||
    word === PACMAN_WORD_TYPES.write ||
    word === PACMAN_WORD_TYPES.read ||
    word === PACMAN_WORD_TYPES.data ||
    word === PACMAN_WORD_TYPES.error
  );
}

function hex2(x: number): string {
  return `0x${x.toString(16).padStart(2, "0")}`;
}

/** Upper bound of the rows produced by messages with the given byte lengths. */
function rowCapacity(offsets: ArrayLike<number>, count: number): number {
  let rows = 0;
  for (let i = 0; i < count; i++) {
    const len = offsets[i + 1]! - offsets[i]!;
    rows += 1 + Math.max(0, Math.floor((len - PACMAN_HEADER_SIZE) / PACMAN_WORD_SIZE));
  }
  return rows;
}

/**
 * Decode packed PACMAN messages into packet columns (larpix-control `parse` on every message,
 * then the hdf5format row rules of spec §7.4). Message i is `bytes[offsets[i] .. offsets[i+1])`,
 * its io_group is `ioGroups[i]`.
 *
 * Rows per message: one timestamp row (type 4) for the header, then one row per DATA/TX word
 * (LArPix packet bit-fields, parity check), SYNC word (type 6) and TRIG word (type 7). PING,
 * WRITE, READ, PONG and ERR words produce no row. Words run to the end of the bytes (the header's
 * word count is ignored, as upstream `parse` does).
 *
 * @param firstMessageIndex index reported in errors and in `message_index` for message 0
 * @throws RawHdf5Error `RAWHDF5_BAD_PACMAN_MESSAGE`, `RAWHDF5_TRUNCATED_PACMAN_MESSAGE` (not in lenient mode)
 */
export function decodePacmanMessages(
  bytes: Uint8Array,
  offsets: ArrayLike<number>,
  ioGroups: ArrayLike<number>,
  options: ParseMessageOptions & { firstMessageIndex?: number } = {},
): PacketColumns {
  const lenient = options.lenient ?? false;
  const base = options.firstMessageIndex ?? 0;
  const count = offsets.length - 1;
  const c = allocateColumns(rowCapacity(offsets, count));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let r = 0;
  for (let m = 0; m < count; m++) {
    const start = offsets[m]!;
    const end = offsets[m + 1]!;
    const ioGroup = ioGroups[m]!;
    if (end - start < PACMAN_HEADER_SIZE) {
      if (lenient) continue;
      throw new RawHdf5Error(
        "RAWHDF5_TRUNCATED_PACMAN_MESSAGE",
        `rawhdf5: PACMAN message ${base + m} has ${end - start} bytes, expected at least the ${PACMAN_HEADER_SIZE}-byte header`,
        { messageIndex: base + m, byteOffset: 0 },
      );
    }
    const messageType = bytes[start]!;
    if (
      messageType !== PACMAN_MESSAGE_TYPES.data &&
      messageType !== PACMAN_MESSAGE_TYPES.request &&
      messageType !== PACMAN_MESSAGE_TYPES.reply
    ) {
      if (lenient) continue;
      throw new RawHdf5Error(
        "RAWHDF5_BAD_PACMAN_MESSAGE",
        `rawhdf5: PACMAN message ${base + m} byte 0: unknown message type ${hex2(messageType)} (expected 'D' 0x44, '?' 0x3f or '!' 0x21)`,
        { messageIndex: base + m, byteOffset: 0 },
      );
    }
    const tail = (end - start - PACMAN_HEADER_SIZE) % PACMAN_WORD_SIZE;
    if (tail !== 0 && !lenient) {
      throw new RawHdf5Error(
        "RAWHDF5_TRUNCATED_PACMAN_MESSAGE",
        `rawhdf5: PACMAN message ${base + m} has ${end - start} bytes: ${tail} trailing bytes after the last whole ${PACMAN_WORD_SIZE}-byte word`,
        { messageIndex: base + m, byteOffset: end - start - tail },
      );
    }
    // Header row: timestamp packet (type 4) with the PACMAN unix time (bytes 1..4).
    c.io_group[r] = ioGroup;
    c.packet_type[r] = PACKET_TYPES.timestamp;
    c.ts32[2 * r] = view.getUint32(start + 1, true);
    c.message_index[r] = base + m;
    r++;
    for (let w = start + PACMAN_HEADER_SIZE; w + PACMAN_WORD_SIZE <= end; w += PACMAN_WORD_SIZE) {
      const letter = bytes[w]!;
      if (!legalWord(messageType, letter)) {
        if (lenient) continue;
        throw new RawHdf5Error(
          "RAWHDF5_BAD_PACMAN_MESSAGE",
          `rawhdf5: PACMAN message ${base + m} byte ${w - start}: word type ${hex2(letter)} is not legal in a ${String.fromCharCode(messageType)} message`,
          { messageIndex: base + m, byteOffset: w - start },
        );
      }
      if (letter === PACMAN_WORD_TYPES.data) {
        // DATA (or TX in request/reply): byte 1 io_channel, 2..5 receipt timestamp (DATA only), 8..15 packet.
        const lo = view.getUint32(w + 8, true);
        const hi = view.getUint32(w + 12, true);
        c.io_group[r] = ioGroup;
        c.io_channel[r] = bytes[w + 1]!;
        c.receipt_timestamp[r] = messageType === PACMAN_MESSAGE_TYPES.data ? view.getUint32(w + 2, true) : 0;
        c.packet_type[r] = lo & 0x3;
        c.chip_id[r] = (lo >>> 2) & 0xff;
        c.channel_id[r] = (lo >>> 10) & 0x3f;
        c.register_address[r] = (lo >>> 10) & 0xff;
        c.register_data[r] = (lo >>> 18) & 0xff;
        c.ts32[2 * r] = (lo >>> 16) + (hi & 0x7fff) * 0x10000; // bits 16..46
        c.first_packet[r] = (hi >>> 15) & 1;
        c.dataword[r] = (hi >>> 16) & 0xff;
        c.trigger_type[r] = (hi >>> 24) & 0x3;
        c.local_fifo[r] = (hi >>> 26) & 0x3;
        c.shared_fifo[r] = (hi >>> 28) & 0x3;
        c.downstream_marker[r] = (hi >>> 30) & 1;
        c.parity[r] = hi >>> 31;
        c.valid_parity[r] = (popcount32(lo) + popcount32(hi)) & 1; // odd parity
        c.message_index[r] = base + m;
        r++;
      } else if (letter === PACMAN_WORD_TYPES.sync && messageType === PACMAN_MESSAGE_TYPES.data) {
        c.io_group[r] = ioGroup;
        c.packet_type[r] = PACKET_TYPES.sync;
        c.trigger_type[r] = bytes[w + 1]!; // sync type: 'S', 'H' or 'C'
        c.dataword[r] = bytes[w + 2]! & 1; // clk_source
        c.ts32[2 * r] = view.getUint32(w + 4, true);
        c.message_index[r] = base + m;
        r++;
      } else if (letter === PACMAN_WORD_TYPES.trigger && messageType === PACMAN_MESSAGE_TYPES.data) {
        c.io_group[r] = ioGroup;
        c.packet_type[r] = PACKET_TYPES.trigger;
        c.trigger_type[r] = bytes[w + 1]!;
        c.ts32[2 * r] = view.getUint32(w + 4, true);
        c.message_index[r] = base + m;
        r++;
      }
      // PING / WRITE / READ / PONG / ERR: no packet.
    }
  }
  return sliceColumns(c, r);
}

function sliceColumns(c: PacketColumns, n: number): PacketColumns {
  const out: Record<string, unknown> = { length: n };
  for (const f of PACKET_FIELDS) out[f] = (c[f] as Uint8Array).subarray(0, n);
  out["message_index"] = c.message_index.subarray(0, n);
  return out as unknown as PacketColumns;
}

/**
 * Concatenate packet column blocks (e.g. one per read block) into one.
 */
export function concatPacketColumns(blocks: readonly PacketColumns[]): PacketColumns {
  if (blocks.length === 1) return blocks[0]!;
  let n = 0;
  for (const b of blocks) n += b.length;
  const out = allocateColumns(n);
  let at = 0;
  for (const b of blocks) {
    for (const f of PACKET_FIELDS) (out[f] as Uint8Array).set(b[f] as Uint8Array, at);
    out.message_index.set(b.message_index, at);
    at += b.length;
  }
  return sliceColumns(out, n);
}

/**
 * Parse one PACMAN message into LArPix packet rows (larpix-control `parse(msg, io_group)` followed
 * by the hdf5format row conversion). Convenience API returning one object per packet; use
 * {@link decodePacmanMessages} for bulk data.
 *
 * @param msg message bytes (8-byte header + 16-byte words)
 * @param ioGroup io_group of the PACMAN board the message came from (0..255)
 * @throws RawHdf5Error `RAWHDF5_BAD_PACMAN_MESSAGE`, `RAWHDF5_TRUNCATED_PACMAN_MESSAGE`
 */
export function parseMessage(msg: Uint8Array, ioGroup: number, options: ParseMessageOptions = {}): PacketRow[] {
  const cols = decodePacmanMessages(msg, [0, msg.length], [ioGroup], options);
  const rows: PacketRow[] = [];
  for (let i = 0; i < cols.length; i++) {
    const row = {} as PacketRow;
    for (const f of PACKET_FIELDS) row[f] = Number(cols[f][i]);
    rows.push(row);
  }
  return rows;
}
