/**
 * Child of rawhdf5.kill.test.ts.
 *   append PATH FROM TOTAL BATCH   append messageFor(FROM..TOTAL) in batches with toRawfile; prints "started", then "done N"
 *   packets RAW OUT                convert RAW to a packet file with PacketFileWriter; prints "started"
 */
import { PacketFileWriter, iterateRawfilePackets, toRawfile } from "../../src/node.js";
import { messageFor } from "../live/message-for.js";

const [role, path, a, b, c] = process.argv.slice(2);
if (role === "append") {
  const total = Number(b);
  const batch = Number(c);
  process.stdout.write("started\n");
  for (let from = Number(a); from < total; from += batch) {
    const msgs: Uint8Array[] = [];
    const io: number[] = [];
    for (let i = from; i < Math.min(total, from + batch); i++) {
      msgs.push(messageFor(i));
      io.push(i % 7);
    }
    const r = await toRawfile(path!, { msgs, msgHeaders: { io_groups: io } });
    process.stdout.write(`done ${r.length}\n`);
  }
} else if (role === "packets") {
  const writer = await PacketFileWriter.create(a!);
  process.stdout.write("started\n");
  for await (const block of iterateRawfilePackets(path!, { blockMessages: 50, lenient: true })) writer.append(block);
  await writer.close();
  process.stdout.write("closed\n");
} else throw new Error(`unknown role ${role}`);
