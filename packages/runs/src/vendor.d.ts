// Minimal typings for untyped CommonJS dependencies.
declare module "lz4js" {
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
}
declare module "seek-bzip" {
  const Bunzip: { decode(input: Uint8Array | Buffer, output?: unknown, multistream?: boolean): Buffer };
  export default Bunzip;
}
