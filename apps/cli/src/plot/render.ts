/**
 * Rendering for `daqkit plot`: Vega-Lite specs → SVG with Vega's headless renderer (no DOM), and
 * SVG → PNG with resvg (WebAssembly). Both are imported only when `plot` runs, so `daqkit --version`
 * and the other groups never load them.
 *
 * Fonts: text is set in DejaVu Sans, shipped with the CLI (`apps/cli/fonts/DejaVuSans.ttf`, Bitstream
 * Vera licence beside it) and handed to resvg explicitly — system fonts are never used, so a PNG is
 * the same on a fresh Debian, in CI and on a laptop.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";
import { CliUsageError } from "../errors.js";

/** The font family every picture uses (the shipped font's family name). */
export const PLOT_FONT_FAMILY = "DejaVu Sans";

/** The shipped font: `fonts/` of the CLI package, from `dist/` (built) or `src/plot/` (tests on the sources). */
export function shippedFontPath(): string {
  for (const rel of ["../fonts/DejaVuSans.ttf", "../../fonts/DejaVuSans.ttf"]) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error("daqkit plot: the shipped font fonts/DejaVuSans.ttf is missing from the CLI package");
}

type VegaModule = typeof import("vega");
type VegaLiteModule = typeof import("vega-lite");

let vegaModules: Promise<{ vega: VegaModule; vegaLite: VegaLiteModule }> | undefined;

function loadVega(): Promise<{ vega: VegaModule; vegaLite: VegaLiteModule }> {
  vegaModules ??= Promise.all([import("vega"), import("vega-lite")]).then(([vega, vegaLite]) => ({ vega, vegaLite }));
  return vegaModules;
}

/** A Vega-Lite spec (kept loose: the builders in `specs.ts` make them). */
export type VegaLiteSpec = Record<string, unknown>;

/** Render a Vega-Lite spec to an SVG document (Vega's headless SVG renderer; no DOM, no canvas). */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const { vega, vegaLite } = await loadVega();
  const compiled = vegaLite.compile(spec as unknown as Parameters<VegaLiteModule["compile"]>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A colour scheme as 256 RGB triples (`viridis` by default), from Vega's own schemes. */
export async function colormap(name = "viridis"): Promise<Uint8Array> {
  const { vega } = await loadVega();
  const interpolate = vega.scheme(name) as ((t: number) => string) | undefined;
  if (typeof interpolate !== "function")
    throw new CliUsageError(`unknown colour scheme ${JSON.stringify(name)} (try viridis, magma, greys)`);
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = parseColor(interpolate(i / 255));
    lut.set([r, g, b], i * 3);
  }
  return lut;
}

function parseColor(text: string): [number, number, number] {
  const hex = /^#([0-9a-f]{6})$/i.exec(text);
  if (hex) {
    const v = Number.parseInt(hex[1]!, 16);
    return [v >> 16, (v >> 8) & 255, v & 255];
  }
  const rgb = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(text);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  throw new Error(`daqkit plot: unexpected colour ${text}`);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * A heatmap raster as a PNG (RGB): `values[row * width + column]` with row 0 drawn at the bottom (y up,
 * as the axes), coloured by `lut` over `[low, high]` (linear, or log10 when `log`; NaN and cells ≤ 0
 * on a log scale are white). Each cell is `scaleX × scaleY` pixels, so the picture stays sharp when
 * resvg scales it (it smooths images). A plot embeds it as one image mark rather than an SVG rect per
 * cell (65 536 rects of a gen2 image took seconds to draw and 12 MB of SVG).
 */
export function heatmapPng(
  values: ArrayLike<number>,
  width: number,
  height: number,
  lut: Uint8Array,
  low: number,
  high: number,
  log = false,
  scaleX = 1,
  scaleY = 1,
): Uint8Array {
  const pixelsX = width * scaleX;
  const pixelsY = height * scaleY;
  const stride = 1 + pixelsX * 3;
  const raw = new Uint8Array(pixelsY * stride);
  const lo = log ? Math.log10(low) : low;
  const span = (log ? Math.log10(high) : high) - lo || 1;
  for (let r = 0; r < height; r++) {
    const row = height - 1 - r; // PNG rows go down; our y goes up
    const at = r * scaleY * stride;
    raw[at] = 0; // filter: none
    for (let c = 0; c < width; c++) {
      const v = values[row * width + c]!;
      let red = 255;
      let green = 255;
      let blue = 255;
      if (!Number.isNaN(v) && !(log && v <= 0)) {
        const t = Math.min(1, Math.max(0, ((log ? Math.log10(v) : v) - lo) / span));
        const i = Math.round(t * 255) * 3;
        red = lut[i]!;
        green = lut[i + 1]!;
        blue = lut[i + 2]!;
      }
      for (let k = 0; k < scaleX; k++) {
        const p = at + 1 + (c * scaleX + k) * 3;
        raw[p] = red;
        raw[p + 1] = green;
        raw[p + 2] = blue;
      }
    }
    for (let k = 1; k < scaleY; k++) raw.copyWithin(at + k * stride, at, at + stride);
  }
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, pixelsX);
  hv.setUint32(4, pixelsY);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter method, no interlace
  const signature = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
  const parts = [signature, pngChunk("IHDR", header), pngChunk("IDAT", deflateSync(raw)), pngChunk("IEND", new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

let resvgReady: Promise<typeof import("@resvg/resvg-wasm")> | undefined;

async function loadResvg(): Promise<typeof import("@resvg/resvg-wasm")> {
  resvgReady ??= (async () => {
    const resvg = await import("@resvg/resvg-wasm");
    const wasm = await readFile(createRequire(import.meta.url).resolve("@resvg/resvg-wasm/index_bg.wasm"));
    await resvg.initWasm(wasm);
    return resvg;
  })();
  return resvgReady;
}

let font: Promise<Uint8Array> | undefined;
/** The shipped DejaVu Sans, read once. */
function fontBytes(): Promise<Uint8Array> {
  font ??= readFile(shippedFontPath());
  return font;
}

/** Render an SVG document to PNG bytes at its own size (resvg, the given font only, no system fonts). */
export async function svgToPng(svg: string): Promise<{ png: Uint8Array; width: number; height: number }> {
  const [resvg, font] = await Promise.all([loadResvg(), fontBytes()]);
  const renderer = new resvg.Resvg(svg, {
    font: { fontBuffers: [font], loadSystemFonts: false, defaultFontFamily: PLOT_FONT_FAMILY, sansSerifFamily: PLOT_FONT_FAMILY },
    background: "white",
  });
  try {
    const image = renderer.render();
    try {
      return { png: image.asPng(), width: image.width, height: image.height };
    } finally {
      image.free();
    }
  } finally {
    renderer.free();
  }
}
