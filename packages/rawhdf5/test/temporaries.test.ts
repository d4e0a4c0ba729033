// Temporaries follow io's one scheme: the next writer of a name removes the temporaries of dead
// writers (io's `.NAME.daqkit-PID-HOST-RANDOM.tmp` and this package's earlier `.NAME.PID.RANDOM[.repair].tmp`),
// never a live writer's; writers leave none behind.
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { temporaryPathFor } from "@daqkit/io/node";
import { afterAll, expect, test } from "vitest";
import { readRawfilePackets, repairRawfile, toRawfile, writePacketFile } from "../src/node.js";
import { copyPythonFile, tempDir } from "./helpers.js";

const { dir, cleanup } = tempDir();
afterAll(cleanup);

/** PID far above any pid_max: never a live process. */
const DEAD = 999_999_999;

function staleFiles(path: string): { dead: string[]; live: string } {
  const ours = temporaryPathFor(path);
  const dead = [
    ours.replace(`.daqkit-${process.pid}-`, `.daqkit-${DEAD}-`),
    join(dir, `.${basename(path)}.${DEAD}.k3j9x0ab.tmp`),
    join(dir, `.${basename(path)}.${DEAD}.k3j9x0ab.repair.tmp`),
  ];
  for (const p of [...dead, ours]) writeFileSync(p, "partial");
  return { dead, live: ours };
}

function temporariesOf(path: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith(`.${basename(path)}.`));
}

test("toRawfile creating a file, writePacketFile and repairRawfile remove dead writers' temporaries and keep live ones", async () => {
  const raw = join(dir, "new.h5");
  let { dead, live } = staleFiles(raw);
  await toRawfile(raw, { msgs: [new Uint8Array([1, 2])], msgHeaders: { io_groups: [1] } });
  for (const p of dead) expect(existsSync(p)).toBe(false);
  expect(temporariesOf(raw)).toEqual([basename(live)]);

  const packets = join(dir, "packets.h5");
  ({ dead, live } = staleFiles(packets));
  await writePacketFile(packets, await readRawfilePackets(copyPythonFile("raw_v0_0_two_iogroups.h5", dir)));
  expect(temporariesOf(packets)).toEqual([basename(live)]);

  const repaired = copyPythonFile("raw_v0_0_two_appends.h5", dir);
  ({ dead, live } = staleFiles(repaired));
  const report = await repairRawfile(repaired);
  expect(report.changed).toBe(false);
  expect(temporariesOf(repaired)).toEqual([basename(live)]);
});
