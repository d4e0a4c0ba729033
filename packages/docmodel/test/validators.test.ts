/**
 * The schema validators are Ajv standalone code generated at build time (`scripts/embed-validators.mjs`): they must
 * give what Ajv compiling the embedded schemas here gives — the same verdict and the same errors — for the documents
 * of the Python-written test runs and for damaged copies of them. A stale generated file (schemas changed, options
 * changed) fails here.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { DocModelError, EVENT_MODEL_SCHEMAS, decodeMsgpackRecords, toPlain, validateDocument } from "../src/index.js";
import { TESTDATA } from "./helpers.js";

const ajv = new Ajv2020({ strict: false, allErrors: false });

/** What Ajv compiled here says of `doc`: null when valid, else its errors. */
function reference(name: string, doc: unknown): unknown {
  if (!ajv.getSchema(name)) ajv.addSchema(EVENT_MODEL_SCHEMAS[name] as object, name);
  const validate = ajv.getSchema(name);
  if (!validate) throw new Error(`no schema ${name}`);
  return validate(doc) ? null : validate.errors;
}

/** What validateDocument says of `doc`. */
function ours(name: string, doc: unknown): unknown {
  try {
    validateDocument(name, doc);
    return null;
  } catch (e) {
    if (!DocModelError.isInstance(e) || e.code !== "DOCS_SCHEMA_INVALID") throw e;
    return e.schemaErrors;
  }
}

/** Damaged copies: each top-level key dropped, replaced by a wrong type, and an unknown key added. */
function* damaged(doc: Record<string, unknown>): Generator<Record<string, unknown>> {
  for (const k of Object.keys(doc)) {
    const { [k]: _, ...rest } = doc;
    yield rest;
    yield { ...doc, [k]: typeof doc[k] === "string" ? 7 : "x" };
  }
  yield { ...doc, not_in_the_schema: 1 };
}

describe("precompiled schema validators", () => {
  it("agree with Ajv compiling the schemas at run time, on valid and damaged documents", () => {
    const files = readdirSync(TESTDATA).filter((f) => f.endsWith(".msgpack"));
    expect(files.length).toBeGreaterThan(0);
    let checked = 0;
    let invalid = 0;
    const names = new Set<string>();
    for (const f of files) {
      for (const [name, doc] of decodeMsgpackRecords(readFileSync(join(TESTDATA, f)))) {
        names.add(name);
        // Plain JSON values (as the schema sees them; numpy arrays as nested lists).
        const plain = JSON.parse(JSON.stringify(toPlain(doc))) as Record<string, unknown>;
        for (const candidate of [plain, ...damaged(plain)]) {
          const want = reference(name, candidate);
          expect(ours(name, candidate)).toEqual(want);
          checked++;
          if (want !== null) invalid++;
        }
      }
    }
    expect(names.size).toBeGreaterThanOrEqual(5);
    expect(invalid).toBeGreaterThan(10);
    expect(checked - invalid).toBeGreaterThan(10);
  });

  it("cover every embedded schema", () => {
    for (const name of Object.keys(EVENT_MODEL_SCHEMAS)) {
      expect(ours(name, {})).toEqual(reference(name, {}));
      expect(ours(name, [])).toEqual(reference(name, []));
    }
  });
});
