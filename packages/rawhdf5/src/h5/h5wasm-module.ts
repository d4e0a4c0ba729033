import { closeSync, fstatSync, ftruncateSync, openSync, readSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as H5 from "h5wasm/node";

/** The loaded h5wasm namespace (`h5wasm/node`) and its Emscripten module. */
export interface H5Runtime {
  readonly h5: typeof H5;
  readonly module: typeof H5.Module & {
    HEAPU8: Uint8Array;
    _malloc(size: number): number;
    _free(ptr: number): void;
  };
}

let runtimePromise: Promise<H5Runtime> | undefined;

/**
 * Load h5wasm's Node build once (memoised; cleared if loading fails).
 * Paths given to it are real host paths (NODERAWFS).
 */
export function loadH5(): Promise<H5Runtime> {
  runtimePromise ??= (async () => {
    const h5 = await import("h5wasm/node");
    const module = (await h5.ready) as H5Runtime["module"];
    return { h5, module };
  })().catch((error: unknown) => {
    runtimePromise = undefined;
    throw error;
  });
  return runtimePromise;
}

interface EmscriptenStream {
  nfd: number;
}

let captureFd: number | undefined;

function captureDescriptor(): number {
  if (captureFd === undefined) {
    const path = join(tmpdir(), `daqkit-rawhdf5-hdf5diag-${process.pid}-${Date.now()}.txt`);
    // O_APPEND: Emscripten passes explicit positions, which Linux ignores for append-mode files,
    // so every diagnostic lands at the current end (0 after each truncate).
    captureFd = openSync(path, "a+");
    unlinkSync(path);
  }
  return captureFd;
}

/** A scope in which HDF5 diagnostics are captured instead of printed. */
export interface QuietScope {
  /** The HDF5-DIAG text printed since the scope began (or since the last {@link QuietScope.clear}). */
  diagnostic(): string;
  /** Forget the diagnostics captured so far. */
  clear(): void;
}

/**
 * Run `fn` with HDF5's default (non-throwing) error handler and its error stack redirected
 * from fd 2 into a private temp file (spec §8.2). h5wasm's throwing handler is deliberately
 * not used here: it leaks a descriptor per error and skips h5wasm's cleanup (spec §8.2, §8.5),
 * which breaks retry loops against a live writer. Other daqkit packages activate the throwing
 * handler at start-up, so it is re-activated when `fn` returns.
 */
export function withQuietHdf5<T>(runtime: H5Runtime, fn: (scope: QuietScope) => T): T {
  const { module } = runtime;
  const fd = captureDescriptor();
  const scope: QuietScope = {
    diagnostic: () => readWhole(fd).trim(),
    clear: () => ftruncateSync(fd, 0),
  };
  if (quietDepth > 0) {
    // Nested scope: the outer one already redirected stderr and chose the handler.
    quietDepth++;
    try {
      return fn(scope);
    } finally {
      quietDepth--;
    }
  }
  const stream = (module.FS as unknown as { getStream(fd: number): EmscriptenStream | null }).getStream(2);
  const previousFd = stream?.nfd;
  ftruncateSync(fd, 0);
  if (stream) stream.nfd = fd;
  module.deactivate_throwing_error_handler();
  quietDepth = 1;
  try {
    return fn(scope);
  } finally {
    quietDepth = 0;
    module.activate_throwing_error_handler();
    if (stream && previousFd !== undefined) stream.nfd = previousFd;
  }
}

let quietDepth = 0;

function readWhole(fd: number): string {
  const size = fstatSync(fd).size;
  const buffer = Buffer.alloc(size);
  readSync(fd, buffer, 0, size, 0);
  return buffer.toString("utf8");
}

/** Close the diagnostic capture file (tests only; it is re-opened on demand). */
export function closeDiagnosticCapture(): void {
  if (captureFd !== undefined) closeSync(captureFd);
  captureFd = undefined;
}

/** The most useful line of an HDF5-DIAG stack: the innermost "major/minor" error description. */
export function summarizeDiagnostic(text: string): string {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^#\d+:/.test(l));
  if (lines.length === 0) return text.split("\n")[0] ?? "";
  const last = lines[lines.length - 1]!;
  return last.replace(/^#\d+:\s*\S+\s+line\s+\d+\s+in\s+/, "");
}
