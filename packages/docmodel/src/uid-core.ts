/*
 * Deterministic run uids, platform-neutral part (spec §5): the uid text of a SHA-256 digest, and uids of `File`s /
 * `Blob`s computed with Web Crypto. The Node functions over paths (`filesUid`, `fileIdentity`) are in `uid.ts`;
 * both hash the same parts, so the same files give the same uid in a browser and in Node.
 */

/** Bytes hashed at each end of a file (the whole file when it is at most twice this). */
export const IDENTITY_EDGE_BYTES = 64 * 1024;

const utf8 = new TextEncoder();

/** The bytes hashed for `parts`: each part's UTF-8 byte length, `:`, then the part (`["ab","c"]` ≠ `["a","bc"]`). */
export function lengthPrefixed(parts: readonly string[]): Uint8Array {
  const chunks = parts.flatMap((p) => {
    const bytes = utf8.encode(p);
    return [utf8.encode(`${bytes.length}:`), bytes];
  });
  return concat(chunks);
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * The uid text of a SHA-256 digest: URL-safe base64 (44 characters, `=` padded, like the seed); a digest whose text
 * would start with `-` (1 in 64; a command line would take it for an option) starts with `_` instead.
 */
export function uidFromDigest(digest: Uint8Array): string {
  let binary = "";
  for (const b of digest) binary += String.fromCharCode(b);
  const uid = btoa(binary).replace(/\+/g, "-").replace(/\//g, "_");
  return uid.startsWith("-") ? `_${uid.slice(1)}` : uid;
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error("docmodel: Web Crypto (crypto.subtle) is not available here (a page needs a secure context)");
  return new Uint8Array(await subtle.digest("SHA-256", bytes as BufferSource));
}

/** {@link uidFromDigest} of the SHA-256 of `parts` (length-prefixed), with Web Crypto: equal to Node's `deterministicUid`. */
export async function deterministicUidAsync(parts: readonly string[]): Promise<string> {
  return uidFromDigest(await sha256(lengthPrefixed(parts)));
}

/** A file given to a browser ingestor: a `File`/`Blob`, or bytes with a name. */
export type FileInput = Blob | { readonly name: string; readonly bytes: Uint8Array; readonly lastModified?: number };

/** The path of an input relative to the picked folder (`webkitRelativePath`), else its name. */
export function inputPath(input: FileInput, index = 0): string {
  const rel = (input as { webkitRelativePath?: unknown }).webkitRelativePath;
  if (typeof rel === "string" && rel !== "") return rel;
  const name = (input as { name?: unknown }).name;
  return typeof name === "string" && name !== "" ? name : `blob-${index}`;
}

/** The input's size in bytes. */
export function inputSize(input: FileInput): number {
  return input instanceof Blob ? input.size : input.bytes.length;
}

/** Bytes `[start, end)` of an input. */
export async function inputBytes(input: FileInput, start = 0, end = inputSize(input)): Promise<Uint8Array> {
  if (input instanceof Blob) return new Uint8Array(await input.slice(start, end).arrayBuffer());
  return input.bytes.subarray(start, end);
}

/** Modification time in seconds (`File.lastModified`; now for a `Blob` or bytes without one, as `new File` does). */
export function inputTime(input: FileInput): number {
  const ms = (input as { lastModified?: unknown }).lastModified;
  return (typeof ms === "number" && Number.isFinite(ms) ? ms : Date.now()) / 1000;
}

/** The deepest directory (`/`-separated) containing every path; `""` when they share none. */
export function commonDirectory(paths: readonly string[]): string {
  let common: string[] | null = null;
  for (const p of paths) {
    const dirs = p.split("/").slice(0, -1);
    if (common === null) common = dirs;
    else {
      let i = 0;
      while (i < common.length && i < dirs.length && common[i] === dirs[i]) i++;
      common = common.slice(0, i);
    }
  }
  return (common ?? []).join("/");
}

/**
 * What identifies one input (as Node's `fileIdentity`): its path relative to `root`, its size, and the hex SHA-256
 * of its first and last {@link IDENTITY_EDGE_BYTES} bytes (the whole input when small).
 */
export async function inputIdentity(input: FileInput, root: string, index = 0): Promise<string[]> {
  const size = inputSize(input);
  const bytes =
    size <= 2 * IDENTITY_EDGE_BYTES
      ? await inputBytes(input)
      : concat([await inputBytes(input, 0, IDENTITY_EDGE_BYTES), await inputBytes(input, size - IDENTITY_EDGE_BYTES, size)]);
  const digest = await sha256(bytes);
  const path = inputPath(input, index);
  const name = root && path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
  return [name, String(size), Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")];
}

/**
 * Deterministic uid of a run made from `inputs` (names relative to their common folder) plus `extra` parts: the same
 * uid as Node's `filesUid` of the same files.
 */
export async function inputsUid(inputs: readonly FileInput[], extra: readonly string[] = []): Promise<string> {
  const root = commonDirectory(inputs.map((f, i) => inputPath(f, i)));
  const parts: string[] = [];
  for (const [i, f] of inputs.entries()) parts.push(...(await inputIdentity(f, root, i)));
  return deterministicUidAsync([...parts, ...extra]);
}
