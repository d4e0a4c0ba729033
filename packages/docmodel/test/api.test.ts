import { expect, test } from "vitest";
import * as main from "../src/index.js";
import * as node from "../src/node.js";

/**
 * Issue 14, "Narrow public APIs": the main entry exports the documented API (README "API") and nothing else. The
 * msgpack codec classes, `RecordEncoder`, `columnRow`, `dtypeOfTypedArray` and `isTypedArray` are internals (used
 * by nothing outside this package); tests reach them through their modules. Adding a value here means documenting it.
 */
test("the main entry's values are the documented API", () => {
  expect(Object.keys(main).sort()).toEqual(
    [
      "BlueskyRun",
      "DOCUMENT_NAMES",
      "DocModelError",
      "DocumentRouter",
      "EVENT_MODEL_SCHEMAS",
      "Filler",
      "InMemoryCatalog",
      "NdArray",
      "PyBytes",
      "PyComplex",
      "checkQuery",
      "compileQuery",
      "composeResource",
      "composeRun",
      "decodeMsgpack",
      "decodeMsgpackRecords",
      "encodeMsgpack",
      "encodeMsgpackRun",
      "encodeTiff",
      "eventFromPage",
      "ingestTiffFiles",
      "ingestTiffStackFile",
      "isValidDocument",
      "loadMsgpackRunBytes",
      "loadRun",
      "loadRunSync",
      "loadTiffDecoder",
      "matchQuery",
      "mergeDatumPages",
      "mergeEventPages",
      "ndarray",
      "newUid",
      "nowSeconds",
      "packDatumPage",
      "packEventPage",
      "readImageFrame",
      "readTiffPages",
      "rechunkDatumPages",
      "rechunkEventPages",
      "toPlain",
      "unpackDatumPage",
      "unpackEventPage",
      "validateDocument",
    ].sort(),
  );
});

test("internals are not exported from ./node either", () => {
  for (const name of ["MsgpackEncoder", "MsgpackDecoder", "RecordEncoder", "columnRow", "dtypeOfTypedArray", "isTypedArray"]) {
    expect(main, name).not.toHaveProperty(name);
    expect(node, name).not.toHaveProperty(name);
  }
});
