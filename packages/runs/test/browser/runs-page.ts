// Runs in Chromium (bundled by test/support/browser.ts): reads strax runs and superruns from the
// test data served over HTTP (HTTP listing) and from a picked-folder File list, and decodes a
// large Blosc chunk on Web Workers.
import { fileListDirectory, fileSystemHandleDirectory, openHttpDirectory } from "@daqkit/io";
import { DataDirectory, decompressChunk, loadTable, sharedWebBloscPool } from "../../src/index.js";
import { digestRead, fnv } from "./digest.js";

export interface PageArg {
  readonly store: string;
  readonly reads: readonly { runId: string; dataType: string; fromSubruns?: boolean }[];
  /** A store of bz2 data: reading it in a browser is a coded error. */
  readonly bz2Store: string;
  /** A large Blosc chunk to decode on Web Workers, and its size. */
  readonly chunk: { url: string; nbytes: number };
}

export async function run(arg: PageArg, origin: string) {
  const http = new DataDirectory(await openHttpDirectory(`${origin}${arg.store}`));
  const viaHttp = [];
  for (const r of arg.reads) viaHttp.push(await digestRead(http, r.runId, r.dataType, { fromSubruns: r.fromSubruns ?? false }));

  // The same store as a dropped/picked folder: Files with relative paths.
  const entries = (await http.source.list({ recursive: true })).filter((e) => e.kind === "file");
  const files = [];
  for (const e of entries) {
    const bytes = new Uint8Array(
      await (await fetch(`${origin}${arg.store}${e.path.split("/").map(encodeURIComponent).join("/")}`)).arrayBuffer(),
    );
    files.push(
      Object.defineProperty(new File([bytes], e.path.split("/").pop() as string), "webkitRelativePath", { value: `store/${e.path}` }),
    );
  }
  const picked = new DataDirectory(fileListDirectory(files, "store"));
  const viaFiles = [];
  for (const r of arg.reads) viaFiles.push(await digestRead(picked, r.runId, r.dataType, { fromSubruns: r.fromSubruns ?? false }));

  // The same store in the origin-private file system, read through a FileSystemDirectoryHandle.
  const opfsRoot = await navigator.storage.getDirectory();
  const folderName = `store-${arg.store.replace(/[^a-z0-9]+/gi, "-")}`;
  await opfsRoot.removeEntry(folderName, { recursive: true }).catch(() => undefined);
  const opfs = await opfsRoot.getDirectoryHandle(folderName, { create: true });
  for (const [i, e] of entries.entries()) {
    let parent = opfs;
    const parts = e.path.split("/");
    for (const part of parts.slice(0, -1)) parent = await parent.getDirectoryHandle(part, { create: true });
    const writable = await (await parent.getFileHandle(parts[parts.length - 1] as string, { create: true })).createWritable();
    await writable.write(files[i] as File);
    await writable.close();
  }
  const handled = new DataDirectory(fileSystemHandleDirectory(opfs as unknown as Parameters<typeof fileSystemHandleDirectory>[0]));
  const viaHandle = [];
  for (const r of arg.reads) viaHandle.push(await digestRead(handled, r.runId, r.dataType, { fromSubruns: r.fromSubruns ?? false }));
  await opfsRoot.removeEntry(folderName, { recursive: true });

  let missing = "";
  try {
    await http.readRunDoc("999");
  } catch (e) {
    missing = (e as { code: string }).code;
  }

  let bz2 = "";
  try {
    await loadTable(new DataDirectory(await openHttpDirectory(`${origin}${arg.bz2Store}`)), "0", "records");
    bz2 = "read";
  } catch (e) {
    bz2 = (e as { code: string }).code;
  }

  const pool = sharedWebBloscPool();
  const compressed = new Uint8Array(await (await fetch(`${origin}${arg.chunk.url}`)).arrayBuffer());
  const decoded = await decompressChunk("blosc", compressed, { expectedBytes: arg.chunk.nbytes, workers: pool });
  return {
    viaHttp,
    viaFiles,
    viaHandle,
    missing,
    bz2,
    poolMode: pool?.mode ?? "none",
    decoded: { size: decoded.byteLength, hash: fnv(decoded) },
  };
}
