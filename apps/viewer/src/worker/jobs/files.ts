// Opening one file of an input inside the worker: the picked `File` itself (h5wasm reads it in
// place through WORKERFS / io's shared channel), or an HTTP range source for `daqkit view`.
import { type ByteSource, loadH5Runtime, openHttpSource, type H5Runtime } from "@daqkit/io";
import type { DirRef } from "../../input.js";
import type { JobEnv } from "../protocol.js";

export type FileInput = File | ByteSource;

/** The file at `path` of the input: a `File` (picked/dropped) or an HTTP byte source. */
export async function fileOf(ref: DirRef, path: string): Promise<FileInput> {
  if (ref.kind === "files") {
    const hit = ref.files.find((f) => f.path === path);
    if (!hit) throw Object.assign(new Error(`view: ${ref.name}: no file ${JSON.stringify(path)}`), { code: "IO_NOT_FOUND" });
    return hit.file;
  }
  return openHttpSource(urlOf(ref, path));
}

/** The URL of a file of a served (`daqkit view`) input. */
export function urlOf(ref: DirRef & { kind: "http" }, path: string): string {
  return new URL(path.split("/").map(encodeURIComponent).join("/"), ref.base).href;
}

let runtime: Promise<H5Runtime> | undefined;

/** h5wasm with the compression plugins from the app's own folder. */
export function h5Runtime(env: JobEnv): Promise<H5Runtime> {
  runtime ??= loadH5Runtime({ pluginBaseUrl: env.pluginBaseUrl }).catch((error: unknown) => {
    runtime = undefined;
    throw error;
  });
  return runtime;
}

/** A per-worker cache of opened things, keyed by input and path, closed when replaced. */
export class OpenCache<T extends { close(): void }> {
  readonly #items = new Map<string, { ref: DirRef; value: Promise<T> }>();
  constructor(readonly limit = 4) {}

  get(ref: DirRef, path: string, open: () => Promise<T>): Promise<T> {
    const key = `${ref.kind}:${ref.name}:${path}`;
    const hit = this.#items.get(key);
    if (hit && hit.ref === ref) return hit.value;
    if (hit)
      void hit.value.then(
        (v) => v.close(),
        () => undefined,
      );
    const value = open();
    this.#items.set(key, { ref, value });
    value.catch(() => this.#items.delete(key));
    while (this.#items.size > this.limit) {
      const [oldKey, old] = this.#items.entries().next().value!;
      this.#items.delete(oldKey);
      void old.value.then(
        (v) => v.close(),
        () => undefined,
      );
    }
    return value;
  }
}
