/** Worker of rawhdf5.fuzz.test.ts: writes the input bytes to a temp file and runs one read operation on it. */
import { unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveInputs } from "../../../../test/support/fault-worker.js";
import { fromRawfile, lenRawfile, readRawfileInfo, readRawfilePackets } from "../../src/node.js";
import { bytesSource } from "@daqkit/io";
import { readVlenU8Direct } from "../../src/h5/direct-vlen-node.js";
import { readVlenU8DirectSource } from "../../src/h5/direct-vlen.js";
import * as neutral from "../../src/index.js";

let n = 0;
serveInputs(async (data) => {
  const { bytes, op } = data as { bytes: Uint8Array; op: string };
  const path = join(tmpdir(), `daqkit-rawhdf5-fuzz-${process.pid}-${n++}.h5`);
  writeFileSync(path, bytes);
  try {
    if (op === "len") return String(await lenRawfile(path));
    if (op === "info") return String((await readRawfileInfo(path)).length);
    if (op === "read") return String((await fromRawfile(path)).msgs!.length);
    if (op === "read-hdf5") return String((await fromRawfile(path, { directRead: false })).msgs!.length);
    if (op === "packets") return String((await readRawfilePackets(path, { lenient: true })).length);
    // The platform-neutral main entry: the bytes themselves (a snapshot, io's browser runtime).
    if (op === "bytes-read") return String((await neutral.fromRawfile(bytes)).msgs!.length);
    if (op === "bytes-info") return String((await neutral.readRawfileInfo(new Blob([bytes as Uint8Array<ArrayBuffer>]))).length);
    if (op === "bytes-packets") return String((await neutral.readRawfilePackets(bytesSource(bytes), { lenient: true })).length);
    if (op === "direct-source") {
      const r = readVlenU8DirectSource(bytesSource(bytes), "/msgs", 0, 1, 1);
      return r === null ? "declined" : String(r.bytes.length);
    }
    if (op === "direct") {
      const r = readVlenU8Direct(path, "/msgs", 0, 1, 1);
      return r === null ? "declined" : String(r.bytes.length);
    }
    throw new Error(`unknown op ${op}`);
  } finally {
    unlinkSync(path);
  }
});
