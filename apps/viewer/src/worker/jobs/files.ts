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

/**
 * A stable key for `path` ("" = the root) of an input: each job receives a fresh structured-clone
 * copy of the ref, so identity never matches. A served input is named by its base URL (which carries
 * the server's per-run token) and the path; picked/dropped files by the input's name, the path and
 * the name, size and lastModified of every file at or below the path (a different folder picked
 * under the same name, or a file changed on disk and picked again, gets a different key).
 */
export function refKey(ref: DirRef, path: string): string {
  if (ref.kind === "http") return JSON.stringify(["http", ref.base, ref.listingUrl, path]);
  const below = path === "" ? "" : `${path}/`;
  const files = ref.files
    .filter((f) => path === "" || f.path === path || f.path.startsWith(below))
    .map((f) => `${f.path}\u0000${f.file.name}\u0000${f.file.size}\u0000${f.file.lastModified}`);
  return JSON.stringify(["files", ref.name, path, ...files]);
}

/**
 * A per-worker LRU cache of opened things (HDF5 files, gen2 nights, strax stores, FileDBs), keyed
 * by {@link refKey}; at most `limit` are kept, and an evicted one is closed (when it can be).
 * Jobs run one at a time in a worker, so an evicted value is not in use.
 */
export class OpenCache<T extends object> {
  readonly #items = new Map<string, Promise<T>>();
  constructor(readonly limit = 4) {}

  get size(): number {
    return this.#items.size;
  }

  get(ref: DirRef, path: string, open: () => Promise<T>, extra = ""): Promise<T> {
    const key = extra === "" ? refKey(ref, path) : `${refKey(ref, path)}\u0000${extra}`;
    const hit = this.#items.get(key);
    if (hit) {
      // most recently used last
      this.#items.delete(key);
      this.#items.set(key, hit);
      return hit;
    }
    const value = open();
    this.#items.set(key, value);
    value.catch(() => {
      if (this.#items.get(key) === value) this.#items.delete(key);
    });
    while (this.#items.size > this.limit) {
      const [oldKey, old] = this.#items.entries().next().value!;
      this.#items.delete(oldKey);
      void old.then(
        (v) => (v as { close?: () => void }).close?.(),
        () => undefined,
      );
    }
    return value;
  }
}
