/** A JSON form of an LGDO for comparing reads across platforms (typed arrays → arrays, bigint → "123n", Map → object). */
export function lgdoJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") return `${v}n`;
    if (ArrayBuffer.isView(v) && !(v instanceof DataView))
      return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => (typeof x === "bigint" ? `${x}n` : Number.isNaN(x) ? "NaN" : x));
    if (v instanceof Map) return Object.fromEntries(v);
    return v;
  });
}
