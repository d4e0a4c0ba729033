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
    try {
      table = lgdoJson(f.readTable(e.data.table, { columns: e.data.columns }));
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
    scope.postMessage({ table, root, channel: h5BlobChannelUnavailable() ?? "shared-channel" });
  } catch (error) {
    scope.postMessage({ error: `${(error as { code?: string }).code}: ${(error as Error).message}` });
  }
};
