/**
 * Writing the `packets` dataset of larpix-control's LArPix packet file (`hdf5format`, version 2.4),
 * spec §7.4: a packed 36-byte compound, one row per packet, plus the `_header` group.
 */
import { existsSync, renameSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { File as H5File } from "h5wasm/node";
import { RawHdf5Error } from "./errors.js";
import { type H5Runtime, loadH5, type QuietScope, summarizeDiagnostic, withQuietHdf5 } from "./h5/h5wasm-module.js";
import { closeQuietly, openH5 } from "./h5/raw-layout.js";
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
 * Streaming writer of a LArPix packet file (`_header` + `packets`). Rows are appended with
 * {@link PacketFileWriter.append}; the file is written under a temporary name and renamed into
 * place by {@link PacketFileWriter.close}. Call {@link PacketFileWriter.abort} on failure.
 */
export class PacketFileWriter {
  readonly path: string;
  #rt: H5Runtime;
  #tmp: string;
  #file: H5File | undefined;
  #length = 0;

  private constructor(rt: H5Runtime, path: string, tmp: string, file: H5File) {
    this.#rt = rt;
    this.path = path;
    this.#tmp = tmp;
    this.#file = file;
  }

  /**
   * Create the writer (and the temporary file).
   * @throws RawHdf5Error `RAWHDF5_IO`
   */
  static async create(path: string, options: { nowSeconds?: number } = {}): Promise<PacketFileWriter> {
    const rt = await loadH5();
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
    const now = options.nowSeconds ?? Date.now() / 1000;
    return withQuietHdf5(rt, (scope) => {
      const opened = openH5(rt, scope, tmp, "w", ["v110", "latest"]);
      if (!opened.ok) {
        throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${path}: cannot create the packet file: ${summarizeDiagnostic(opened.diagnostic)}`, { path });
      }
      const file = opened.file;
      try {
        const header = file.create_group("_header");
        header.create_attribute("version", PACKET_FILE_VERSION, null, "A");
        header.create_attribute("created", now, null, "<d");
        header.create_attribute("modified", now, null, "<d");
        file.create_dataset({
          name: "packets",
          data: new Map(PACKET_DTYPE.map(([name, dtype]) => [name, dtype === "<Q" ? new BigUint64Array(0) : new Uint8Array(0)])),
          shape: [0],
          maxshape: [null],
          chunks: [65536],
          compression: "gzip",
          compression_opts: 1,
          dtype: PACKET_DTYPE,
        } as unknown as Parameters<H5File["create_dataset"]>[0]);
        if (rt.module.get_type(file.file_id, "/packets") !== rt.module.H5G_DATASET) {
          throw ioError(path, "cannot create the packets dataset", scope);
        }
      } catch (error) {
        closeQuietly(file);
        if (existsSync(tmp)) unlinkSync(tmp);
        throw error;
      }
      return new PacketFileWriter(rt, path, tmp, file);
    });
  }

  /** Rows written so far. */
  get length(): number {
    return this.#length;
  }

  /**
   * Append packet rows.
   * @throws RawHdf5Error `RAWHDF5_IO`
   */
  append(cols: PacketColumns): void {
    const file = this.#file;
    if (!file) throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${this.path}: the packet file writer is closed`, { path: this.path });
    if (cols.length === 0) return;
    const rt = this.#rt;
    const rows = packPacketRows(cols);
    withQuietHdf5(rt, (scope) => {
      const next = this.#length + cols.length;
      if (rt.module.resize_dataset(file.file_id, "/packets", [BigInt(next)]) < 0) throw ioError(this.path, "cannot resize packets", scope);
      const ptr = rt.module._malloc(rows.length);
      if (ptr === 0) throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${this.path}: wasm allocation of ${rows.length} bytes failed`);
      try {
        rt.module.HEAPU8.set(rows, ptr);
        let status: number;
        try {
          status = rt.module.set_dataset_data(file.file_id, "/packets", [BigInt(cols.length)], [BigInt(this.#length)], [1n], BigInt(ptr));
        } catch {
          status = -1;
        }
        if (status < 0) throw ioError(this.path, `cannot write packets rows ${this.#length}..${next - 1}`, scope);
      } finally {
        rt.module._free(ptr);
      }
      this.#length = next;
    });
  }

  /** Close the file and move it to its final path. */
  close(): void {
    const file = this.#file;
    if (!file) return;
    this.#file = undefined;
    withQuietHdf5(this.#rt, () => closeQuietly(file));
    renameSync(this.#tmp, this.path);
  }

  /** Close and delete the temporary file without creating `path`. */
  abort(): void {
    const file = this.#file;
    this.#file = undefined;
    if (file) withQuietHdf5(this.#rt, () => closeQuietly(file));
    if (existsSync(this.#tmp)) unlinkSync(this.#tmp);
  }
}

function ioError(path: string, what: string, scope: QuietScope): RawHdf5Error {
  const diagnostic = scope.diagnostic();
  return new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${path}: ${what}${diagnostic ? `: ${summarizeDiagnostic(diagnostic)}` : ""}`, {
    path,
    hdf5Diagnostic: diagnostic || undefined,
  });
}

/**
 * Write packet columns as a LArPix packet file (`_header` attrs version/created/modified and the
 * `packets` compound dataset). Convenience wrapper over {@link PacketFileWriter}.
 * @throws RawHdf5Error `RAWHDF5_IO`
 */
export async function writePacketFile(path: string, cols: PacketColumns): Promise<void> {
  const writer = await PacketFileWriter.create(path);
  try {
    writer.append(cols);
    writer.close();
  } catch (error) {
    writer.abort();
    throw error;
  }
}
