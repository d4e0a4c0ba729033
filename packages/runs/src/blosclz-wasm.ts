/**
 * blosclz decompression as a tiny WebAssembly module (920 bytes): the same algorithm as the TypeScript
 * decoder in `blosc.ts` (c-blosc 1.21 `blosclz_decompress`), about 2× faster in V8 (a fast loop with 8-byte
 * wild copies while far from both ends of the stream, checked single tokens otherwise). Export
 * `decode(ip, ipLimit, op, opLimit) → written | -1` works on the module's own memory (`memory`, grown by the
 * caller). Source: `wasm/blosclz.wat`; the bytes in `blosclz-wasm-bytes.ts` are its build output
 * (`node packages/runs/wasm/build.mjs`, wabt's wat2wasm).
 */
import { BLOSCLZ_WASM_BASE64 } from "./blosclz-wasm-bytes.js";

let bytesCache: Uint8Array | undefined;

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The WebAssembly bytes of the blosclz decoder. */
export function blosclzWasmBytes(): Uint8Array {
  bytesCache ??= decodeBase64(BLOSCLZ_WASM_BASE64);
  return bytesCache;
}

/** The decoder's exports: `decode` and its `memory`. */
export interface BlosclzWasm {
  decode(ip: number, ipLimit: number, op: number, opLimit: number): number;
  readonly memory: WebAssembly.Memory;
}

let instance: BlosclzWasm | null | undefined;

/** A synchronously compiled instance (memoised), or null where WebAssembly is unavailable. */
export function blosclzWasm(): BlosclzWasm | null {
  if (instance === undefined) {
    try {
      instance = new WebAssembly.Instance(new WebAssembly.Module(blosclzWasmBytes() as BufferSource)).exports as unknown as BlosclzWasm;
    } catch {
      instance = null;
    }
  }
  return instance;
}
