import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build as esbuildBuild, type BuildOptions } from "esbuild";

/** `../shared/testdata/gen2-bin` beside the repository. */
export const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata/gen2-bin");
export const GEN2_MAKE = join(import.meta.dirname, "../../../../shared/tools/gen2_make.py");

/** Bytes from a hex string with optional spaces. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function tempDir(prefix = "gen2-test-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export interface Manifest {
  files: Array<{
    name: string;
    photons: number;
    checksum: string;
    leading_continuation_words: number;
    first_header_ts: number;
    last_header_ts: number;
  }>;
  total_photons: number;
  checksum: string;
  [k: string]: unknown;
}

/** Run gen2_make.py into `dir` and return its manifest. */
export function gen2Make(dir: string, ...args: string[]): Manifest {
  const r = spawnSync("python3", [GEN2_MAKE, dir, "--quiet", ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`gen2_make.py failed: ${r.stderr}`);
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
}

/**
 * Bundle a module of this package for a plain Node process or worker thread (esbuild, a root devDependency; sources
 * through the `@daqkit/source` condition) into node_modules/.cache/gen2-bin-test/NAME, so tests run workers from
 * source. `input` is a file under src/ (`"convert-worker.ts"`) or inline code (`{ contents }`, resolved from the
 * package folder). Returns the bundle's path.
 */
export async function bundleForNode(name: string, input: string | { contents: string }, extra: BuildOptions = {}): Promise<string> {
  const outDir = join(import.meta.dirname, "../node_modules/.cache/gen2-bin-test");
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, name);
  await esbuildBuild({
    ...(typeof input === "string"
      ? { entryPoints: [join(import.meta.dirname, "../src", input)] }
      : { stdin: { contents: input.contents, resolveDir: join(import.meta.dirname, ".."), loader: "ts" as const } }),
    bundle: true,
    format: "esm",
    platform: "node",
    outfile,
    external: ["parquet-wasm", "apache-arrow"],
    conditions: ["@daqkit/source"],
    logLevel: "silent",
    ...extra,
  });
  return outfile;
}
