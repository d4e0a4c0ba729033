// Runs in Chromium (bundled by test/support/browser.ts): decodes a gen2 night folder through the
// platform-neutral main entry, from the HTTP listing and from the `File`s of an <input type=file>.
import { fileListDirectory, openHttpDirectory } from "@daqkit/io";
import { GEN2_WRAP_US, TimestampRange } from "@daqkit/timestamps";
import type { Table } from "apache-arrow";
import {
  BinSerializer,
  BinSourceDirectory,
  decodeGen2Source,
  type Gen2ReadResult,
  gen2Checksum,
  scanGen2Headers,
} from "../../src/index.js";

function checksumOf(r: Gen2ReadResult): { photons: number; checksum: string } {
  const col = (t: Table, name: string) => t.getChild(name)!.toArray();
  const checksum = gen2Checksum(
    {
      xy: col(r.photons, "xy"),
      timestamp: col(r.photons, "timestamp"),
      phase: col(r.photons, "phase"),
      baseline: col(r.photons, "baseline"),
    },
    {
      x: col(r.wide, "x"),
      y: col(r.wide, "y"),
      timestamp: col(r.wide, "timestamp"),
      phase: col(r.wide, "phase"),
      baseline: col(r.wide, "baseline"),
    },
  );
  return { photons: r.photons.numRows + r.wide.numRows, checksum };
}

function decodedArrays(t: Table) {
  const col = (name: string) => t.getChild(name)!.toArray();
  // the serializer reduces timestamps mod M: compare like with like
  const timestamp = (col("timestamp") as BigInt64Array).map((v) => v % BigInt(GEN2_WRAP_US));
  return { xy: col("xy"), timestamp, phase: col("phase"), baseline: col("baseline") };
}

export async function run(arg: { mode: "http" | "files"; path: string; range: [number, number] }, origin: string) {
  const source =
    arg.mode === "http"
      ? await openHttpDirectory(`${origin}${arg.path}`)
      : fileListDirectory(Array.from((document.getElementById("files") as HTMLInputElement).files!), "night");
  const dir = await BinSourceDirectory.open(source);
  const all = checksumOf(await dir.readAll());
  const inRange = checksumOf(await dir.readTimerange(new TimestampRange(arg.range[0], arg.range[1])));
  const first = await source.open(dir.files[0]!.path);
  const decoded = await decodeGen2Source(first, { chunkBytes: 64 * 1024 });
  const span = await scanGen2Headers(first);
  // Serialize the first file's photons to bytes and decode them back from a Blob (a download).
  const board2pixel = new Map<number, Set<number>>();
  const xy = decoded.photons.getChild("xy")!.toArray() as Uint16Array;
  const board = (await decodeGen2Source(first, { board: true })).photons.getChild("board")!.toArray() as Uint8Array;
  xy.forEach((v, i) => {
    const b = board[i]!;
    if (!board2pixel.has(b)) board2pixel.set(b, new Set());
    board2pixel.get(b)!.add(v);
  });
  const files = new BinSerializer({ board2pixel, year: 2026 }).serializeToBytes(
    decoded.photons.select(["xy", "timestamp", "phase", "baseline"]),
  );
  const back = await decodeGen2Source(new Blob(files.map((f) => f.bytes as BlobPart)));
  return {
    files: dir.files.map((f) => f.name),
    all,
    inRange,
    firstFile: {
      photons: decoded.stats.photons + decoded.stats.widePhotons,
      firstHeader: span?.first.timestamp,
      lastHeader: span?.last.timestamp,
    },
    serialized: {
      files: files.length,
      photons: back.stats.photons,
      checksum: gen2Checksum(decodedArrays(back.photons)),
      expected: gen2Checksum(decodedArrays(decoded.photons)),
    },
  };
}
