// A Web Worker (bundled for Chromium): opens the posted File through WORKERFS (no copy) with the
// browser h5wasm runtime and posts back the dataset's values.
import { loadH5Runtime } from "../../src/index.js";

const scope = globalThis as unknown as {
  onmessage: ((e: { data: { file: File; path: string; plugins: string } }) => void) | null;
  postMessage(v: unknown): void;
};
scope.onmessage = async (e) => {
  try {
    const rt = await loadH5Runtime({ pluginBaseUrl: e.data.plugins });
    const opened = rt.openBlob(e.data.file);
    const dataset = opened.file.get(e.data.path) as { value: ArrayLike<number | bigint> };
    const values = Array.from(dataset.value, Number);
    opened.close();
    scope.postMessage({ values, plugins: [...rt.pluginFilters].sort() });
  } catch (error) {
    scope.postMessage({ error: `${(error as { code?: string }).code}: ${(error as Error).message}` });
  }
};
