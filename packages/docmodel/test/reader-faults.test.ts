import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DocModelError, type DocumentPair, decodeMsgpack, decodeMsgpackRecords, encodeMsgpack, loadRunSync } from "../src/index.js";
import { loadMsgpackRun, openMsgpackCatalog } from "../src/node.js";
import { RUNS, TESTDATA } from "./helpers.js";

/* Regression tests of issue 14: invalid UTF-8 and damaged documents give coded errors, never U+FFFD or a TypeError. */

const tmp = mkdtempSync(join(tmpdir(), "docmodel-faults-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function records(uid: string): DocumentPair[] {
  return [...decodeMsgpackRecords(readFileSync(join(TESTDATA, `${uid}.msgpack`)))];
}

/** Write `pairs` as raw msgpack records (pages as given) and return the path. */
function writeRun(name: string, pairs: DocumentPair[]): string {
  const parts = pairs.map((p) => encodeMsgpack(p));
  const path = join(tmp, `${name}.msgpack`);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

function thrown(fn: () => unknown): DocModelError {
  try {
    fn();
  } catch (e) {
    if (DocModelError.isInstance(e)) return e;
    throw e;
  }
  throw new Error("expected a DocModelError");
}

describe("strict UTF-8", () => {
  it("a str with an invalid byte is refused with the file, record and byte offset (was U+FFFD)", () => {
    const bytes = new Uint8Array(readFileSync(join(TESTDATA, `${RUNS.scalars}.msgpack`)));
    // "plan_name" → "pl\xffn_name" (the value key of the RunStart).
    const at = Buffer.from(bytes).indexOf("plan_name");
    const bad = bytes.slice();
    bad[at + 2] = 0xff;
    const path = join(tmp, "bad-utf8.msgpack");
    writeFileSync(path, bad);
    for (const read of [() => [...decodeMsgpackRecords(bad, path)], () => loadMsgpackRun(path), () => openMsgpackCatalog(path)]) {
      const e = thrown(read);
      expect(e.code).toBe("DOCS_MSGPACK_BAD_UTF8");
      expect(e.path).toBe(path);
      expect(e.recordIndex).toBe(0);
      expect(e.byteOffset).toBe(at - 1); // the fixstr header
      expect(e.message).toContain(path);
    }
  });

  it("refuses overlong forms, surrogates, cut sequences and code points above U+10FFFF; keeps valid text", () => {
    for (const seq of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0x80]]) {
      for (const pad of [0, 40]) {
        // fixstr (short path) and str8 (long path).
        const body = [...Array(pad).fill(0x61), ...seq];
        const head = body.length < 32 ? [0xa0 | body.length] : [0xd9, body.length];
        expect(thrown(() => decodeMsgpack(Uint8Array.from([...head, ...body]))).code).toBe("DOCS_MSGPACK_BAD_UTF8");
      }
    }
    for (const s of ["plan_name", "ü", "日本語のテキスト", "a".repeat(40) + "€", "😀".repeat(10)])
      expect(decodeMsgpack(encodeMsgpack(s))).toBe(s);
  });

  it("map keys must be str or bin (Python strict_map_key); __proto__ is an ordinary key", () => {
    expect(thrown(() => decodeMsgpack(Uint8Array.from([0x81, 0x01, 0x02]))).code).toBe("DOCS_MSGPACK_BAD_RECORD");
    const v = decodeMsgpack(Uint8Array.from([0x81, 0xa9, ...Buffer.from("__proto__"), 0x81, 0xa1, 0x78, 0x01])) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(["__proto__"]);
  });
});

describe("damaged documents give coded errors naming the file/run, document and field (were TypeErrors)", () => {
  it("a descriptor whose DataKey shape is not an array", () => {
    const pairs = records(RUNS.image);
    const desc = pairs.find(([n]) => n === "descriptor")?.[1] as { data_keys: Record<string, { shape: unknown }> };
    (desc.data_keys.cam_image as { shape: unknown }).shape = 7;
    const path = writeRun("shape", pairs);
    const e = thrown(() => loadMsgpackRun(path).stream("primary").read());
    expect(e).toMatchObject({
      code: "DOCS_MALFORMED_DOCUMENT",
      path,
      documentName: "descriptor",
      field: "data_keys.cam_image.shape",
      run: RUNS.image,
    });
    expect(e.message).toContain(path);
    expect(thrown(() => loadRunSync(pairs).stream("primary").read()).code).toBe("DOCS_MALFORMED_DOCUMENT");
  });

  it("a damaged event_page key (data → dbta)", () => {
    const pairs = records(RUNS.image);
    const page = pairs.find(([n]) => n === "event_page")?.[1] as Record<string, unknown>;
    page.dbta = page.data;
    delete page.data;
    const path = writeRun("page-key", pairs);
    const e = thrown(() => loadMsgpackRun(path).stream("primary").read());
    expect(e).toMatchObject({ code: "DOCS_MALFORMED_DOCUMENT", path, documentName: "event_page", field: "data", run: RUNS.image });
  });

  it("an event_page column of the wrong length", () => {
    const pairs = records(RUNS.page);
    const page = pairs.find(([n]) => n === "event_page")?.[1] as { seq_num: number[] };
    page.seq_num = page.seq_num.slice(1);
    const e = thrown(() => loadMsgpackRun(writeRun("page-len", pairs)));
    expect(e).toMatchObject({ code: "DOCS_MALFORMED_DOCUMENT", documentName: "event_page", field: "uid" });
  });

  it("a damaged datum_page (datum_id not a list, datum_kwargs missing)", () => {
    for (const damage of [(p: Record<string, unknown>) => (p.datum_id = 5), (p: Record<string, unknown>) => delete p.datum_kwargs]) {
      const pairs = records(RUNS.external);
      damage(pairs.find(([n]) => n === "datum_page")?.[1] as Record<string, unknown>);
      const path = writeRun("datum-page", pairs);
      const e = thrown(() => loadMsgpackRun(path).stream("primary").read({ fill: false }));
      expect(e).toMatchObject({ code: "DOCS_MALFORMED_DOCUMENT", path, documentName: "datum_page", run: RUNS.external });
      expect(["datum_id", "datum_kwargs"]).toContain(e.field);
    }
  });
});
