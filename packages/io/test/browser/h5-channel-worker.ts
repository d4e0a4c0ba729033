// A Web Worker (bundled for Chromium): opens posted Files with openH5Blob and reads datasets,
// two files open at once with their reads interleaved; reports the read path and an FNV-1a hash
// of each dataset's bytes (or the coded error).
import { h5BlobChannelUnavailable, loadH5Runtime, openH5Blob } from "../../src/index.js";

type Job = { files: File[]; paths: string[]; plugins: string; readPath?: "auto" | "workerfs" };

function fnv(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193) >>> 0;
  return h.toString(16);
}

const scope = globalThis as unknown as { onmessage: ((e: { data: Job }) => void) | null; postMessage(v: unknown): void };
scope.onmessage = async (e) => {
  const { files, paths, plugins, readPath } = e.data;
  try {
    const rt = await loadH5Runtime({ pluginBaseUrl: plugins });
    const opened = [];
    for (const file of files) opened.push(await openH5Blob(rt, file, { readPath }));
    const hashes: string[][] = files.map(() => []);
    try {
      // Interleaved: dataset k of every file before dataset k + 1.
      for (let k = 0; k < paths.length; k++) {
        for (const [i, o] of opened.entries()) {
          const v = (o.file.get(paths[k] as string) as { value: ArrayBufferView }).value;
          hashes[i]!.push(fnv(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)));
        }
      }
    } finally {
      for (const o of opened) o.close();
    }
    scope.postMessage({
      hashes,
      readPaths: opened.map((o) => o.readPath),
      unavailable: h5BlobChannelUnavailable() ?? null,
    });
  } catch (error) {
    scope.postMessage({ error: `${(error as { code?: string }).code}: ${(error as Error).message}` });
  }
};
