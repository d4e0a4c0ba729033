import { expressionColumns, parseExpression } from "@daqkit/filedb";
import type { LevelCut } from "./entry-list.js";
import { LoaderError } from "./errors.js";

/**
 * Parse a cut with the FileDB expression language (a real parser: function names such as `abs`
 * and words inside string literals are not columns — pygama bug B17).
 * @throws LoaderError `LOADER_BAD_CUT` (the FileDB parse error is its `cause`).
 */
export function parseLevelCut(level: string, text: string): LevelCut {
  try {
    const expression = parseExpression(text);
    return { level, text, expression, columns: expressionColumns(expression) };
  } catch (cause) {
    throw new LoaderError("LOADER_BAD_CUT", `loader: cut on level "${level}" does not parse: ${(cause as Error).message}`, {
      level,
      cause,
    });
  }
}

/** Join cut texts of one level with `and`, each parenthesised. */
export function joinCutTexts(texts: readonly string[]): string {
  return texts.length === 1 ? (texts[0] as string) : texts.map((t) => `(${t})`).join(" and ");
}
