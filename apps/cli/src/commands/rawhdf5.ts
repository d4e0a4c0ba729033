import { extname } from "node:path";
import {
  followRawfile,
  fromRawfile,
  iterateRawfilePackets,
  PacketFileWriter,
  packetColumnsToArrow,
  readRawfileInfo,
  repairRawfile,
  toRawfile,
  type PacketColumns,
} from "@daqkit/rawhdf5/node";
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { CliUsageError } from "../errors.js";
import { inputName, readInput } from "../input.js";
import { writeTableFile } from "../table-output.js";

function parseIndex(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(text))
    throw new CliUsageError(`${what} must be an integer (negative counts from the end), got ${JSON.stringify(text)}`);
  return Number(text);
}

function parsePositive(text: string | undefined, what: string, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0) throw new CliUsageError(`${what} must be a positive number, got ${JSON.stringify(text)}`);
  return v;
}

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** The PACMAN header of a message: type letter (`D` data, `?` request, `!` reply), unix seconds, word count; null when it is none. */
function pacmanHeader(bytes: Uint8Array): { type: string; unixTime: number; words: number } | null {
  if (bytes.length < 8) return null;
  const typeByte = bytes[0]!;
  if (typeByte !== 0x44 && typeByte !== 0x3f && typeByte !== 0x21) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { type: String.fromCharCode(typeByte), unixTime: view.getUint32(1, true), words: view.getUint16(6, true) };
}

/** A short description of a PACMAN message: type letter, unix time, word count. */
function describeMessage(bytes: Uint8Array): string {
  if (bytes.length < 8) return `(${bytes.length} bytes, shorter than a PACMAN header)`;
  const h = pacmanHeader(bytes);
  if (!h) return `(not a PACMAN message: type byte 0x${bytes[0]!.toString(16).padStart(2, "0")})`;
  return `${h.type} t=${h.unixTime} words=${h.words}`;
}

function isoSeconds(s: number): string {
  return new Date(s * 1000).toISOString();
}

interface MessageLine {
  index: number;
  ioGroup: number;
  bytes: number;
  /** The PACMAN header fields the text mode shows (null when the message has no PACMAN header). */
  pacman: { type: string; unixTime: number; words: number } | null;
  hex?: string;
}

function messageLines(start: number, msgs: Uint8Array[], ioGroups: Uint8Array, withHex: boolean, rows?: Float64Array): MessageLine[] {
  return msgs.map((m, i) => ({
    index: rows ? rows[i]! : start + i,
    ioGroup: ioGroups[i]!,
    bytes: m.length,
    pacman: pacmanHeader(m),
    ...(withHex ? { hex: hexOf(m) } : {}),
  }));
}

function humanLines(lines: MessageLine[], msgs: Uint8Array[], header = true): string {
  if (lines.length === 0) return "";
  const head = `index\tio_group\tsize\tpacman${lines[0]!.hex !== undefined ? "\thex" : ""}`;
  const body = lines
    .map(
      (l, i) => `${l.index}\tio_group=${l.ioGroup}\t${l.bytes} B\t${describeMessage(msgs[i]!)}${l.hex !== undefined ? `\t${l.hex}` : ""}`,
    )
    .join("\n");
  return header ? `${head}\n${body}` : body;
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Messages to append, from MSGFILE (`-` is stdin; pipes work): a raw HDF5 file (its messages and io_groups),
 * a JSON array (hex strings or `{ "hex": …, "io_group": n }`), or text with one `HEX` or `IO_GROUP HEX` per line.
 * The format is taken from the content: the HDF5 signature, else JSON when it starts with `[` (or the name ends in .json).
 */
async function readMessageFile(source: string, defaultIoGroup: number): Promise<{ msgs: Uint8Array[]; ioGroups: number[] }> {
  const bytes = await readInput(source);
  const path = inputName(source);
  if (bytes.length >= 8 && Buffer.from(bytes.buffer, bytes.byteOffset, 8).equals(HDF5_SIGNATURE)) {
    const data = await fromRawfile(bytes);
    return { msgs: data.msgs!, ioGroups: Array.from(data.msgHeaders.io_groups) };
  }
  const text = new TextDecoder().decode(bytes);
  const msgs: Uint8Array[] = [];
  const ioGroups: number[] = [];
  const hexBytes = (h: string, where: string): Uint8Array => {
    const clean = h.replace(/^0x/i, "");
    if (!/^([0-9a-fA-F]{2})*$/.test(clean))
      throw new CliUsageError(`${path}: ${where}: not an even-length hex string: ${JSON.stringify(h.slice(0, 40))}`);
    return new Uint8Array(Buffer.from(clean, "hex"));
  };
  if (extname(source).toLowerCase() === ".json" || text.trimStart().startsWith("[")) {
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch (error) {
      throw new CliUsageError(`${path}: invalid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(items))
      throw new CliUsageError(`${path}: expected a JSON array of hex strings or {"hex": "...", "io_group": n} objects`);
    items.forEach((item, i) => {
      if (typeof item === "string") {
        msgs.push(hexBytes(item, `item ${i}`));
        ioGroups.push(defaultIoGroup);
      } else if (item && typeof item === "object" && typeof (item as { hex?: unknown }).hex === "string") {
        msgs.push(hexBytes((item as { hex: string }).hex, `item ${i}`));
        ioGroups.push(Number((item as { io_group?: unknown }).io_group ?? defaultIoGroup));
      } else {
        throw new CliUsageError(`${path}: item ${i}: expected a hex string or {"hex": "...", "io_group": n}`);
      }
    });
    return { msgs, ioGroups };
  }
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const parts = line.split(/\s+/);
    if (parts.length === 1) {
      msgs.push(hexBytes(parts[0]!, `line ${i + 1}`));
      ioGroups.push(defaultIoGroup);
    } else if (parts.length === 2 && /^\d+$/.test(parts[0]!)) {
      msgs.push(hexBytes(parts[1]!, `line ${i + 1}`));
      ioGroups.push(Number(parts[0]));
    } else {
      throw new CliUsageError(`${path}: line ${i + 1}: expected "HEX" or "IO_GROUP HEX"`);
    }
  });
  return { msgs, ioGroups };
}

/** Stream packet blocks into a Parquet file (zstd, 1M-row row groups), pulled block by block. */
async function writePacketsTable(out: string, blocks: AsyncIterable<PacketColumns>): Promise<number> {
  async function* tables() {
    for await (const block of blocks) if (block.length > 0) yield await packetColumnsToArrow(block);
  }
  return await writeTableFile(out, tables(), { emptyTable: () => packetColumnsToArrow(emptyColumns()) });
}

function emptyColumns(): PacketColumns {
  const u8 = new Uint8Array(0);
  return {
    length: 0,
    io_group: u8,
    io_channel: u8,
    chip_id: u8,
    packet_type: u8,
    downstream_marker: u8,
    parity: u8,
    valid_parity: u8,
    channel_id: u8,
    timestamp: new BigUint64Array(0),
    dataword: u8,
    trigger_type: u8,
    local_fifo: u8,
    shared_fifo: u8,
    register_address: u8,
    register_data: u8,
    direction: u8,
    local_fifo_events: u8,
    shared_fifo_events: new Uint16Array(0),
    counter: new Uint32Array(0),
    fifo_diagnostics_enabled: u8,
    first_packet: u8,
    receipt_timestamp: new Uint32Array(0),
    message_index: new Float64Array(0),
  };
}

/** `daqkit rawhdf5 …`: LArPix raw HDF5 message files (larpix-control rawhdf5format). */
export function registerRawhdf5Commands(program: Command, getContext: () => CliContext): void {
  const group = program
    .command("rawhdf5")
    .description("LArPix raw HDF5 message files (larpix-control rawhdf5format 0.0): inspect, append, follow, convert to packets");

  group
    .command("info")
    .description("file version, io_version, created/modified times, message count and io_group histogram")
    .argument("<file>", "raw HDF5 file")
    .action(async (file: string) => {
      const ctx = getContext();
      const info = await fromRawfile(file, { msgHeadersOnly: true });
      const headers = info;
      const histogram = new Map<number, number>();
      for (const g of headers.msgHeaders.io_groups) histogram.set(g, (histogram.get(g) ?? 0) + 1);
      const ioGroups = Object.fromEntries([...histogram.entries()].sort((a, b) => a[0] - b[0]).map(([g, n]) => [String(g), n]));
      const result = {
        file,
        version: info.version,
        ioVersion: info.ioVersion,
        created: info.created,
        modified: info.modified,
        count: headers.length,
        ioGroups,
      };
      ctx.print(result, () =>
        [
          `file       ${file}`,
          `version    ${info.version}`,
          `io_version ${info.ioVersion ?? "(none)"}`,
          `created    ${isoSeconds(info.created)} (${info.created})`,
          `modified   ${isoSeconds(info.modified)} (${info.modified})`,
          `messages   ${headers.length}`,
          `io_groups  ${
            Object.entries(ioGroups)
              .map(([g, n]) => `${g}: ${n}`)
              .join(", ") || "(none)"
          }`,
        ].join("\n"),
      );
    });

  group
    .command("cat")
    .description("print messages: index, io_group, size, PACMAN type/time/words (and bytes with --hex)")
    .argument("<file>", "raw HDF5 file")
    .option("--start <n>", "first message (negative counts from the end; use --start=-N)")
    .option("--end <n>", "end message, exclusive (negative counts from the end)")
    .option("--hex", "also print each message's bytes in hex", false)
    .action(async (file: string, opts: { start?: string; end?: string; hex: boolean }) => {
      const ctx = getContext();
      const data = await fromRawfile(file, { start: parseIndex(opts.start, "--start"), end: parseIndex(opts.end, "--end") });
      const lines = messageLines(0, data.msgs!, data.msgHeaders.io_groups, opts.hex, data.rows);
      ctx.print({ file, count: lines.length, messages: lines }, () => humanLines(lines, data.msgs!) || "(no messages)");
    });

  group
    .command("append")
    .description(
      "append messages to FILE (created if missing) from MSGFILE: a raw HDF5 file, a JSON array, or text lines 'HEX' / 'IO_GROUP HEX'",
    )
    .argument("<file>", "raw HDF5 file to append to")
    .requiredOption("--from <msgfile>", "messages to append ('-' reads stdin)")
    .option("--io-group <n>", "io_group for messages that do not name one", "0")
    .option("--io-version <v>", "message-encoding version (stored in a new file; checked against an existing one)")
    .option("--file-version <v>", "file-format version to require (default: 0.0 for a new file, the file's for an existing one)")
    .action(async (file: string, opts: { from: string; ioGroup: string; ioVersion?: string; fileVersion?: string }) => {
      const ctx = getContext();
      const ioGroup = Number(opts.ioGroup);
      if (!Number.isInteger(ioGroup) || ioGroup < 0 || ioGroup > 255)
        throw new CliUsageError(`--io-group must be an integer in 0..255, got ${JSON.stringify(opts.ioGroup)}`);
      const { msgs, ioGroups } = await readMessageFile(opts.from, ioGroup);
      const result = await toRawfile(file, {
        msgs,
        msgHeaders: { io_groups: ioGroups },
        ioVersion: opts.ioVersion ?? null,
        version: opts.fileVersion ?? null,
      });
      ctx.print(
        { file, appended: msgs.length, length: result.length, created: result.created },
        () => `${result.created ? "created" : "appended to"} ${file}: +${msgs.length} messages, ${result.length} in total`,
      );
    });

  group
    .command("follow")
    .description("print messages as they are appended to FILE (by daqkit or larpix-control); Ctrl-C to stop")
    .argument("<file>", "raw HDF5 file being written")
    .option("--start <n>", "first message to print (negative: from the end; use --start=-N)", "-10")
    .option("--hex", "also print each message's bytes in hex", false)
    .option("--poll-ms <ms>", "pause between polls when idle", "200")
    .option("--idle-timeout <s>", "stop after this many seconds without new messages")
    .option("--wait", "wait for FILE to appear", false)
    .action(async (file: string, opts: { start?: string; hex: boolean; pollMs: string; idleTimeout?: string; wait: boolean }) => {
      const ctx = getContext();
      const controller = new AbortController();
      const onSigint = (): void => controller.abort();
      process.once("SIGINT", onSigint);
      let total = 0;
      try {
        const start = parseIndex(opts.start, "--start");
        const idle = opts.idleTimeout === undefined ? undefined : parsePositive(opts.idleTimeout, "--idle-timeout", 1) * 1000;
        for await (const batch of followRawfile(file, {
          start: start ?? -10,
          pollMs: parsePositive(opts.pollMs, "--poll-ms", 200),
          idleTimeoutMs: idle,
          waitForFile: opts.wait,
          signal: controller.signal,
        })) {
          const lines = messageLines(batch.start, batch.msgs, batch.ioGroups, opts.hex);
          total += lines.length;
          ctx.print({ file, start: batch.start, messages: lines }, () => humanLines(lines, batch.msgs, total === lines.length));
        }
      } finally {
        process.removeListener("SIGINT", onSigint);
      }
      if (!ctx.json) ctx.print(null, () => `(followed ${total} messages)`);
    });

  group
    .command("repair")
    .description(
      "make a file left behind by a crashed writer readable and appendable again (clears the 'open for write' flags like h5clear -s, raises a stale end-of-file address like h5clear --increment, truncates msgs/msg_headers to their complete common prefix); run only when no writer is using FILE",
    )
    .argument("<file>", "raw HDF5 file")
    .action(async (file: string) => {
      const ctx = getContext();
      const report = await repairRawfile(file);
      ctx.print(report, () => {
        if (!report.changed) return `${file}: nothing to repair (${report.kept} messages, no writer flags)`;
        const done = [
          report.flagsBefore !== 0 ? `cleared the superblock's open-for-write flags (0x${report.flagsBefore.toString(16)})` : "",
          report.eofRaisedBy > 0
            ? `raised the stored end of file by ${report.eofRaisedBy} bytes to cover what the crashed writer allocated`
            : "",
          report.extendedBytes > 0 ? `extended the file by ${report.extendedBytes} bytes to its end of file` : "",
          report.kept !== report.msgsRows || report.kept !== report.headersRows
            ? `truncated msgs (${report.msgsRows} rows) and msg_headers (${report.headersRows} rows) to ${report.kept} complete messages`
            : "",
          report.recreated.length > 0 ? `re-created meta@${report.recreated.join(", meta@")}` : "",
        ].filter((t) => t !== "");
        return `${file}: repaired: ${done.join("; ")}; ${report.kept} messages kept`;
      });
    });

  group
    .command("to-packets")
    .description(
      "convert a raw file's PACMAN messages into LArPix packets: --out X.h5 (larpix hdf5format 'packets' dataset), X.parquet, X.arrow (Arrow IPC file) or X.arrows (Arrow IPC stream)",
    )
    .argument("<file>", "raw HDF5 file")
    .requiredOption("--out <path>", "output file, .h5/.hdf5, .parquet, .arrow (Arrow IPC file) or .arrows (Arrow IPC stream)")
    .option("--lenient", "skip unknown message types, illegal words and partial words instead of failing", false)
    .option("--block <n>", "messages converted per block", "100000")
    .action(async (file: string, opts: { out: string; lenient: boolean; block: string }) => {
      const ctx = getContext();
      const ext = extname(opts.out).toLowerCase();
      if (![".h5", ".hdf5", ".parquet", ".arrow", ".arrows"].includes(ext))
        throw new CliUsageError(`--out must end in .h5, .hdf5, .parquet, .arrow or .arrows, got ${JSON.stringify(opts.out)}`);
      const blockMessages = Math.trunc(parsePositive(opts.block, "--block", 100_000));
      const info = await readRawfileInfo(file);
      const progress = ctx.progress(info.length, "to-packets");
      let packets = 0;
      try {
        const blocks = iterateRawfilePackets(file, { blockMessages, lenient: opts.lenient, onProgress: (done) => progress.update(done) });
        if (ext === ".parquet" || ext === ".arrow" || ext === ".arrows") {
          packets = await writePacketsTable(opts.out, blocks);
        } else {
          const writer = await PacketFileWriter.create(opts.out);
          try {
            for await (const block of blocks) writer.append(block);
            packets = writer.length;
            await writer.close();
          } catch (error) {
            await writer.abort();
            throw error;
          }
        }
      } finally {
        progress.stop();
      }
      ctx.print(
        { file, out: opts.out, messages: info.length, packets },
        () => `${file}: ${info.length} messages → ${packets} packets in ${opts.out}`,
      );
    });
}
