// A Web Worker (bundled for Chromium): reads an LH5 table from a posted File through the main
// entry of @daqkit/lh5 (WORKERFS: the File is read in place, never copied whole) and lists the
// root group with the fast link lister over a synchronous Blob source.
import { blobSource, h5BlobChannelUnavailable, loadH5Runtime } from "@daqkit/io";
import { openLh5, openLh5Links } from "../../src/index.js";
import { lgdoJson } from "./serialize.js";

const scope = globalThis as unknown as {
  onmessage: ((e: { data: { file: File; table: string; columns?: string[]; plugins: string } }) => void) | null;
  postMessage(v: unknown): void;
};
scope.onmessage = async (e) => {
  try {
    const runtime = await loadH5Runtime({ pluginBaseUrl: e.data.plugins });
    const f = await openLh5(e.data.file, { runtime });
    let table: string;
    // readObjectAsync (windows of 4 KiB here, so every column takes several) against readObject, per column.
    const asyncMismatches: string[] = [];
    let asyncColumns = 0;
    try {
      table = lgdoJson(f.readTable(e.data.table, { columns: e.data.columns }));
      for (const c of e.data.columns ?? f.tableColumns(e.data.table)) {
        const path = `${e.data.table}/${c}`;
        for (const rows of [undefined, { start: 3, stop: 700 }]) {
          const sync = lgdoJson(f.readObject(path, rows ? { rows } : {}));
          const windowed = lgdoJson(await f.readObjectAsync(path, { windowBytes: 4096, ...(rows ? { rows } : {}) }));
          if (windowed !== sync) asyncMismatches.push(`${path} ${JSON.stringify(rows)}`);
          asyncColumns++;
        }
      }
    } finally {
      f.close();
    }
    const links = openLh5Links(blobSource(e.data.file));
    let root: string[] | undefined;
    try {
      root = links.list("");
    } finally {
      links.close();
    }
    scope.postMessage({ table, root, channel: h5BlobChannelUnavailable() ?? "shared-channel", asyncMismatches, asyncColumns });
  } catch (error) {
    scope.postMessage({ error: `${(error as { code?: string }).code}: ${(error as Error).message}` });
  }
};
