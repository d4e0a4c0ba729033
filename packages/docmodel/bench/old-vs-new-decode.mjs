// Old vs new build of the decoder, interleaved in one process (7 rounds each, alternating order, medians):
// decodeMsgpackRecords and loadMsgpackRunBytes + read() over N one-row numeric event pages (5 `number` keys; every
// 4th event has an integral float, which the decoder marks for the re-export).
//
// Make the two bundles first (esbuild from node_modules/.pnpm, apache-arrow external), e.g. for the issue-15 work:
//   git archive f28a234 packages/docmodel/src | tar -x -C /tmp/old
//   esbuild /tmp/old/packages/docmodel/src/index.ts --bundle --platform=node --format=esm --external:apache-arrow \
//     --outfile=packages/docmodel/.bench-tmp/old.mjs   (and src/index.ts → .bench-tmp/new.mjs)
//   node packages/docmodel/bench/old-vs-new-decode.mjs packages/docmodel/.bench-tmp 300000
import { pathToFileURL } from "node:url";
import { join, resolve } from "node:path";

const dir = resolve(process.argv[2] ?? ".bench-tmp");
const N = Number(process.argv[3] ?? 300000);
const oldM = await import(pathToFileURL(join(dir, "old.mjs")).href);
const newM = await import(pathToFileURL(join(dir, "new.mjs")).href);
const run = newM.composeRun({ uid: "bench", time: 1 });
const keys = ["a", "b", "c", "d", "e"];
const d = run.composeDescriptor({
  name: "primary",
  data_keys: Object.fromEntries(keys.map((k) => [k, { dtype: "number", shape: [], source: "s" }])),
});
function* docs() {
  yield ["start", run.startDoc];
  yield ["descriptor", d.descriptorDoc];
  for (let i = 0; i < N; i++) {
    const data = { a: i + 0.5, b: i * 2.25, c: 1.5, d: -i - 0.25, e: 3.75 };
    yield ["event", d.composeEvent({ data, timestamps: { a: i, b: i, c: i, d: i, e: i }, time: 1 + i / 1000, validate: false })];
  }
  yield ["stop", run.composeStop({ time: 1 + N })];
}
const bytes = newM.encodeMsgpackRun(docs());
console.log(`${N} events, ${(bytes.length / 2 ** 20).toFixed(1)} MiB`);
const phases = {
  decodeMsgpackRecords: (m) => {
    let n = 0;
    for (const _ of m.decodeMsgpackRecords(bytes)) n++;
    return n;
  },
  "loadMsgpackRunBytes + read()": (m) => m.loadMsgpackRunBytes(bytes).stream("primary").read().length,
};
const median = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const [name, f] of Object.entries(phases)) {
  const t = { old: [], new: [] };
  for (let r = 0; r < 7; r++) {
    for (const which of r % 2 ? ["new", "old"] : ["old", "new"]) {
      const s = process.hrtime.bigint();
      f(which === "old" ? oldM : newM);
      t[which].push(Number(process.hrtime.bigint() - s) / 1e6);
    }
  }
  const [o, n] = [median(t.old), median(t.new)];
  console.log(`${name}: old ${o.toFixed(0)} ms, new ${n.toFixed(0)} ms, new/old ${(n / o).toFixed(2)}`);
}
