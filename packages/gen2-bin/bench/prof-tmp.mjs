import { readFileSync, readdirSync } from "node:fs";
const m = await import("../dist/" + readdirSync(new URL("../dist/", import.meta.url)).find(n => n.startsWith("chunk-") && n.endsWith(".js")));
const f = "/work/main/bench/.data/gen2-bin/one-25000000/1602050064.bin";
const bytes = readFileSync(f);
const w = m.wordView(bytes); const n = w.length / 2;
const reused = new m.PhotonColumns(n);
for (let r = 0; r < 4; r++) {
  globalThis.gc();
  let t0 = performance.now();
  reused.length = 0; m.decodeWords(w, 0, n, m.createDecoderState(), reused, new m.WidePhotonColumns());
  let t1 = performance.now();
  const o = new m.PhotonColumns(n);
  o.xy.fill(0); o.tsPairs.fill(0); o.phase.fill(0); o.baseline.fill(0);
  let t2 = performance.now();
  const o2 = new m.PhotonColumns(n);
  m.decodeWords(w, 0, n, m.createDecoderState(), o2, new m.WidePhotonColumns());
  let t3 = performance.now();
  console.log(`decode into reused ${(t1-t0).toFixed(0)} ms; alloc+fill ${(t2-t1).toFixed(0)} ms; decode fresh ${(t3-t2).toFixed(0)} ms`);
}
