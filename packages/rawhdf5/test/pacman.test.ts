import { describe, expect, test } from "vitest";
import { decodePacmanMessages, PACKET_FIELDS, parseMessage, RawHdf5Error } from "../src/node.js";
import { EXPECTED, fromHex } from "./helpers.js";

const two = EXPECTED["raw_v0_0_two_iogroups.h5"]!;

function rowsOf(msgHex: string, ioGroup: number): number[][] {
  return parseMessage(fromHex(msgHex), ioGroup).map((p) => PACKET_FIELDS.map((f) => p[f]));
}

/** Build a PACMAN message: header (type, time, word count) + 16-byte words. */
function message(type: string, time: number, words: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(8 + 16 * words.length);
  const view = new DataView(out.buffer);
  out[0] = type.charCodeAt(0);
  view.setUint32(1, time, true);
  view.setUint16(6, words.length, true);
  for (const [i, w] of words.entries()) out.set(w, 8 + 16 * i);
  return out;
}

function word(letter: string, fill: (view: DataView, bytes: Uint8Array) => void = () => {}): Uint8Array {
  const w = new Uint8Array(16);
  w[0] = letter.charCodeAt(0);
  fill(new DataView(w.buffer), w);
  return w;
}

describe("parseMessage (spec §7)", () => {
  test("every message of the Python test file gives its expected rows", () => {
    let at = 0;
    two.msgs_hex.forEach((m, i) => {
      const rows = rowsOf(m, two.io_groups[i]!);
      expect(rows).toEqual(two.packets!.rows.slice(at, at + rows.length));
      at += rows.length;
    });
    expect(at).toBe(two.packets!.rows.length);
  });

  test("packet bit-fields, parity and the header timestamp", () => {
    // chip 11, channel 5, timestamp 1000, adc 100 (first message, first word)
    const rows = parseMessage(fromHex(two.msgs_hex[0]!), 1);
    expect(rows[0]).toMatchObject({ packet_type: 4, timestamp: 1700000000, io_group: 1 });
    expect(rows[1]).toMatchObject({
      packet_type: 0,
      chip_id: 11,
      channel_id: 5,
      timestamp: 1000,
      dataword: 100,
      valid_parity: 1,
      io_channel: 1,
      receipt_timestamp: 123456,
    });
    expect(rows[2]).toMatchObject({
      timestamp: 2 ** 31 - 1,
      first_packet: 1,
      trigger_type: 2,
      local_fifo: 1,
      shared_fifo: 3,
      downstream_marker: 1,
    });
    // message 4's second packet has deliberately wrong parity
    const bad = parseMessage(fromHex(two.msgs_hex[4]!), 1);
    expect(bad.map((r) => r.valid_parity)).toEqual([0, 1, 0]);
  });

  test("request/reply messages: TX words give packets, others none; no receipt timestamp", () => {
    const tx = word("D", (v, b) => {
      b[1] = 3;
      v.setUint32(2, 999, true);
      v.setUint32(8, 0b10_0000_0001, true); // chip 128? type 1
    });
    const req = message("?", 5, [word("P"), word("W"), word("R"), tx]);
    const rows = parseMessage(req, 7);
    expect(rows.map((r) => r.packet_type)).toEqual([4, 1]);
    expect(rows[1]).toMatchObject({ io_channel: 3, receipt_timestamp: 0, io_group: 7, chip_id: 128 });
    const rep = message("!", 6, [word("P"), word("E"), tx]);
    expect(parseMessage(rep, 1).length).toBe(2);
  });

  test.each([
    ["unknown message type", message("X", 1, []), "RAWHDF5_BAD_PACMAN_MESSAGE", 0],
    ["word not legal in DATA", message("D", 1, [word("P")]), "RAWHDF5_BAD_PACMAN_MESSAGE", 8],
    ["TRIG in a request", message("?", 1, [word("T")]), "RAWHDF5_BAD_PACMAN_MESSAGE", 8],
    ["short header", new Uint8Array([0x44, 0, 0]), "RAWHDF5_TRUNCATED_PACMAN_MESSAGE", 0],
    ["partial trailing word", message("D", 1, [word("D")]).subarray(0, 20), "RAWHDF5_TRUNCATED_PACMAN_MESSAGE", 8],
  ])("%s is a coded error with its byte offset", (_label, bytes, code, byteOffset) => {
    let error: unknown;
    try {
      parseMessage(bytes, 1);
    } catch (e) {
      error = e;
    }
    expect(RawHdf5Error.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code, byteOffset, messageIndex: 0 });
  });

  test("lenient mode skips what strict mode rejects", () => {
    expect(parseMessage(message("X", 1, []), 1, { lenient: true })).toEqual([]);
    const mixed = message("D", 9, [word("P"), word("T", (v) => v.setUint32(4, 77, true))]);
    expect(parseMessage(mixed, 1, { lenient: true }).map((r) => [r.packet_type, r.timestamp])).toEqual([
      [4, 9],
      [7, 77],
    ]);
    const partial = message("D", 1, [word("S"), word("S")]).subarray(0, 30);
    expect(parseMessage(partial, 1, { lenient: true }).length).toBe(2);
  });

  test("bulk decoding reports the message index of errors", () => {
    const msgs = [message("D", 1, []), message("Z", 1, [])];
    const bytes = new Uint8Array(16);
    bytes.set(msgs[0]!, 0);
    bytes.set(msgs[1]!, 8);
    expect(() => decodePacmanMessages(bytes, [0, 8, 16], [1, 1], { firstMessageIndex: 100 })).toThrow(
      expect.objectContaining({ code: "RAWHDF5_BAD_PACMAN_MESSAGE", messageIndex: 101 }),
    );
    const cols = decodePacmanMessages(bytes, [0, 8, 16], [1, 2], { lenient: true, firstMessageIndex: 100 });
    expect(cols.length).toBe(1);
    expect(Array.from(cols.message_index)).toEqual([100]);
  });
});
