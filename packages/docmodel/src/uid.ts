import type { Hash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import { DocModelError } from "./errors.js";
import { IDENTITY_EDGE_BYTES, lengthPrefixed, uidFromDigest } from "./uid-core.js";

export { IDENTITY_EDGE_BYTES };

/*
 * Deterministic run uids (spec §5: re-ingesting the same data replaces instead of duplicating). A uid must name
 * the data, not where it lies: it never depends on the absolute path, the working directory or the mtime.
 */

/**
 * A SHA-256 hash. `node:crypto` is loaded on first use, not when `@daqkit/docmodel/node` is imported: it costs about
 * 1–2 MiB of resident memory (its internal modules and WebCrypto), and only the path uids need it (issue 17).
 */
function sha256(): Hash {
  return process.getBuiltinModule("node:crypto").createHash("sha256");
}

/**
 * URL-safe base64 SHA-256 (44 characters, `=` padded, like the seed) of `parts`, each preceded by its UTF-8 byte
 * length, so `["ab", "c"]` and `["a", "bc"]` differ. A digest whose text would start with `-` (1 in 64; a command
 * line would take it for an option) starts with `_` instead.
 */
export function deterministicUid(parts: readonly string[]): string {
  return uidFromDigest(sha256().update(lengthPrefixed(parts)).digest());
}

function readAt(fd: number, length: number, position: number): Buffer {
  const b = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, b, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return b.subarray(0, done);
}

/**
 * What identifies one input file: its name relative to `root` (POSIX separators), its size, and the SHA-256 of its
 * first and last {@link IDENTITY_EDGE_BYTES} bytes (the whole file when small). Bounded I/O per file: a multi-GB
 * input costs 128 KiB; an edit in the middle of a large file that keeps its size is not seen (DAQ files are
 * written once, appended to, or cut — all of which change the size or the tail).
 * @throws DocModelError `DOCS_FILE_UNREADABLE`
 */
export function fileIdentity(path: string, root: string): string[] {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new DocModelError("DOCS_FILE_UNREADABLE", `docmodel: cannot read ${path}: ${(e as Error).message}`, { path, cause: e });
  }
  try {
    const size = fstatSync(fd).size;
    const h = sha256();
    if (size <= 2 * IDENTITY_EDGE_BYTES) h.update(readAt(fd, size, 0));
    else {
      h.update(readAt(fd, IDENTITY_EDGE_BYTES, 0));
      h.update(readAt(fd, IDENTITY_EDGE_BYTES, size - IDENTITY_EDGE_BYTES));
    }
    const name = relative(resolve(root), resolve(path)).split(sep).join("/");
    return [name, String(size), h.digest("hex")];
  } catch (e) {
    throw new DocModelError("DOCS_FILE_UNREADABLE", `docmodel: cannot read ${path}: ${(e as Error).message}`, { path, cause: e });
  } finally {
    closeSync(fd);
  }
}

/** The deepest directory containing every file of `files`. */
export function commonRoot(files: readonly string[]): string {
  let root = dirname(resolve(files[0] ?? "."));
  for (const f of files) {
    const abs = resolve(f);
    while (relative(root, abs).startsWith("..") && dirname(root) !== root) root = dirname(root);
  }
  return root;
}

/**
 * Deterministic uid of a run made from `files` ({@link fileIdentity} of each, names relative to `root`, default
 * their common directory) plus `extra` parts (e.g. a selected time range or table): the same data ingested from
 * another folder or checkout gets the same uid.
 * @throws DocModelError `DOCS_FILE_UNREADABLE`
 */
export function filesUid(files: readonly string[], extra: readonly string[] = [], root = commonRoot(files)): string {
  return deterministicUid([...files.flatMap((f) => fileIdentity(f, root)), ...extra]);
}
