/** Deterministic content of message i in the live test. */
export function messageFor(i: number): Uint8Array {
  let s = (i * 2654435761) >>> 0;
  const len = 24 + (s % 81);
  const out = new Uint8Array(len);
  for (let j = 0; j < len; j++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[j] = s >>> 24;
  }
  out[0] = i & 0xff;
  return out;
}
