import { tableFromArrays } from "apache-arrow";
import { describe, expect, it } from "vitest";
import {
  type ExpressionColumn,
  evaluateExpression,
  expressionColumns,
  FileDbError,
  formatExpression,
  parseExpression,
} from "../src/index.js";

const columns: Record<string, ExpressionColumn> = {
  type: ["cal", "cal", "phy", "phy"],
  timestamp: ["20230318T012144Z", "20230318T012228Z", "20230322T160139Z", "20230322T170202Z"],
  run: ["r001", "r001", "r001", "r014"],
  file_status: new Int32Array([30, 30, 26, 30]),
  trapEmax: new Float32Array([4000.5, 6000, Number.NaN, 10000]),
  is_valid_cal: new Uint8Array([1, 0, 1, 0]),
  big: new BigInt64Array([9007199254740993n, 1n, -5n, 0n]),
};

function run(text: string, cols: Record<string, ExpressionColumn> = columns, length = 4): number[] {
  return Array.from(evaluateExpression(parseExpression(text), (name) => cols[name], length));
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (FileDbError.isInstance(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe("parseExpression", () => {
  it("parses pygama's documented queries", () => {
    const e = parseExpression("file_status == 26 and timestamp == '20220716T130443Z'");
    expect(e.kind).toBe("binary");
    expect(formatExpression(e)).toBe("file_status == 26 and timestamp == '20220716T130443Z'");
    expect(expressionColumns(e)).toEqual(["file_status", "timestamp"]);
    expect(expressionColumns(parseExpression("run == 'r014' and type in ['cal']"))).toEqual(["run", "type"]);
  });

  it("gives and higher precedence than or, and & | the same as and/or (pandas parser)", () => {
    expect(formatExpression(parseExpression("a == 1 or b == 2 and c == 3"))).toBe("a == 1 or b == 2 and c == 3");
    expect(formatExpression(parseExpression("(a == 1 | b == 2) & c == 3"))).toBe("(a == 1 or b == 2) and c == 3");
    expect(formatExpression(parseExpression("not a == 1"))).toBe("not a == 1");
    expect(formatExpression(parseExpression("~(a == 1)"))).toBe("not a == 1");
  });

  it("parses arithmetic with the usual precedence and right-associative **", () => {
    expect(formatExpression(parseExpression("a + b * c ** 2 ** 3 > -1"))).toBe("a + b * c ** 2 ** 3 > -1");
    expect(formatExpression(parseExpression("(a + b) * c"))).toBe("(a + b) * c");
    expect(run("-2 ** 2 == -4", {}, 1)).toEqual([1]);
  });

  it("does not take words inside string literals or function names as columns (B17)", () => {
    const e = parseExpression("type == 'phy and cal' and abs(trapEmax) > 1 and `odd name` != \"x\"");
    expect(expressionColumns(e)).toEqual(["type", "trapEmax", "odd name"]);
  });

  it("keeps integers beyond 2^53 exact as bigint", () => {
    const e = parseExpression("x == 9007199254740993");
    expect(e.kind === "binary" && e.right.kind === "literal" && e.right.value).toBe(9007199254740993n);
  });

  it.each([
    ["type == ", 8],
    ["type = 'cal'", 5],
    ["(a == 1", 7],
    ["a == 'unterminated", 5],
    ["a && b", 2],
    ["a == 1 b", 7],
    ["", 0],
    ["foo(a) > 1", 0],
    ["a == @x", 5],
    ["a in [1, 2", 10],
  ])("rejects %j at position %i with FILEDB_BAD_EXPRESSION", (text, position) => {
    let error: unknown;
    try {
      parseExpression(text);
    } catch (e) {
      error = e;
    }
    expect(FileDbError.isInstance(error)).toBe(true);
    expect((error as FileDbError).code).toBe("FILEDB_BAD_EXPRESSION");
    expect((error as FileDbError).position).toBe(position);
  });
});

describe("evaluateExpression", () => {
  it("selects rows with string and number comparisons", () => {
    expect(run("type == 'phy'")).toEqual([0, 0, 1, 1]);
    expect(run("file_status == 26 and timestamp == '20230322T160139Z'")).toEqual([0, 0, 1, 0]);
    expect(run("run == 'r014' and type in ['phy']")).toEqual([0, 0, 0, 1]);
    expect(run("type not in ('cal',)")).toEqual([0, 0, 1, 1]);
    expect(run("timestamp >= '20230322T000000Z'")).toEqual([0, 0, 1, 1]);
    expect(run('type == "cal" or file_status != 30')).toEqual([1, 1, 1, 0]);
  });

  it("treats NaN like numpy and booleans as 0/1", () => {
    expect(run("trapEmax > 5000")).toEqual([0, 1, 0, 1]);
    expect(run("trapEmax != 6000")).toEqual([1, 0, 1, 1]);
    expect(run("is_valid_cal == False")).toEqual([0, 1, 0, 1]);
    expect(run("is_valid_cal and trapEmax > 5000")).toEqual([0, 0, 0, 0]);
    expect(run("~is_valid_cal & (trapEmax > 5000)")).toEqual([0, 1, 0, 1]);
    expect(run("not is_valid_cal")).toEqual([0, 1, 0, 1]);
  });

  it("chains comparisons", () => {
    expect(run("4000 < trapEmax <= 6000")).toEqual([1, 1, 0, 0]);
  });

  it("compares BigInt64Array columns exactly", () => {
    expect(run("big == 9007199254740993")).toEqual([1, 0, 0, 0]);
    expect(run("big == 9007199254740992")).toEqual([0, 0, 0, 0]);
    expect(run("big > 0")).toEqual([1, 1, 0, 0]);
    expect(run("big in [1, -5]")).toEqual([0, 1, 1, 0]);
    expect(run("big + 1 == 9007199254740994")).toEqual([1, 0, 0, 0]);
    expect(run("big // 2 == -3")).toEqual([0, 0, 1, 0]);
  });

  it("does arithmetic and functions as float64", () => {
    expect(run("trapEmax / 2 > 2500")).toEqual([0, 1, 0, 1]);
    expect(run("abs(0 - trapEmax) >= 10000")).toEqual([0, 0, 0, 1]);
    expect(run("file_status % 4 == 2")).toEqual([1, 1, 1, 1]);
    expect(run("-7 // 2 == -4 and -7 % 2 == 1", {}, 2)).toEqual([1, 1]);
  });

  it("never makes a string equal to a number", () => {
    expect(run("run == 1")).toEqual([0, 0, 0, 0]);
    expect(run("run != 1")).toEqual([1, 1, 1, 1]);
    expect(codeOf(() => run("run < 1"))).toBe("FILEDB_BAD_EXPRESSION");
    expect(codeOf(() => run("type"))).toBe("FILEDB_BAD_EXPRESSION");
    expect(codeOf(() => run("type + 1 > 0"))).toBe("FILEDB_BAD_EXPRESSION");
  });

  it("reports unknown columns with FILEDB_UNKNOWN_COLUMN and the position", () => {
    let error: unknown;
    try {
      run("type == 'cal' and blah_file == 'x'");
    } catch (e) {
      error = e;
    }
    expect((error as FileDbError).code).toBe("FILEDB_UNKNOWN_COLUMN");
    expect((error as FileDbError).column).toBe("blah_file");
    expect((error as FileDbError).position).toBe(18);
  });

  it("rejects a column of the wrong length", () => {
    expect(codeOf(() => run("type == 'x'", { type: ["a"] }, 2))).toBe("FILEDB_BAD_EXPRESSION");
  });

  it("broadcasts constant expressions", () => {
    expect(run("True", {}, 3)).toEqual([1, 1, 1]);
    expect(run("1 == 2", {}, 2)).toEqual([0, 0]);
  });

  it("evaluates Arrow vectors, including Int64, Utf8, Bool and nulls", () => {
    const t = tableFromArrays({
      s: ["a", "b", "c"],
      i: new BigInt64Array([1n, 2n, 3n]),
      f: new Float64Array([0.5, 1.5, 2.5]),
      b: [true, false, true],
    });
    const get = (name: string) => t.getChild(name as "s") ?? undefined;
    expect(Array.from(evaluateExpression(parseExpression("s in ['a', 'c'] and i >= 1 and f < 2"), get, 3))).toEqual([1, 0, 0]);
    expect(Array.from(evaluateExpression(parseExpression("b == True and i != 3"), get, 3))).toEqual([1, 0, 0]);
    expect(run("x > 1", { x: [1, null, 3] }, 3)).toEqual([0, 0, 1]);
    expect(run("x != 'q'", { x: ["q", null, "r"] }, 3)).toEqual([0, 1, 1]);
  });

  it("does not hand out a caller's column as the result", () => {
    const mask = new Uint8Array([1, 0]);
    const out = evaluateExpression(parseExpression("m"), () => mask, 2);
    expect(Array.from(out)).toEqual([1, 0]);
    expect(out).not.toBe(mask);
  });
});

describe("deeply nested expressions (fault suite finding)", () => {
  const code = (text: string): string | undefined => {
    try {
      parseExpression(text);
      return undefined;
    } catch (error) {
      return (error as { code?: string }).code ?? String(error);
    }
  };
  it("are a coded FILEDB_BAD_EXPRESSION, not a stack overflow", () => {
    expect(code(`${"(".repeat(5000)}run${")".repeat(5000)} == 1`)).toBe("FILEDB_BAD_EXPRESSION");
    expect(code(`${"[".repeat(5000)}1${"]".repeat(5000)}`)).toBe("FILEDB_BAD_EXPRESSION");
    expect(code(`${"not ".repeat(50000)}x`)).toBe("FILEDB_BAD_EXPRESSION");
    expect(code(`${"-".repeat(200000)}1 > 0`)).toBe("FILEDB_BAD_EXPRESSION");
    expect(code(`2${"**2".repeat(50000)}`)).toBe("FILEDB_BAD_EXPRESSION");
    expect(code(Array.from({ length: 20000 }, (_, i) => `x > ${i}`).join(" and "))).toBe("FILEDB_BAD_EXPRESSION");
  });
  it("within the limits they parse and evaluate", () => {
    const e = parseExpression(`${"(".repeat(150)}x${")".repeat(150)} > 0 and ${"not ".repeat(100)}x > 1`);
    expect(Array.from(evaluateExpression(e, () => new Float64Array([1, 2]), 2))).toEqual([0, 1]);
    const chain = parseExpression(Array.from({ length: 500 }, (_, i) => `x > ${i - 10}`).join(" and "));
    expect(Array.from(evaluateExpression(chain, () => new Float64Array([1000, 5]), 2))).toEqual([1, 0]);
  });
});
