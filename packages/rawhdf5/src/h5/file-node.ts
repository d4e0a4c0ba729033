/** HDF5 file checks on disk (Node `fs`). */
import { closeSync, openSync, readSync } from "node:fs";

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when the file starts with the HDF5 signature at 0, 512, 1024, 2048, … (user block sizes). */
export function hasHdf5Signature(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const buffer = new Uint8Array(8);
    for (let offset = 0; ; offset = offset === 0 ? 512 : offset * 2) {
      const got = readSync(fd, buffer, 0, 8, offset);
      if (got < 8) return false;
      if (HDF5_SIGNATURE.every((b, i) => buffer[i] === b)) return true;
      if (offset > 1 << 30) return false;
    }
  } finally {
    closeSync(fd);
  }
}
