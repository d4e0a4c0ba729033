// Runs in Chromium (bundled by test/support/browser.ts): reads a testdata file through the Blob/File
// and HTTP byte sources and an HTTP directory source, and returns what it read.
import {
  blobSource,
  bytesSource,
  type ByteSource,
  fileListDirectory,
  openHttpDirectory,
  openHttpSource,
  readAll,
} from "../../src/index.js";

const RANGES: [number, number][] = [
  [0, 8],
  [1000, 333],
  [4096, 4096],
];

async function sample(source: ByteSource): Promise<{ size: number; ranges: number[][]; sum: number }> {
  const ranges: number[][] = [];
  for (const [o, l] of RANGES) ranges.push([...(await source.read(o, l))]);
  ranges.push([...(await source.read(source.size - 7, 7))]);
  let sum = 0;
  for (const b of await readAll(source)) sum = (sum + b) % 1_000_000_007;
  return { size: source.size, ranges, sum };
}

export async function run(arg: { path: string }, origin: string) {
  const url = `${origin}${arg.path}`;
  const whole = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const file = new File([whole], arg.path.split("/").pop()!);
  const http = await openHttpSource(url);
  let outOfRange = "";
  try {
    await http.read(http.size, 1);
  } catch (e) {
    outOfRange = (e as { code: string }).code;
  }
  const dir = await openHttpDirectory(`${origin}/testdata/gen2-bin/`);
  const listed = (await dir.list()).map((e) => `${e.kind}:${e.path}:${e.size}`);
  const picked = fileListDirectory([
    Object.defineProperty(new File([whole], file.name), "webkitRelativePath", { value: `night/${file.name}` }),
  ]);
  return {
    file: await sample(blobSource(file)),
    http: await sample(http),
    bytes: await sample(bytesSource(whole)),
    picked: (await picked.list()).map((e) => e.path),
    outOfRange,
    listed,
  };
}
