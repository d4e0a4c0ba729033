/**
 * What the viewer has open: a folder or a set of files (picked, dropped, or served by `daqkit view`).
 * `ref` is the structured-clonable description a Web Worker re-opens the same data from; `source` is
 * the page-side `@daqkit/io` directory source; `entries` is its recursive listing.
 */
import { type DirectoryEntry, type DirectorySource, type FileLike, fileListDirectory, openHttpDirectory } from "@daqkit/io";
import { servedListing } from "./served.js";

export { ViewerError } from "./served.js";

/** Structured-clonable: posted to Web Workers. */
export type DirRef =
  | { readonly kind: "files"; readonly name: string; readonly files: readonly { readonly path: string; readonly file: File }[] }
  | {
      readonly kind: "http";
      readonly name: string;
      readonly base: string;
      readonly listingUrl: string;
      /**
       * The listing's body as the page fetched it: a worker opening the ref answers the listing request
       * with it instead of fetching it again (issue 16: one request fewer before a job can start), and
       * sees the same entries as the page.
       */
      readonly listingText?: string;
    };

export interface OpenedInput {
  readonly name: string;
  readonly ref: DirRef;
  readonly source: DirectorySource;
  /** Every entry below the root (files and folders), sorted by path. */
  readonly entries: readonly DirectoryEntry[];
  /** An entry to select first (a `daqkit view` URL naming a file). */
  readonly initialPath?: string;
}

/** A file or folder of an input that a format panel shows; `path` "" is the input's root folder. */
export interface Target {
  readonly input: OpenedInput;
  readonly path: string;
  readonly kind: "file" | "directory";
}

/** `FileLike`s with the relative paths given (a `File`'s own `webkitRelativePath` cannot be set). */
export function fileLikes(name: string, files: readonly { path: string; file: File }[]): FileLike[] {
  return files.map(({ path, file }) => ({
    name: file.name,
    size: file.size,
    lastModified: file.lastModified,
    webkitRelativePath: `${name}/${path}`,
    slice: (start?: number, end?: number) => file.slice(start, end),
    arrayBuffer: () => file.arrayBuffer(),
  }));
}

/**
 * The directory source of a ref (page or worker). The listing's body, when the ref carries it
 * (`listingText`), is not fetched again.
 */
export async function openDirRef(ref: DirRef): Promise<DirectorySource> {
  if (ref.kind === "files") return fileListDirectory(fileLikes(ref.name, ref.files), ref.name);
  if (ref.listingText === undefined) return openHttpDirectory(ref.base, { listingUrl: ref.listingUrl });
  let fetched: string | undefined = ref.listingText;
  return openHttpDirectory(ref.base, {
    listingUrl: ref.listingUrl,
    // the first request, for the listing, is answered with the body in hand; the others go out
    fetch: (input, init) => {
      const body = fetched;
      fetched = undefined;
      return body !== undefined && String(input) === ref.listingUrl ? Promise.resolve(new Response(body)) : fetch(input, init);
    },
  });
}

/** Files of an `<input type=file>` (with or without `webkitdirectory`) or of a drop. */
export async function openFiles(files: readonly File[], fallbackName = "files"): Promise<OpenedInput> {
  const rel = files.map((f) => (f.webkitRelativePath ? f.webkitRelativePath : f.name));
  const roots = new Set(rel.map((p) => (p.includes("/") ? p.slice(0, p.indexOf("/")) : "")));
  const [root] = roots;
  const strip = roots.size === 1 && root !== undefined && root !== "";
  const name = strip ? root : files.length === 1 ? files[0]!.name : fallbackName;
  const list = files.map((file, i) => ({ path: strip ? rel[i]!.slice(root!.length + 1) : rel[i]!, file }));
  const ref: DirRef = { kind: "files", name, files: list };
  const source = await openDirRef(ref);
  const entries = await source.list({ recursive: true });
  return { name, ref, source, entries, initialPath: files.length === 1 && !strip ? list[0]!.path : undefined };
}

/** Entries of a dropped `DataTransfer`, folders walked (`webkitGetAsEntry`). */
export async function filesOfDrop(transfer: DataTransfer): Promise<File[]> {
  const out: File[] = [];
  const items = Array.from(transfer.items ?? []);
  const entries = items.map((i) => (typeof i.webkitGetAsEntry === "function" ? i.webkitGetAsEntry() : null));
  if (entries.every((e) => e === null)) return Array.from(transfer.files);
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push(prefix.includes("/") ? withPath(file, `${prefix}${file.name}`) : file);
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const entry of entries) if (entry) await walk(entry, "");
  return out;
}

function withPath(file: File, path: string): File {
  Object.defineProperty(file, "webkitRelativePath", { value: path, configurable: true });
  return file;
}

/**
 * The `daqkit view` contract (see README): the page URL is `/?token=T&path=REL`; the listing of REL is
 * `GET /api/T/list?path=REL` in @daqkit/io's `daqkit-listing` format (entries relative to REL,
 * recursive); files are `GET /data/T/REL/<entry path>` with `Range`. When REL names a file, the
 * listing has that one file, relative to REL's parent folder, and `dir` says which. The listing is the
 * one the bootstrap fetched ahead (./served.ts), if it did.
 */
export async function openServed(location: Location | URL): Promise<OpenedInput | undefined> {
  const served = await servedListing(location.href);
  if (!served) return undefined;
  const { name, ref, initialPath } = served;
  const source = await openDirRef(ref);
  const entries = await source.list({ recursive: true });
  return { name, ref, source, entries, initialPath };
}

/** First `n` bytes of a file of the input (fewer when the file is shorter). */
export async function headOf(input: OpenedInput, path: string, n: number): Promise<Uint8Array> {
  const src = await input.source.open(path);
  try {
    return await src.read(0, Math.min(n, src.size));
  } finally {
    await src.close?.();
  }
}

/** The entries below `path` (relative to the input root), `path` "" = all. */
export function entriesBelow(input: OpenedInput, path: string): DirectoryEntry[] {
  if (path === "") return [...input.entries];
  const prefix = `${path}/`;
  return input.entries.filter((e) => e.path.startsWith(prefix));
}
