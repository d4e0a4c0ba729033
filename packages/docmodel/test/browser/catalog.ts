// Runs in Chromium (bundled by test/support/browser.ts from the main entry only): loads the Bluesky msgpack runs of
// ../shared/testdata/docmodel as `File`s, builds a catalog, searches it with Mongo-style queries, reads every
// stream, and ingests a TIFF series given as `File`s; returns what it found (compared with Node by the test).
import {
  type DocumentPair,
  InMemoryCatalog,
  NdArray,
  type Query,
  decodeMsgpackRecords,
  encodeTiff,
  ingestTiffFiles,
  toPlain,
} from "../../src/index.js";
import { summarizeCatalog } from "./summary.js";

export interface PageArg {
  readonly base: string;
  readonly names: readonly string[];
  readonly queries: readonly Query[];
  readonly tiff: { readonly count: number; readonly firstTime: number };
}

export async function run(arg: PageArg, origin: string) {
  const files: File[] = [];
  for (const name of arg.names) {
    const response = await fetch(`${origin}${arg.base}${name}`);
    if (!response.ok) throw new Error(`GET ${name}: ${response.status}`);
    files.push(new File([await response.arrayBuffer()], name));
  }
  const catalog = new InMemoryCatalog();
  for (const file of files) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    await catalog.upsert((b: Uint8Array) => decodeMsgpackRecords(b, file.name), [bytes]);
  }
  let badUtf8 = "";
  try {
    // A str of invalid UTF-8 (0xff) in a record: refused with a code, as in Node.
    decodeMsgpackRecords(Uint8Array.of(0x92, 0xa5, 0x73, 0x74, 0x61, 0x72, 0xff, 0x80), "bad.msgpack").next();
  } catch (e) {
    badUtf8 = (e as { code?: string }).code ?? String(e);
  }
  const tiffFiles = Array.from({ length: arg.tiff.count }, (_, i) => tiffFile(i, arg.tiff.firstTime));
  const pairs: DocumentPair[] = [];
  for await (const pair of ingestTiffFiles(tiffFiles)) pairs.push(pair);
  const tiffCatalog = new InMemoryCatalog();
  await tiffCatalog.upsert(async function* () {
    yield* pairs;
  });
  const tiffRun = await tiffCatalog.run(-1);
  return {
    ...(await summarizeCatalog(catalog, arg.queries)),
    badUtf8,
    tiff: {
      uid: tiffRun.start.uid,
      names: pairs.map(([n]) => n),
      image: toPlain(tiffRun.stream("primary").read().columns.image),
    },
  };
}

/** The i-th frame of the TIFF series (the test writes the same files for Node). */
export function tiffFile(i: number, firstTime: number): File {
  const image = new NdArray(
    "<u2",
    [8, 5],
    Uint16Array.from({ length: 40 }, (_, j) => 100 * i + j),
  );
  return new File([encodeTiff([image]) as BlobPart], `frame_${i}.tiff`, { lastModified: (firstTime + i) * 1000 });
}
