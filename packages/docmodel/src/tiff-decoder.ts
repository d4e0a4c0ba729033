import type UTIF from "utif2";
import { DocModelError } from "./errors.js";

/*
 * utif2 (with pako) is loaded on first use, not when docmodel is imported: it costs ≈ 9 MiB of memory in Node and
 * only the TIFF functions need it. The async ingestors load it with a dynamic `import()` (browsers and Node); a
 * synchronous call (`readTiffPages`, the TIFF handlers while filling) loads it synchronously in Node (utif2 is
 * CommonJS: `require` through `process.getBuiltinModule("module")`, feature-detected, so nothing Node-only is
 * imported here); in a browser a synchronous call needs a prior `await loadTiffDecoder()`.
 */

export type TiffDecoder = typeof UTIF;

let decoder: TiffDecoder | undefined;

function fromModule(m: unknown): TiffDecoder {
  const mod = m as { default?: TiffDecoder } & TiffDecoder;
  return typeof mod.decode === "function" ? mod : (mod.default as TiffDecoder);
}

/** Load the TIFF decoder (utif2) if it is not loaded yet. The async TIFF ingestors call it themselves. */
export async function loadTiffDecoder(): Promise<void> {
  if (decoder !== undefined) return;
  decoder = fromModule(await import("utif2"));
}

type NodeRequire = (id: string) => unknown;
type ModuleBuiltin = { createRequire(from: string): NodeRequire };

/**
 * The TIFF decoder for a synchronous call: loaded already, or loaded now in Node.
 * @throws DocModelError `DOCS_TIFF_DECODER_NOT_LOADED` in a browser before {@link loadTiffDecoder}
 */
export function tiffDecoder(): TiffDecoder {
  if (decoder !== undefined) return decoder;
  const getBuiltinModule = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  const builtin = typeof getBuiltinModule === "function" ? (getBuiltinModule("module") as ModuleBuiltin | undefined) : undefined;
  if (builtin === undefined) {
    throw new DocModelError(
      "DOCS_TIFF_DECODER_NOT_LOADED",
      "tiff: the TIFF decoder is loaded on first use; outside Node call `await loadTiffDecoder()` before a synchronous TIFF function",
    );
  }
  decoder = fromModule(builtin.createRequire(import.meta.url)("utif2"));
  return decoder;
}
