/**
 * The HDF5 type of fixed-length string datasets, set the way numpy/h5py (and so lgdo) write them:
 * ASCII, NULLPAD (spec §4.3). h5wasm can only create fixed-length strings as UTF-8 SPACEPAD (`S`) or
 * ASCII NULLTERM (`A`), and HDF5 refuses to convert between the two character sets, so an h5py
 * append of numpy `S` data onto a UTF-8 dataset fails ("no appropriate function for conversion
 * path"). The writer therefore rewrites the two type bits of each string dataset it created, after
 * h5wasm has closed the file (while open, h5wasm's metadata cache would write the old header back):
 * byte 1 of the datatype message (HDF5 file format spec IV.A.2.d: bits 0–3 padding, 4–7 charset),
 * plus the Jenkins lookup3 checksum of a v2 object header chunk (io's `lookup3`).
 */
import { lookup3 } from "@daqkit/io";
import { Lh5Error } from "./errors.js";
import { type SyncByteSource, openLh5Links } from "./fast-links.js";

/** HDF5 string padding: 0 NULLTERM, 1 NULLPAD, 2 SPACEPAD. */
const STR_NULLPAD = 1;
/** HDF5 character sets. */
export const CSET_ASCII = 0;
export const CSET_UTF8 = 1;
/** Datatype class of fixed-length strings. */
const CLASS_STRING = 3;

/** True when every string is 7-bit ASCII (what numpy `S` arrays hold when made from `str`). */
export function isAsciiOnly(values: readonly string[]): boolean {
  for (const s of values) {
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  }
  return true;
}

/** A file that can be read and patched synchronously. */
export interface PatchableFile extends SyncByteSource {
  writeSync(offset: number, bytes: Uint8Array): void;
}

/**
 * Set the fixed-length string dataset at `objPath` to NULLPAD with character set `cset`.
 * The stored checksum of a v2 header chunk is verified before and rewritten after the change.
 * @throws Lh5Error `LH5_WRITE_IO` when the dataset, its type or its header chunk is not as h5wasm wrote it.
 */
export function setFixedStringType(file: PatchableFile, objPath: string, cset: number): void {
  const fail = (what: string) =>
    new Lh5Error("LH5_WRITE_IO", `lh5: ${file.name}:/${objPath}: setting the string type to NULLPAD failed: ${what}`, {
      path: file.name,
      objectPath: objPath,
    });
  const links = openLh5Links(file, { name: file.name });
  let at: ReturnType<typeof links.datatypeMessage>;
  try {
    at = links.datatypeMessage(objPath);
  } finally {
    links.close();
  }
  if (!at || at.size < 8) throw fail("no datatype message");
  const head = file.readSync(at.data, 2);
  if ((head[0]! & 0x0f) !== CLASS_STRING) throw fail(`datatype class ${head[0]! & 0x0f}, expected ${CLASS_STRING} (string)`);
  const bits = STR_NULLPAD | (cset << 4);
  if (head[1] === bits) return;
  if (!at.chunk) {
    file.writeSync(at.data + 1, Uint8Array.of(bits));
    return;
  }
  const { start, checksum } = at.chunk;
  if (!(start < at.data && at.data < checksum && checksum + 4 <= file.size))
    throw fail(`header chunk at ${start} does not hold the message`);
  const chunk = file.readSync(start, checksum + 4 - start).slice();
  const view = new DataView(chunk.buffer);
  const body = chunk.subarray(0, checksum - start);
  if (lookup3(body) !== view.getUint32(checksum - start, true)) throw fail(`checksum mismatch in the header chunk at ${start}`);
  body[at.data + 1 - start] = bits;
  view.setUint32(checksum - start, lookup3(body), true);
  file.writeSync(start, chunk);
}
