import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileTemplate, FileDbError } from "../src/index.js";
import { suffixSwap } from "../src/template.js";

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return FileDbError.isInstance(e) ? e.code : "not a FileDbError";
  }
  return undefined;
}

describe("compileTemplate: formatting", () => {
  it("formats Python str.format specs", () => {
    expect(compileTemplate("ch{ch:07d}/raw").format({ ch: 42 })).toBe("ch0000042/raw");
    expect(compileTemplate("ch{ch:07d}/raw").format({ ch: 1084803 })).toBe("ch1084803/raw");
    expect(compileTemplate("{x:5d}|{y:5}|{z:>4}|{w:^5}|{v:+d}").format({ x: 42, y: "ab", z: "c", w: "m", v: 3 })).toBe(
      "   42|ab   |   c|  m  |+3",
    );
    expect(compileTemplate("{x:03d}").format({ x: -5 })).toBe("-05");
    expect(compileTemplate("{{literal}}-{a}").format({ a: "x" })).toBe("{literal}-x");
    expect(compileTemplate("hardware_tcm_1").format({})).toBe("hardware_tcm_1");
  });

  it("rejects missing values and non-integers for d", () => {
    expect(code(() => compileTemplate("{a}-{b}").format({ a: "x" }))).toBe("FILEDB_BAD_TEMPLATE");
    expect(code(() => compileTemplate("{a:d}").format({ a: "r001" }))).toBe("FILEDB_BAD_TEMPLATE");
    expect(compileTemplate("{a:d}").format({ a: "0042" })).toBe("42");
  });

  it.each(["{a", "a}", "{}", "{0}", "{a:f}", "{a.b}", "{a:d}{a}", "{a:,d}"])("rejects the template %j", (t) => {
    expect(code(() => compileTemplate(t))).toBe("FILEDB_BAD_TEMPLATE");
  });
});

describe("compileTemplate: parsing (spec §1.3)", () => {
  const tier = compileTemplate("/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-{timestamp}-tier_raw.lh5");

  it("parses the prod-ref-l200 names and keeps string fields as strings", () => {
    expect(tier.names).toEqual(["type", "period", "run", "exp", "timestamp"]);
    expect(tier.parse("/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_raw.lh5")).toEqual({
      type: "cal",
      period: "p03",
      run: "r001",
      exp: "l200",
      timestamp: "20230318T012144Z",
    });
    expect(compileTemplate("{run}-{x}").parse("001-7")).toEqual({ run: "001", x: "7" });
  });

  it("requires a repeated field to match the same text", () => {
    expect(tier.parse("/cal/p03/r001/l200-p04-r001-cal-20230318T012144Z-tier_raw.lh5")).toBeUndefined();
    // a digit right after a repeated field is a literal, not part of the back-reference
    const digits = compileTemplate("{a}_{b}_{c}_{d}_{e}_{f}_{g}_{h}_{i}_{j}_{a}0");
    const values = { a: "x", b: "b", c: "c", d: "d", e: "e", f: "f", g: "g", h: "h", i: "i", j: "j" };
    expect(digits.parse(digits.format(values))).toEqual(values);
    expect(digits.parse("x_b_c_d_e_f_g_h_i_j_j")).toBeUndefined();
    expect(compileTemplate("{a}-{a}1").parse("r1-r11")).toEqual({ a: "r1" });
  });

  it("splits lazy fields at the first following literal", () => {
    expect(compileTemplate("{a}-{b}").parse("x-y-z")).toEqual({ a: "x", b: "y-z" });
    expect(compileTemplate("{exp}-{run}-{timestamp}.lh5").parse("l-200-001-x.lh5")).toEqual({ exp: "l", run: "200", timestamp: "001-x" });
  });

  it("treats widths as minimums: :03d parses 7-digit channels (pygama cannot, B15)", () => {
    expect(compileTemplate("ch{ch:03d}/raw").parse("ch1084803/raw")).toEqual({ ch: 1084803 });
    expect(compileTemplate("ch{ch:07d}/raw").parse("ch0000042/raw")).toEqual({ ch: 42 });
    expect(compileTemplate("ch{ch:07d}/raw").parse("ch42/raw")).toEqual({ ch: 42 });
    expect(compileTemplate("ch{ch:d}/raw").parse("ch0001084803/raw")).toEqual({ ch: 1084803 });
    expect(compileTemplate("{x:5d}|").parse("   42|")).toEqual({ x: 42 });
    expect(compileTemplate("{y:5}|").parse("ab   |")).toEqual({ y: "ab" });
  });

  it("matches the whole string, literally", () => {
    const t = compileTemplate("ch{ch:07d}/raw");
    expect(t.parse("ch1084803/raw/x")).toBeUndefined();
    expect(t.parse("xch1084803/raw")).toBeUndefined();
    expect(t.parse("chABC/raw")).toBeUndefined();
    expect(compileTemplate("a.{x}").parse("abc")).toBeUndefined();
    expect(compileTemplate("hardware_tcm_1").parse("hardware_tcm_1")).toEqual({});
  });

  it("round-trips format → parse", () => {
    const t = compileTemplate("{type}/{ch:07d}-{run}");
    for (const v of [
      { type: "cal", ch: 1, run: "r001" },
      { type: "a-b", ch: 1121600, run: "007" },
    ]) {
      expect(t.parse(t.format(v))).toEqual(v);
    }
  });
});

describe("suffixSwap: deriving one tier's name from another's", () => {
  const tier = (t: string) => compileTemplate(`/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-{timestamp}-tier_${t}.lh5`);
  const values = { type: "cal", period: "p03", run: "r001", exp: "l200", timestamp: "20230318T012144Z" };
  it("swaps the text after the last field when everything before it is the same", () => {
    const raw = tier("raw");
    const swap = suffixSwap(raw, tier("dsp"));
    expect(swap).toEqual({ cut: "-tier_raw.lh5".length, append: "-tier_dsp.lh5" });
    const name = raw.format(values);
    expect(name.slice(0, name.length - swap!.cut) + swap!.append).toBe(tier("dsp").format(values));
    expect(compileTemplate("/{a}-{b}{{x}}").literals).toEqual(["/", "-", "{x}"]);
  });
  it("refuses templates that differ before the last field, or have other fields or specs", () => {
    const raw = tier("raw");
    expect(suffixSwap(raw, compileTemplate("/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-{timestamp}.dsp"))).toBeDefined();
    for (const other of [
      "/dsp/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-{timestamp}-tier_dsp.lh5", // first literal
      "/{type}/{period}/{run}/{exp}_{period}-{run}-{type}-{timestamp}-tier_dsp.lh5", // a middle literal
      "/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-tier_dsp.lh5", // one field fewer
      "/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-{key}-tier_dsp.lh5", // another field
      "/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-{timestamp:>20}-tier_dsp.lh5", // a width
    ]) {
      expect(suffixSwap(raw, compileTemplate(other))).toBeUndefined();
    }
    expect(suffixSwap(compileTemplate("ch{ch:07d}/raw"), compileTemplate("ch{ch:07d}/dsp"))).toBeUndefined(); // d field
  });
  it("gives the formatted name for any values (property)", () => {
    const text = fc.stringMatching(/^[a-z_/.-]{0,4}$/);
    const pairs = fc.tuple(fc.array(text, { minLength: 2, maxLength: 5 }), text, text);
    fc.assert(
      fc.property(
        pairs,
        fc.array(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 4, maxLength: 4 }),
        ([lits, lastA, lastB], vals) => {
          const names = ["a", "b", "c", "d"].slice(0, lits.length - 1);
          const body = names.map((n, i) => `${lits[i]}{${n}}`).join("");
          const a = compileTemplate(`${body}${lastA}`);
          const b = compileTemplate(`${body}${lastB}`);
          const v = Object.fromEntries(names.map((n, i) => [n, vals[i]!]));
          const swap = suffixSwap(a, b);
          expect(swap).toBeDefined();
          const name = a.format(v);
          expect(name.slice(0, name.length - swap!.cut) + swap!.append).toBe(b.format(v));
        },
      ),
    );
  });
});
