/**
 * Writing the `packets` dataset of larpix-control's LArPix packet file (`hdf5format`, version 2.4),
 * spec §7.4: a packed 36-byte compound, one row per packet, plus the `_header` group. Platform
 * neutral: the Node writer (`PacketFileWriter`) and the bytes writer (`packetFileBytes`) use it.
 */
import type { File as H5File } from "h5wasm";
import { RawHdf5Error } from "./errors.js";
import { openH5 } from "./h5/raw-layout.js";
import { type H5Runtime, type QuietScope, summarizeDiagnostic } from "./h5/runtime.js";
import type { PacketColumns } from "./pacman.js";

/** Version written to `_header@version`. */
export const PACKET_FILE_VERSION = "2.4";
/** Bytes per `packets` row. */
export const PACKET_ROW_SIZE = 36;

/** The compound type of `packets`, in h5wasm dtype notation (packed offsets, spec §7.4). */
const PACKET_DTYPE: Array<[string, string]> = [
  ["io_group", "<B"],
  ["io_channel", "<B"],
  ["chip_id", "<B"],
  ["packet_type", "<B"],
  ["downstream_marker", "<B"],
  ["parity", "<B"],
  ["valid_parity", "<B"],
  ["channel_id", "<B"],
  ["timestamp", "<Q"],
  ["dataword", "<B"],
  ["trigger_type", "<B"],
  ["local_fifo", "<B"],
  ["shared_fifo", "<B"],
  ["register_address", "<B"],
  ["register_data", "<B"],
  ["direction", "<B"],
  ["local_fifo_events", "<B"],
  ["shared_fifo_events", "<H"],
  ["counter", "<I"],
  ["fifo_diagnostics_enabled", "<B"],
  ["first_packet", "<B"],
  ["receipt_timestamp", "<I"],
];

const U1_OFFSETS: Array<[keyof PacketColumns, number]> = [
  ["io_group", 0],
  ["io_channel", 1],
  ["chip_id", 2],
  ["packet_type", 3],
  ["downstream_marker", 4],
  ["parity", 5],
  ["valid_parity", 6],
  ["channel_id", 7],
  ["dataword", 16],
  ["trigger_type", 17],
  ["local_fifo", 18],
  ["shared_fifo", 19],
  ["register_address", 20],
  ["register_data", 21],
  ["direction", 22],
  ["local_fifo_events", 23],
  ["fifo_diagnostics_enabled", 30],
  ["first_packet", 31],
];

/** Interleave columns into packed 36-byte little-endian rows. */
export function packPacketRows(cols: PacketColumns): Uint8Array {
  const n = cols.length;
  const out = new Uint8Array(n * PACKET_ROW_SIZE);
  const u32 = new Uint32Array(out.buffer);
  const u16 = new Uint16Array(out.buffer);
  for (const [field, offset] of U1_OFFSETS) {
    const col = cols[field] as Uint8Array;
    for (let i = 0, o = offset; i < n; i++, o += PACKET_ROW_SIZE) out[o] = col[i]!;
  }
  const ts = new Uint32Array(cols.timestamp.buffer, cols.timestamp.byteOffset, n * 2);
  const { shared_fifo_events: sfe, counter, receipt_timestamp: rts } = cols;
  for (let i = 0; i < n; i++) {
    const w = i * 9; // row start in u32 units (36 / 4)
    u32[w + 2] = ts[2 * i]!; // timestamp @ 8 (low word)
    u32[w + 3] = ts[2 * i + 1]!; // timestamp @ 12 (high word)
    u16[i * 18 + 12] = sfe[i]!; // shared_fifo_events @ 24
    const c = counter[i]!; // counter @ 26 (not 4-aligned)
    const o = i * PACKET_ROW_SIZE + 26;
    out[o] = c & 0xff;
    out[o + 1] = (c >>> 8) & 0xff;
    out[o + 2] = (c >>> 16) & 0xff;
    out[o + 3] = c >>> 24;
    u32[w + 8] = rts[i]!; // receipt_timestamp @ 32
  }
  return out;
}

/**
 * Create a packet file with an empty `packets` dataset at `path` (a runtime file-system path) and
 * return it open. Closes it again when anything fails.
 * @throws RawHdf5Error `RAWHDF5_IO`
 */
export function createPacketFile(rt: H5Runtime, scope: QuietScope, path: string, name: string, nowSeconds: number): H5File {
  const opened = openH5(rt, scope, path, "w", ["v110", "latest"]);
  if (!opened.ok) {
    throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${name}: cannot create the packet file: ${summarizeDiagnostic(opened.diagnostic)}`, {
      path: name,
    });
  }
  const file = opened.file;
  try {
    const header = file.create_group("_header");
    header.create_attribute("version", PACKET_FILE_VERSION, null, "A");
    header.create_attribute("created", nowSeconds, null, "<d");
    header.create_attribute("modified", nowSeconds, null, "<d");
    file.create_dataset({
      name: "packets",
      data: new Map(PACKET_DTYPE.map(([n, dtype]) => [n, dtype === "<Q" ? new BigUint64Array(0) : new Uint8Array(0)])),
      shape: [0],
      maxshape: [null],
      chunks: [65536],
      compression: "gzip",
      compression_opts: 1,
      dtype: PACKET_DTYPE,
    } as unknown as Parameters<H5File["create_dataset"]>[0]);
    if (rt.module.get_type(file.file_id, "/packets") !== rt.module.H5G_DATASET) {
      throw ioError(name, "cannot create the packets dataset", scope);
    }
    return file;
  } catch (error) {
    try {
      file.close();
    } catch {
      // already failing
    }
    if (RawHdf5Error.isInstance(error)) throw error;
    throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${name}: cannot create the packet file: ${(error as Error)?.message?.split("\n")[0]}`, {
      path: name,
      cause: error,
    });
  }
}

/**
 * Append packet rows to the open packet file, which has `length` rows; returns the new length.
 * @throws RawHdf5Error `RAWHDF5_IO`
 */
export function appendPacketRows(
  rt: H5Runtime,
  scope: QuietScope,
  file: H5File,
  name: string,
  length: number,
  cols: PacketColumns,
): number {
  if (cols.length === 0) return length;
  const rows = packPacketRows(cols);
  const next = length + cols.length;
  let resized: number;
  try {
    resized = rt.module.resize_dataset(file.file_id, "/packets", [BigInt(next)]);
  } catch (error) {
    throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${name}: cannot resize packets`, { path: name, cause: error });
  }
  if (resized < 0) throw ioError(name, "cannot resize packets", scope);
  const ptr = rt.module._malloc(rows.length);
  if (ptr === 0) throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${name}: wasm allocation of ${rows.length} bytes failed`, { path: name });
  try {
    rt.module.HEAPU8.set(rows, ptr);
    let status: number;
    try {
      status = rt.module.set_dataset_data(file.file_id, "/packets", [BigInt(cols.length)], [BigInt(length)], [1n], BigInt(ptr));
    } catch {
      status = -1;
    }
    if (status < 0) throw ioError(name, `cannot write packets rows ${length}..${next - 1}`, scope);
  } finally {
    rt.module._free(ptr);
  }
  return next;
}

function ioError(path: string, what: string, scope: QuietScope): RawHdf5Error {
  const diagnostic = scope.diagnostic();
  return new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${path}: ${what}${diagnostic ? `: ${summarizeDiagnostic(diagnostic)}` : ""}`, {
    path,
    hdf5Diagnostic: diagnostic || undefined,
  });
}
