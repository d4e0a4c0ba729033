import type { ValidateFunction } from "ajv";
import type { DocumentName } from "./documents.js";
import { DocModelError } from "./errors.js";
import { eventModelValidators } from "./event-model-validators.js";
import { NdArray, isTypedArray, toPlain } from "./ndarray.js";

/**
 * The schemas' validators, compiled ahead of time by Ajv's standalone code generation
 * (`scripts/embed-validators.mjs`; same errors as compiling them with Ajv here, without loading Ajv). Made on first
 * use: a process that never validates (reading a run) does not run their top level (issue 17).
 */
let validators: Readonly<Record<string, ValidateFunction>> | undefined;

function validatorFor(name: string): ValidateFunction {
  validators ??= eventModelValidators() as unknown as Readonly<Record<string, ValidateFunction>>;
  if (!Object.hasOwn(validators, name))
    throw new DocModelError("DOCS_BAD_ARGUMENT", `docmodel: unknown document name ${JSON.stringify(name)}`);
  return validators[name] as ValidateFunction;
}

/**
 * Page columns may be typed arrays or NdArrays: the schema only needs "an array" for data/timestamps columns
 * (items are `{}`), so a placeholder stands in (no copy of big images); `filled` items are checked, so those are
 * converted.
 */
function columnsAsArrays(columns: unknown, convert: boolean): unknown {
  if (columns === null || typeof columns !== "object" || Array.isArray(columns)) return columns;
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(columns)) {
    const c = (columns as Record<string, unknown>)[k];
    if ((c instanceof NdArray && c.shape.length > 0) || isTypedArray(c)) {
      out ??= { ...(columns as Record<string, unknown>) };
      out[k] = convert ? toPlain(c) : EMPTY;
    }
  }
  return out ?? columns;
}

const EMPTY: unknown[] = [];

function viewForSchema(name: string, doc: unknown): unknown {
  if (doc === null || typeof doc !== "object") return doc;
  const d = doc as Record<string, unknown>;
  switch (name) {
    case "event":
      // data/timestamps values are unconstrained by the schema: no conversion needed.
      return d;
    case "event_page": {
      const time = isTypedArray(d.time) ? Array.from(d.time as Float64Array) : d.time;
      const data = columnsAsArrays(d.data, false);
      const timestamps = columnsAsArrays(d.timestamps, false);
      const filled = columnsAsArrays(d.filled, true);
      if (time === d.time && data === d.data && timestamps === d.timestamps && filled === d.filled) return d;
      const out: Record<string, unknown> = { ...d, time, data, timestamps };
      if ("filled" in d) out.filled = filled;
      return out;
    }
    default:
      return toPlain(d);
  }
}

/**
 * Validate a document against its official Event Model schema (v1.24.0, JSON Schema 2020-12 via Ajv).
 * Typed arrays and {@link NdArray}s count as arrays.
 * @param name document name (`start`, `descriptor`, `event`, `event_page`, `stop`, `resource`, `datum`,
 *   `datum_page`, `stream_resource`, `stream_datum`, `bulk_events`, `bulk_datum`)
 * @throws DocModelError `DOCS_SCHEMA_INVALID` (Ajv errors in `schemaErrors`), `DOCS_BAD_ARGUMENT` for an unknown name
 */
export function validateDocument(name: DocumentName | string, doc: unknown): void {
  const v = validatorFor(name);
  if (v(viewForSchema(name, doc))) return;
  const errors = v.errors ?? [];
  const first = errors[0];
  const where = first ? `${first.instancePath || "/"} ${first.message ?? ""}` : "invalid";
  const extra = first?.params && "unevaluatedProperty" in first.params ? ` (${String(first.params.unevaluatedProperty)})` : "";
  throw new DocModelError("DOCS_SCHEMA_INVALID", `docmodel: ${name} document fails its schema: ${where}${extra}`, {
    documentName: name,
    schemaErrors: errors.slice(),
  });
}

/** True when {@link validateDocument} would not throw. */
export function isValidDocument(name: DocumentName | string, doc: unknown): boolean {
  return validatorFor(name)(viewForSchema(name, doc));
}
