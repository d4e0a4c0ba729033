#!/usr/bin/env node
// Regenerate examples/gen2-night: a small synthetic MKID night written by our own BinSerializer.
//   pnpm exec turbo run build --filter @daqkit/gen2-bin && node packages/gen2-bin/scripts/make-example-night.mjs
// Deterministic (fixed seed): 6 one-second .bin files, MEC-like 140 × 146 array read out by 10
// boards, a point source on a sky background, year 2026 (epoch 2026-01-01T00:00:00Z).
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BinSerializer } from "@daqkit/gen2-bin/node";

const out = join(dirname(fileURLToPath(import.meta.url)), "../../../examples/gen2-night");
const YEAR = 2026;
const START_UNIX = Date.UTC(2026, 2, 14, 10, 0, 0) / 1000; // 2026-03-14T10:00:00Z
const SECONDS = 6;
const RATE = 30_000; // photons per second over the whole array
const W = 140;
const H = 146;
const BOARDS = [220, 221, 222, 223, 224, 225, 228, 229, 232, 233];

let seed = 20260314;
const random = () => {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

// Board k reads out pixels p = x*H + y in [k*W*H/nb, (k+1)*W*H/nb) (as gen2_make.py).
const board2pixel = new Map(BOARDS.map((b) => [b, []]));
for (let x = 0; x < W; x++) {
  for (let y = 0; y < H; y++) {
    const k = Math.floor(((x * H + y) * BOARDS.length) / (W * H));
    board2pixel.get(BOARDS[k]).push((x << 8) | y);
  }
}

const n = SECONDS * RATE;
const xy = new Uint16Array(n);
const timestamp = new BigInt64Array(n);
const phase = new Int32Array(n);
const baseline = new Int32Array(n);
const t0 = (START_UNIX - Date.UTC(YEAR, 0, 1) / 1000) * 1e6;
for (let i = 0; i < n; i++) {
  let x;
  let y;
  if (random() < 0.35) {
    // the star: a Gaussian PSF (σ 2.5 pixels) at (70.3, 72.8)
    x = Math.round(70.3 + 2.5 * gauss());
    y = Math.round(72.8 + 2.5 * gauss());
  } else {
    x = Math.floor(random() * W);
    y = Math.floor(random() * H);
  }
  x = Math.min(W - 1, Math.max(0, x));
  y = Math.min(H - 1, Math.max(0, y));
  xy[i] = (x << 8) | y;
  timestamp[i] = BigInt(t0 + Math.floor(random() * SECONDS * 1e6));
  // phase pulse height (radians × 32768): ~ −1.1 rad for 1 µm photons, ±0.08 rad resolution
  phase[i] = Math.max(-131072, Math.min(131071, Math.round((-1.1 + 0.08 * gauss()) * 32768)));
  baseline[i] = Math.round((0.05 + 0.01 * gauss()) * 16384);
}

mkdirSync(out, { recursive: true });
for (const name of readdirSync(out)) if (name.endsWith(".bin")) rmSync(join(out, name));
const serializer = new BinSerializer({ directory: out, board2pixel, year: YEAR, skew: 0 });
const files = await serializer.serialize({ xy, timestamp, phase, baseline });
console.log(`${n} photons → ${files.length} files in ${out}`);
