/**
 * The one place `@daqkit/filedb` opens LH5 files (saved databases and tier files): every reader goes
 * through {@link openLh5File} and {@link openLh5FileLinks}. Today `@daqkit/lh5` opens host paths
 * only; when its `openLh5(source)` takes bytes, a `File` or a byte source, these two functions are
 * what changes for scans over an `@daqkit/io` directory source (in a browser).
 */
import { type Lh5File, type Lh5Links, openLh5, openLh5Links } from "@daqkit/lh5";

/** Open an LH5 file for reading. @throws Lh5Error (`LH5_FILE_NOT_FOUND`, `LH5_NOT_HDF5`, …) */
export function openLh5File(path: string): Promise<Lh5File> {
  return openLh5(path);
}

/**
 * The fast link lister over an LH5 file (group names only, no h5wasm).
 * @throws Lh5Error `LH5_UNSUPPORTED` for layouts it does not read (callers fall back to {@link openLh5File})
 */
export function openLh5FileLinks(path: string): Lh5Links {
  return openLh5Links(path);
}
