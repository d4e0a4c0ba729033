import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DocModelError } from "@daqkit/docmodel";
import { FileDbError } from "@daqkit/filedb";
import { Gen2BinError } from "@daqkit/gen2-bin";
import { Lh5Error } from "@daqkit/lh5";
import { LoaderError } from "@daqkit/loader";
import { RawHdf5Error } from "@daqkit/rawhdf5";
import { RunsError } from "@daqkit/runs";
import { TimestampError } from "@daqkit/timestamps";
import { afterAll, describe, expect, it } from "vitest";
import { CliUsageError, EXIT, exitCodeFor, formatError } from "../src/errors.js";

const tmp = mkdtempSync(join(tmpdir(), "cli-errors-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A real Node error (not built by hand): `new URL` of garbage throws `ERR_INVALID_URL`. */
function nodeError(): Error {
  try {
    new URL("not a url");
  } catch (error) {
    return error as Error;
  }
  throw new Error("unreachable");
}

describe("error classification (exit codes, one line vs stack)", () => {
  it("a daqkit error: exit 3 or 4 from its category, one line, no stack", () => {
    const data = new Gen2BinError("GEN2_PARTIAL_WORD", "gen2: x.bin: 13 bytes is not a whole number of words\nmore");
    expect(data.category).toBe("data");
    expect(exitCodeFor(data)).toBe(EXIT.DATA);
    expect(formatError(data)).toBe("daqkit: GEN2_PARTIAL_WORD: gen2: x.bin: 13 bytes is not a whole number of words");
    const missing = new Lh5Error("LH5_OBJECT_NOT_FOUND", "lh5: f.lh5: no object ch1/raw");
    expect(missing.category).toBe("not-found");
    expect(exitCodeFor(missing)).toBe(EXIT.NOT_FOUND);
    expect(formatError(missing)).toBe("daqkit: LH5_OBJECT_NOT_FOUND: lh5: f.lh5: no object ch1/raw");
  });

  it("every package's error class carries a category, keeping the documented exit codes", () => {
    const cases: [Error & { code: string; category: string }, number][] = [
      [new TimestampError("TS_BAD_CYCLE_KEY", "x"), 3],
      [new Gen2BinError("GEN2_CACHE_UNREADABLE", "x"), 4],
      [new Gen2BinError("GEN2_WORKER_FAILED", "x"), 3],
      [new Lh5Error("LH5_WRITE_IO", "x"), 4],
      [new Lh5Error("LH5_TRUNCATED", "x"), 3],
      [new FileDbError("FILEDB_NO_FILES", "x"), 4],
      [new FileDbError("FILEDB_EXISTS", "x"), 3],
      [new LoaderError("LOADER_TABLE_MISSING", "x"), 4],
      [new LoaderError("LOADER_BAD_CUT", "x"), 3],
      [new RunsError("RUNS_METADATA_MISSING", "x"), 4],
      [new RunsError("RUNS_CORRUPT_CHUNK", "x"), 3],
      [new RawHdf5Error("RAWHDF5_IO", "x"), 4],
      [new RawHdf5Error("RAWHDF5_IO_VERSION_MISMATCH", "x"), 3],
      [new DocModelError("DOCS_FILE_UNREADABLE", "x"), 4],
      [new DocModelError("DOCS_FILE_EXISTS", "x"), 3],
    ];
    for (const [error, exit] of cases) {
      expect([error.code, error.category]).toEqual([error.code, exit === 4 ? "not-found" : "data"]);
      expect([error.code, exitCodeFor(error)]).toEqual([error.code, exit]);
    }
  });

  it("exit 3 vs 4 comes from the category field, not from the shape of the code", () => {
    const marker = Symbol.for("daqkit.error");
    const notFound = Object.assign(new Error("a named thing is gone"), { code: "X_GONE", category: "not-found", [marker]: true });
    const data = Object.assign(new Error("bad bytes"), { code: "X_NOT_FOUND", category: "data", [marker]: true });
    expect(exitCodeFor(notFound)).toBe(EXIT.NOT_FOUND);
    expect(exitCodeFor(data)).toBe(EXIT.DATA);
  });

  it("Node's own coded errors are bugs: exit 1 with the stack, not a data error", () => {
    const error = nodeError();
    expect((error as { code?: string }).code).toBe("ERR_INVALID_URL");
    expect(exitCodeFor(error)).toBe(EXIT.INTERNAL);
    const text = formatError(error);
    expect(text).toMatch(/^daqkit: internal error \(this is a bug/);
    expect(text).toContain("at "); // the stack
    // An error that only looks like a daqkit one (no marker) is a bug too.
    const lookalike = Object.assign(new Error("x"), { code: "GEN2_PARTIAL_WORD" });
    expect(exitCodeFor(lookalike)).toBe(EXIT.INTERNAL);
    expect(formatError(lookalike)).toContain("internal error");
    expect(exitCodeFor(new TypeError("bug"))).toBe(EXIT.INTERNAL);
  });

  it("a Node file-system error on a named file is exit 4 with one line; a bare ENOENT code is a bug", () => {
    let fsError: unknown;
    try {
      readFileSync(join(tmp, "missing.bin"));
    } catch (error) {
      fsError = error;
    }
    expect(exitCodeFor(fsError)).toBe(EXIT.NOT_FOUND);
    expect(formatError(fsError)).toBe(`daqkit: ENOENT: no such file or directory, open '${join(tmp, "missing.bin")}'`);
    const bare = Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT" });
    expect(exitCodeFor(bare)).toBe(EXIT.INTERNAL);
  });

  it("usage errors are exit 2", () => {
    expect(exitCodeFor(new CliUsageError("x"))).toBe(EXIT.USAGE);
    expect(formatError(new CliUsageError("bad --rows"))).toBe("daqkit: CLI_USAGE: bad --rows");
  });
});
