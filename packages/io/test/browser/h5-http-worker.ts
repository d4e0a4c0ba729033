// A Web Worker (bundled for Chromium): opens an HDF5 file by URL with openH5Url (lazy range
// requests) and posts back a dataset's values, the transfer counters and the codes of bad opens.
import { loadH5Runtime, openH5Url } from "../../src/index.js";

const scope = globalThis as unknown as {
  onmessage: ((e: { data: { url: string; missing: string; path: string; plugins: string } }) => void) | null;
  postMessage(v: unknown): void;
};
scope.onmessage = async (e) => {
  try {
    const rt = await loadH5Runtime({ pluginBaseUrl: e.data.plugins });
    const opened = openH5Url(rt, e.data.url, { blockSize: 4096, cacheBlocks: 8 });
    const metadataOnly = opened.stats();
    const dataset = opened.file.get(e.data.path) as { value: ArrayLike<number | bigint> };
    const values = Array.from(dataset.value, Number);
    const stats = opened.stats();
    opened.close();
    let missing = "";
    try {
      openH5Url(rt, e.data.missing);
    } catch (error) {
      missing = (error as { code?: string }).code ?? String(error);
    }
    scope.postMessage({ values, size: opened.size, metadataOnly, stats, missing });
  } catch (error) {
    scope.postMessage({ error: `${(error as { code?: string }).code}: ${(error as Error).message}` });
  }
};
