// LArPix raw file jobs (run in the worker): file metadata, io_groups, packets binned with
// @daqkit/rawhdf5's LarpixBinner (ADC histogram, chip × channel occupancy), and pages of messages
// with their PACMAN header fields and decoded packets.
import type { Histogram1D } from "@daqkit/io";
import {
  decodePacmanMessages,
  fromRawfile,
  iterateRawfilePackets,
  LarpixBinner,
  PACKET_FIELDS,
  PACKET_TYPES,
  PACMAN_HEADER_SIZE,
  PACMAN_WORD_SIZE,
  readRawfileInfo,
} from "@daqkit/rawhdf5";
import type { DirRef } from "../../input.js";
import type { JobContext, JobHandler } from "../protocol.js";
import { fileOf, h5Runtime } from "./files.js";

export interface LarpixArgs {
  readonly ref: DirRef;
  readonly path: string;
}

export interface LarpixSummary {
  readonly version: string;
  readonly ioVersion: string | null;
  readonly created: number;
  readonly modified: number;
  readonly messages: number;
  /** [io_group, messages] */
  readonly ioGroups: [number, number][];
  readonly packets: number;
  /** [packet type name, rows] */
  readonly packetTypes: [string, number][];
  readonly dataPackets: number;
  readonly badParity: number;
  readonly adc: Histogram1D;
  readonly occupancy: { chips: string[]; channels: number; counts: Float64Array; max: number };
}

const TYPE_NAMES = new Map<number, string>(Object.entries(PACKET_TYPES).map(([k, v]) => [v, k]));

async function input(args: LarpixArgs, ctx: JobContext) {
  return { file: await fileOf(args.ref, args.path), runtime: await h5Runtime(ctx.env) };
}

const summary: JobHandler = async (args: LarpixArgs, ctx): Promise<LarpixSummary> => {
  const { file, runtime } = await input(args, ctx);
  const info = await readRawfileInfo(file, { runtime, name: args.path });
  const headers = await fromRawfile(file, { runtime, name: args.path, msgHeadersOnly: true });
  const groups = new Map<number, number>();
  for (const g of headers.msgHeaders.io_groups) groups.set(g, (groups.get(g) ?? 0) + 1);
  const binner = new LarpixBinner();
  const types = new Map<number, number>();
  let packets = 0;
  for await (const block of iterateRawfilePackets(file, {
    runtime,
    name: args.path,
    blockMessages: 20_000,
    onProgress: (done, total) => ctx.progress(done, total, "messages"),
  })) {
    binner.addPackets(block);
    packets += block.length;
    for (let i = 0; i < block.length; i++) types.set(block.packet_type[i]!, (types.get(block.packet_type[i]!) ?? 0) + 1);
  }
  const b = binner.result();
  ctx.transfer(b.occupancy.counts.buffer);
  return {
    ...info,
    messages: info.length,
    ioGroups: [...groups.entries()].sort((x, y) => x[0] - y[0]),
    packets,
    packetTypes: [...types.entries()].sort((x, y) => x[0] - y[0]).map(([t, n]) => [TYPE_NAMES.get(t) ?? String(t), n]),
    dataPackets: b.dataPackets,
    badParity: b.badParity,
    adc: b.adc,
    occupancy: { ...b.occupancy, chips: [...b.occupancy.chips] },
  };
};

export interface LarpixPageArgs extends LarpixArgs {
  readonly start: number;
  readonly count: number;
}

export interface LarpixMessage {
  readonly index: number;
  readonly ioGroup: number;
  readonly bytes: number;
  /** PACMAN header: type letter, unix time (bytes 1–4), word count (bytes 6–7); words actually present. */
  readonly type: string;
  readonly unixTime: number;
  readonly wordCount: number;
  readonly words: number;
}

export interface LarpixPage {
  readonly start: number;
  readonly messages: LarpixMessage[];
  readonly fields: string[];
  /** Decoded packet rows of these messages: [message index, ...PACKET_FIELDS values as text]. */
  readonly packets: string[][];
}

const page: JobHandler = async (args: LarpixPageArgs, ctx): Promise<LarpixPage> => {
  const { file, runtime } = await input(args, ctx);
  const data = await fromRawfile(file, { runtime, name: args.path, start: args.start, end: args.start + args.count });
  const packed = data.packed!;
  const messages: LarpixMessage[] = [];
  const n = packed.offsets.length - 1;
  for (let m = 0; m < n; m++) {
    const a = packed.offsets[m]!;
    const len = packed.offsets[m + 1]! - a;
    const view = new DataView(packed.bytes.buffer, packed.bytes.byteOffset + a, len);
    messages.push({
      index: args.start + m,
      ioGroup: data.msgHeaders.io_groups[m]!,
      bytes: len,
      type: len > 0 ? String.fromCharCode(view.getUint8(0)) : "",
      unixTime: len >= 5 ? view.getUint32(1, true) : Number.NaN,
      wordCount: len >= PACMAN_HEADER_SIZE ? view.getUint16(6, true) : Number.NaN,
      words: Math.max(0, Math.floor((len - PACMAN_HEADER_SIZE) / PACMAN_WORD_SIZE)),
    });
  }
  const cols = decodePacmanMessages(packed.bytes, packed.offsets, data.msgHeaders.io_groups, { firstMessageIndex: args.start });
  const packets: string[][] = [];
  for (let i = 0; i < cols.length; i++) {
    packets.push([String(cols.message_index[i]), ...PACKET_FIELDS.map((f) => String((cols[f] as ArrayLike<number | bigint>)[i]))]);
  }
  return { start: args.start, messages, fields: ["message", ...PACKET_FIELDS], packets };
};

export const larpixJobs: Record<string, JobHandler> = { "larpix.summary": summary, "larpix.page": page };
