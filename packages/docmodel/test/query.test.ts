import { describe, expect, it } from "vitest";
import { DocModelError, compileQuery, matchQuery } from "../src/index.js";
import { readJson } from "./helpers.js";

interface Case {
  query: Record<string, unknown>;
  matches: string[];
  errors?: Record<string, string>;
}

const { docs, cases } = readJson<{ docs: { uid: string }[]; cases: Case[] }>("search_cases.json");

describe("search_cases.json (mongoquery 1.4.3 results)", () => {
  it("has 62 cases", () => expect(cases.length).toBe(62));
  cases.forEach((c, i) => {
    const queryErrors = c.errors && Object.values(c.errors).some((e) => e === "QueryError" || e === "NotImplementedError");
    it(`case ${i}: ${JSON.stringify(c.query)}`, () => {
      if (queryErrors) {
        try {
          compileQuery(c.query);
          expect.unreachable("should throw");
        } catch (e) {
          expect(DocModelError.isInstance(e) && e.code).toBe("DOCS_QUERY_INVALID");
        }
        return;
      }
      const match = compileQuery(c.query);
      expect(docs.filter((d) => match(d)).map((d) => d.uid)).toEqual(c.matches);
    });
  });

  it("booleans never equal numbers (divergence from Python)", () => {
    expect(matchQuery({ scan_id: true }, { scan_id: 1 })).toBe(false);
    expect(matchQuery({ scan_id: 1 }, { scan_id: 1 })).toBe(true);
  });
});
