import { closeSync, fstatSync, ftruncateSync, openSync, readSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { H5Runtime } from "./h5-runtime.js";

/** The HDF5-DIAG text printed inside a {@link withHdf5StatusCalls} scope. */
export interface Hdf5DiagnosticCapture {
  /** The HDF5-DIAG text printed since the scope began (or since the last {@link Hdf5DiagnosticCapture.clear}). */
  diagnostic(): string;
  /** Forget the diagnostics captured so far. */
  clear(): void;
}

interface EmscriptenStream {
  nfd: number;
}

interface StatusModule {
  FS: unknown;
  activate_throwing_error_handler(): void;
  deactivate_throwing_error_handler(): void;
}

let captureFd: number | undefined;
let depth = 0;

function captureDescriptor(): number {
  if (captureFd === undefined) {
    const path = join(tmpdir(), `daqkit-hdf5diag-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.txt`);
    // O_APPEND: Emscripten passes explicit positions, which Linux ignores for append-mode files,
    // so every diagnostic lands at the current end (0 after each truncate).
    captureFd = openSync(path, "a+");
    unlinkSync(path);
  }
  return captureFd;
}

function readWhole(fd: number): string {
  const size = fstatSync(fd).size;
  const buffer = Buffer.alloc(size);
  readSync(fd, buffer, 0, size, 0);
  return buffer.toString("utf8");
}

/**
 * The one exception to daqkit's error-handler policy, for code that must check HDF5 statuses
 * instead of catching exceptions: SWMR polling against a live writer, where h5wasm's throwing
 * handler leaks a descriptor per error and skips h5wasm's own cleanup (leaked dataset handles keep
 * the file open, so later opens of the same path see stale state; spec rawhdf5 §8.2).
 *
 * Runs the synchronous `fn` with HDF5's default (status-returning) handler on the Node runtime's
 * module, with HDF5's error stack redirected from fd 2 into a private unlinked temp file that
 * `fn` reads through `capture` (nothing reaches the terminal). The throwing handler is re-activated
 * when `fn` returns or throws. Nested scopes share the outer one.
 */
export function withHdf5StatusCalls<T>(runtime: H5Runtime, fn: (capture: Hdf5DiagnosticCapture) => T): T {
  const module = (runtime.h5 as unknown as { Module: StatusModule }).Module;
  const fd = captureDescriptor();
  const capture: Hdf5DiagnosticCapture = {
    diagnostic: () => readWhole(fd).trim(),
    clear: () => ftruncateSync(fd, 0),
  };
  if (depth > 0) {
    depth++;
    try {
      return fn(capture);
    } finally {
      depth--;
    }
  }
  const stream = (module.FS as { getStream(fd: number): EmscriptenStream | null }).getStream(2);
  const previousFd = stream?.nfd;
  ftruncateSync(fd, 0);
  if (stream) stream.nfd = fd;
  module.deactivate_throwing_error_handler();
  depth = 1;
  try {
    return fn(capture);
  } finally {
    depth = 0;
    module.activate_throwing_error_handler();
    if (stream && previousFd !== undefined) stream.nfd = previousFd;
  }
}

/** Close the diagnostic capture file (tests only; it is re-opened on demand). */
export function closeHdf5DiagnosticCapture(): void {
  if (captureFd !== undefined) closeSync(captureFd);
  captureFd = undefined;
}
