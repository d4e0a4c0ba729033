// What any JavaScript reader of the docmodel bench file must hold at least (issue 17): a Node process that reads the
// file through a 1 MiB window with one hot loop (so the optimizing compiler runs, as in every fast reader) into the
// six Float64Array columns of N rows that `read()` returns (`time` and five data keys). It is not a decoder: it reads
// six float64 words per record at a fixed stride (file size / N), which costs the same memory as decoding them.
// Prints its peak RSS (process.resourceUsage().maxRSS, MiB); compare with the bench's `read-load` phase, whose
// process also imports docmodel and runs its loader and `read()`:
//   node packages/docmodel/bench/docmodel.bench.mjs export DIR      (writes DIR/bench-run.msgpack)
//   node packages/docmodel/bench/read-rss-floor.mjs DIR/bench-run.msgpack [--import]
//   node packages/docmodel/bench/docmodel.bench.mjs read-load DIR
// With --import, docmodel (both entries) is imported first and not used: the cost of loading its code.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

const [file, flag] = process.argv.slice(2);
if (!file) throw new Error("usage: read-rss-floor.mjs FILE [--import]");
if (flag === "--import") {
  await import("@daqkit/docmodel");
  await import("@daqkit/docmodel/node");
}
const N = Number(process.env.DOCMODEL_BENCH_EVENTS ?? 1_000_000);
const fd = openSync(file, "r");
const stride = Math.floor(fstatSync(fd).size / N);
const columns = Array.from({ length: 6 }, () => new Float64Array(N));
const window = new Uint8Array(1 << 20);
const view = new DataView(window.buffer);
let row = 0;
let filePos = 0;
let n = readSync(fd, window, 0, window.length, 0);
while (n >= stride && row < N) {
  let o = 0;
  for (; o + stride <= n && row < N; o += stride, row++) for (let j = 0; j < 6; j++) columns[j][row] = view.getFloat64(o + 8 * j);
  filePos += o;
  n = readSync(fd, window, 0, window.length, filePos);
}
closeSync(fd);
let check = 0;
for (const c of columns) check += c[N - 1];
console.log(
  JSON.stringify({
    rows: row,
    peakRssMiB: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
    imported: flag === "--import",
    check,
  }),
);
