/**
 * Writing the `packets` dataset of larpix-control's LArPix packet file (`hdf5format`, version 2.4),
 * spec §7.4: a packed 36-byte compound, one row per packet, plus the `_header` group. Platform
 * neutral: the Node writer (`PacketFileWriter`) and the bytes writer (`packetFileBytes`) use it.
 */
import type { File as H5File } from "h5wasm";
import { RawHdf5Error } from "./errors.js";
import { ARRAY_PLACEHOLDER_MEMBER, objectAddress, patchArrayMemberHeader, patchStringMemberPadding } from "./h5/compound-fixup.js";
import { patchObjectHeaderOnDisk } from "./h5/vlen-u8.js";
import { closeQuietly, openH5 } from "./h5/raw-layout.js";
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

/**
 * `messages` of hdf5format ≥ 1.0 (larpix's `from_file` opens it for every version but 0.0): the text
 * of message packets (packet_type 5, row `counter` = index here). PACMAN data has no message
 * packets, so it stays empty, as in files made by larpix's own converter. `A64` is h5wasm's ASCII
 * fixed-length string (NULLTERM); its padding is patched to numpy's `S64` (NULLPAD) on disk.
 */
const MESSAGES_DTYPE: CompoundDtype = [
  ["message", "A64"],
  ["timestamp", "<Q"],
  ["index", "<I"],
];

/** Registers per chip in `configs` rows (larpix-control's `num_registers`, from Configuration_Lightpix_v1). */
export const CONFIG_REGISTERS = 239;

/**
 * `configs` of hdf5format ≥ 2.4 (timestamp u8, io_group u1, io_channel u1, chip_id u1, registers
 * (239,)u1: 250 bytes per row, one per chip configuration); empty, as larpix's converter leaves it.
 * Created with a placeholder for `registers` (h5wasm cannot create array members), see compound-fixup.ts.
 */
const CONFIGS_PLACEHOLDER_DTYPE: CompoundDtype = [
  ["timestamp", "<Q"],
  ["io_group", "<B"],
  ["io_channel", "<B"],
  ["chip_id", "<B"],
  ["registers", [[ARRAY_PLACEHOLDER_MEMBER, "<B"]]],
];
/** Bytes per `configs` row. */
const CONFIGS_ROW_SIZE = 8 + 3 + CONFIG_REGISTERS;

type CompoundDtype = Array<[string, string | CompoundDtype]>;

/** `packets@packet_types` as larpix-control's `to_file` writes it for version 2.4. */
export const PACKET_TYPES_TEXT = "\n0: 'data',\n1: 'test',\n2: 'config write',\n3: 'config read',\n4: 'timestamp',\n5: 'message',\n";

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
  let opened = openH5(rt, scope, path, "w", ["v110", "latest"]);
  if (!opened.ok) {
    throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${name}: cannot create the packet file: ${summarizeDiagnostic(opened.diagnostic)}`, {
      path: name,
    });
  }
  // messages and configs first, as placeholders patched on disk once the file is closed (compound-fixup.ts).
  let configsAddress: number;
  let messagesAddress: number;
  try {
    createEmptyCompound(rt, opened.file, "configs", CONFIGS_PLACEHOLDER_DTYPE, 64);
    createEmptyCompound(rt, opened.file, "messages", MESSAGES_DTYPE, 1024);
    configsAddress = objectAddress(rt, opened.file.file_id, "/configs");
    messagesAddress = objectAddress(rt, opened.file.file_id, "/messages");
  } catch (error) {
    closeQuietly(opened.file);
    if (RawHdf5Error.isInstance(error)) throw error;
    throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${name}: cannot create the packet file: ${(error as Error)?.message?.split("\n")[0]}`, {
      path: name,
      cause: error,
    });
  }
  closeQuietly(opened.file);
  patchObjectHeaderOnDisk(rt, path, configsAddress, (header) =>
    patchArrayMemberHeader(header, configsAddress, "registers", CONFIG_REGISTERS, CONFIGS_ROW_SIZE, name),
  );
  patchObjectHeaderOnDisk(rt, path, messagesAddress, (header) => patchStringMemberPadding(header, messagesAddress, "message", name));
  opened = openH5(rt, scope, path, "a", ["v110", "latest"]);
  if (!opened.ok) {
    throw new RawHdf5Error(
      "RAWHDF5_IO",
      `rawhdf5: ${name}: cannot re-open the new packet file: ${summarizeDiagnostic(opened.diagnostic)}`,
      {
        path: name,
      },
    );
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
    (file.get("packets") as unknown as { create_attribute(n: string, v: string): void }).create_attribute(
      "packet_types",
      PACKET_TYPES_TEXT,
    );
    for (const dataset of ["messages", "configs"]) {
      if (rt.module.get_type(file.file_id, `/${dataset}`) !== rt.module.H5G_DATASET) {
        throw ioError(name, `cannot create the ${dataset} dataset`, scope);
      }
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

/** HDF5's unlimited dimension (`H5S_UNLIMITED`). */
const UNLIMITED = 0xffffffffffffffffn;

/**
 * An empty, resizable (maxshape None), uncompressed compound dataset, as h5py's
 * `create_dataset(shape=(0,), maxshape=(None,))`. Through h5wasm's module call: its high-level
 * `create_dataset` cannot prepare (even empty) data for an array member such as `registers`.
 */
function createEmptyCompound(rt: H5Runtime, file: H5File, name: string, dtype: CompoundDtype, chunkRows: number): void {
  const metadata = rt.h5.dtype_to_metadata(dtype as Parameters<typeof rt.h5.dtype_to_metadata>[0]);
  const ptr = rt.module._malloc(8);
  if (ptr === 0) throw new Error("wasm allocation of 8 bytes failed");
  try {
    const status = (rt.module as unknown as { create_dataset(id: bigint, path: string, ptr: bigint, meta: object): number }).create_dataset(
      file.file_id,
      `/${name}`,
      BigInt(ptr),
      {
        ...metadata,
        shape: [0n],
        maxshape: [UNLIMITED],
        chunks: [BigInt(chunkRows)],
        compression: 0,
        compression_opts: [],
        track_order: false,
      },
    );
    if (typeof status === "number" && status < 0) throw new Error(`creating ${name} returned status ${status}`);
  } finally {
    rt.module._free(ptr);
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
