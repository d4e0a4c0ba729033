// CommonJS packages without typings, imported lazily by codecs.ts (which types what it uses).
declare module "lz4js";
declare module "seek-bzip";
