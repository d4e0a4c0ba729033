/**
 * Worker side of runs.fuzz.test.ts (bundled with `bundleScript`, run by `runIsolated`): one input =
 * one mutated artefact, pushed through the package's public API. Throws a plain Error (a defect)
 * for silent garbage: a decode that succeeds with different bytes where the format has a checksum,
 * or the two blosclz decoders disagreeing.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveInputs } from "../../../../test/support/fault-worker.js";
import { type Compressor, DataDirectory, decodeBloscChunk, decompressChunk, iterateChunks, parseDtype, RunsError } from "../../src/node.js";

export type FuzzInput =
  | { kind: "codec"; compressor: Compressor; bytes: Uint8Array; expected: number; original: Uint8Array; checksummed: boolean }
  | { kind: "metadata"; bytes: Uint8Array }
  | { kind: "dtype"; text: string }
  | { kind: "rundoc"; bytes: Uint8Array }
  | { kind: "dir"; source: string; file: string; bytes: Uint8Array; loads: [string, string, boolean][] };

function same(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.byteLength === b.byteLength &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  );
}

async function codec(input: Extract<FuzzInput, { kind: "codec" }>): Promise<string> {
  if (input.compressor === "blosc") {
    // Both blosclz decoders (WebAssembly and TypeScript) must agree, and fail only with coded errors.
    const outcome = (useWasm: boolean): Uint8Array | string => {
      try {
        return decodeBloscChunk(input.bytes, { wasm: useWasm }) ?? "unsupported";
      } catch (error) {
        if (RunsError.isInstance(error)) return error.code;
        throw error;
      }
    };
    const wasm = outcome(true);
    const ts = outcome(false);
    if (typeof wasm !== typeof ts || (typeof wasm !== "string" && !same(wasm, ts as Uint8Array))) {
      throw new Error(
        `blosclz decoders disagree: wasm ${typeof wasm === "string" ? wasm : wasm.byteLength} / ts ${typeof ts === "string" ? ts : ts.byteLength}`,
      );
    }
  }
  const out = await decompressChunk(input.compressor, input.bytes, {
    ...(input.expected < 0 ? {} : { expectedBytes: input.expected }),
    path: "fuzz-chunk",
  });
  if (input.checksummed && !same(out, input.original))
    throw new Error(`${input.compressor}: checksummed stream decoded to different bytes`);
  return "decoded";
}

async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "daqkit-runs-fuzz-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function directory(input: Extract<FuzzInput, { kind: "dir" }>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "daqkit-runs-fuzz-"));
  try {
    await cp(input.source, dir, { recursive: true });
    await writeFile(join(dir, input.file), input.bytes);
    const store = new DataDirectory(dir, { readonly: true });
    let rows = 0;
    for (const [run, type, fromSubruns] of input.loads) {
      for await (const c of iterateChunks(store, run, type, { fromSubruns })) rows += c.n;
    }
    return `rows=${rows}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

serveInputs(async (data) => {
  const input = data as FuzzInput;
  switch (input.kind) {
    case "codec":
      return codec(input);
    case "metadata":
      return inTempDir(async (dir) => {
        // Through the reading path (strict UTF-8, lossless JSON, fields, dtype).
        await mkdir(join(dir, "0-records-j3nd2fjbiq"));
        await writeFile(join(dir, "0-records-j3nd2fjbiq", "records-j3nd2fjbiq-metadata.json"), input.bytes);
        const store = new DataDirectory(dir, { readonly: true });
        const [folder] = await store.listDataFolders();
        const { metadata } = await store.readFolderMetadata(folder!);
        parseDtype(metadata.dtype);
        return "parsed";
      });
    case "dtype":
      parseDtype(input.text);
      return "parsed";
    case "rundoc":
      return inTempDir(async (dir) => {
        await writeFile(join(dir, "_superrun_test-metadata.json"), input.bytes);
        await new DataDirectory(dir, { readonly: true }).readRunDoc("_superrun_test");
        return "parsed";
      });
    case "dir":
      return directory(input);
  }
});
