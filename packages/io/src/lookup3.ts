/**
 * Bob Jenkins' lookup3 `hashlittle`, the checksum HDF5 uses for version-2 object headers
 * (HDF5's `H5_checksum_lookup3`), also of superblocks v2/v3 and other metadata blocks. Byte-wise,
 * so independent of alignment and host endianness. One copy for every format package (lh5, rawhdf5).
 *
 * @param bytes the bytes to hash
 * @param initval initial value (HDF5 uses 0)
 * @returns the 32-bit checksum as an unsigned number
 */
export function lookup3(bytes: Uint8Array, initval = 0): number {
  let length = bytes.length;
  let a = (0xdeadbeef + length + initval) | 0;
  let b = a;
  let c = a;
  let o = 0;
  const k = bytes;
  const rot = (x: number, s: number): number => (x << s) | (x >>> (32 - s));
  while (length > 12) {
    a = (a + (k[o]! | (k[o + 1]! << 8) | (k[o + 2]! << 16) | (k[o + 3]! << 24))) | 0;
    b = (b + (k[o + 4]! | (k[o + 5]! << 8) | (k[o + 6]! << 16) | (k[o + 7]! << 24))) | 0;
    c = (c + (k[o + 8]! | (k[o + 9]! << 8) | (k[o + 10]! << 16) | (k[o + 11]! << 24))) | 0;
    // mix(a, b, c)
    a = (a - c) | 0;
    a ^= rot(c, 4);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 6);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 8);
    b = (b + a) | 0;
    a = (a - c) | 0;
    a ^= rot(c, 16);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 19);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 4);
    b = (b + a) | 0;
    length -= 12;
    o += 12;
  }
  if (length === 0) return c >>> 0;
  // The tail: the remaining 1..12 bytes, little-endian, into c (bytes 8..11), b (4..7), a (0..3).
  for (let i = length - 1; i >= 0; i--) {
    const byte = k[o + i]!;
    const shift = (i % 4) * 8;
    if (i >= 8) c = (c + (byte << shift)) | 0;
    else if (i >= 4) b = (b + (byte << shift)) | 0;
    else a = (a + (byte << shift)) | 0;
  }
  // final(a, b, c)
  c ^= b;
  c = (c - rot(b, 14)) | 0;
  a ^= c;
  a = (a - rot(c, 11)) | 0;
  b ^= a;
  b = (b - rot(a, 25)) | 0;
  c ^= b;
  c = (c - rot(b, 16)) | 0;
  a ^= c;
  a = (a - rot(c, 4)) | 0;
  b ^= a;
  b = (b - rot(a, 14)) | 0;
  c ^= b;
  c = (c - rot(b, 24)) | 0;
  return c >>> 0;
}
