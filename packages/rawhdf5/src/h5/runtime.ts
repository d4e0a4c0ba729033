/**
 * The h5wasm runtime as this package uses it: `@daqkit/io`'s runtime (loaded by `loadH5Runtime`
 * in the main entry, `loadH5RuntimeNode` in `./node`) plus direct access to its Emscripten module,
 * which the VLEN workarounds of `vlen-u8.ts` need (spec §8.3–§8.5). There is no runtime of this
 * package's own: loading, plugins and the error-handler policy are io's.
 */
import type { H5Runtime as IoH5Runtime } from "@daqkit/io";
import type * as H5 from "h5wasm";

/** io's runtime and its Emscripten module. */
export interface H5Runtime {
  readonly io: IoH5Runtime;
  readonly h5: typeof H5;
  readonly module: typeof H5.Module & {
    HEAPU8: Uint8Array;
    _malloc(size: number): number;
    _free(ptr: number): void;
  };
}

/** This package's view of an io runtime. */
export async function rawRuntime(io: IoH5Runtime): Promise<H5Runtime> {
  const module = (await io.h5.ready) as H5Runtime["module"];
  return { io, h5: io.h5, module };
}

/**
 * Where HDF5 diagnostics of a scope are collected. Under io's policy (the throwing error handler,
 * used for byte snapshots in the main entry) failing calls throw and nothing is captured; inside
 * io's `withHdf5StatusCalls` (Node, SWMR polling) calls return statuses and the text is captured.
 */
export interface QuietScope {
  /** The HDF5-DIAG text printed since the scope began (or since the last {@link QuietScope.clear}). */
  diagnostic(): string;
  /** Forget the diagnostics captured so far. */
  clear(): void;
}

/** The scope of io's default policy: errors arrive as exceptions, there is no captured text. */
export const THROWING_SCOPE: QuietScope = { diagnostic: () => "", clear: () => undefined };

export { summarizeHdf5Diagnostic as summarizeDiagnostic } from "@daqkit/io";
