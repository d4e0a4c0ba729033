// Runs in the page: fetches an LH5 file, wraps it in a File and reads a table with @daqkit/lh5's
// main entry twice: in the page (the File is read into memory) and in a Web Worker (WORKERFS).
import { blobSource, loadH5Runtime } from "@daqkit/io";
import { Lh5Error, openLh5, openLh5LinksAsync } from "../../src/index.js";
import { lgdoJson } from "./serialize.js";

export async function run(arg: { file: string; table: string; columns?: string[] }, origin: string) {
  const bytes = new Uint8Array(await (await fetch(`${origin}${arg.file}`)).arrayBuffer());
  const file = new File([bytes], arg.file.split("/").pop()!);
  const worker = new Worker(`${origin}/bundle/lh5-worker.js`, { type: "module" });
  const fromWorker = await new Promise<unknown>((resolve) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.postMessage({ file, table: arg.table, columns: arg.columns, plugins: `${origin}/plugins` });
  });
  worker.terminate();
  const runtime = await loadH5Runtime({ pluginBaseUrl: `${origin}/plugins` });
  const f = await openLh5(file, { runtime });
  let page: string;
  try {
    page = lgdoJson(f.readTable(arg.table, { columns: arg.columns }));
  } finally {
    f.close();
  }
  // Coded errors in the browser too: a path needs the Node entry, garbage is not HDF5.
  const codes: string[] = [];
  for (const bad of ["/some/path.lh5", new File([new Uint8Array(4096)], "zeros.lh5")]) {
    try {
      (await openLh5(bad as File, { runtime })).close();
      codes.push("opened");
    } catch (error) {
      codes.push(Lh5Error.isInstance(error) ? error.code : String(error));
    }
  }
  // The fast link lister in the page: no FileReaderSync here, so the async lister over the Blob.
  const links = await openLh5LinksAsync(blobSource(file));
  let root: string[] | undefined;
  try {
    root = await links.list("");
  } finally {
    links.close();
  }
  return { fromWorker, page, codes, root, plugins: [...runtime.pluginFilters].sort() };
}
