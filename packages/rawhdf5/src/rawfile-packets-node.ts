/** Packets of a raw file by path (Node), or of any other input through the platform-neutral reader. */
import { loadH5RuntimeNode } from "@daqkit/io/node";
import { fromRawfile, lenRawfile } from "./from-rawfile.js";
import type { PacketColumns } from "./pacman.js";
import {
  collectPacketBlocks,
  packetBlocks,
  type RawfilePacketsOptions,
  iterateRawfilePackets as iterateSourcePackets,
} from "./rawfile-packets.js";
import type { RawfileInput, RawfileRuntimeOptions } from "./read-source.js";

/**
 * Convert a raw file into LArPix packet rows block by block (spec §7.4). A path is read with the
 * live-file rules of `fromRawfile` (the length is taken once at the start, each block re-opens the
 * file); bytes, a `Blob`/`File` or a byte source are read as a snapshot.
 */
export async function* iterateRawfilePackets(
  input: string | RawfileInput,
  options: RawfilePacketsOptions & RawfileRuntimeOptions = {},
): AsyncGenerator<PacketColumns> {
  if (typeof input !== "string") {
    yield* iterateSourcePackets(input, { runtime: await loadH5RuntimeNode(), ...options });
    return;
  }
  const total = await lenRawfile(input, options);
  yield* packetBlocks(total, (start, end) => fromRawfile(input, { ...options, start, end }), options);
}

/** All packet rows of a raw file as one set of columns. Same options and errors as {@link iterateRawfilePackets}. */
export async function readRawfilePackets(
  input: string | RawfileInput,
  options: RawfilePacketsOptions & RawfileRuntimeOptions = {},
): Promise<PacketColumns> {
  return collectPacketBlocks(iterateRawfilePackets(input, options));
}
