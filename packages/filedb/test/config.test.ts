import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expandVariables, FileDbError, readFileDbConfig, resolveFileDbConfig } from "../src/node.js";
import { CONFIGS, LH5, loadConfig, PROD_REF, TESTDATA } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "filedb-config-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function error(fn: () => unknown): FileDbError {
  try {
    fn();
  } catch (e) {
    if (FileDbError.isInstance(e)) return e;
    throw e;
  }
  throw new Error("expected a FileDbError");
}

describe("config", () => {
  it("resolves the pygama test config with an absolute data_dir", () => {
    const r = resolveFileDbConfig(loadConfig("pygama-flow/filedb-config.json"));
    expect(r.tiers).toEqual(["raw", "dsp", "hit", "tcm", "evt"]);
    expect(r.keyFields).toEqual(["exp", "period", "run", "timestamp", "type"]);
    expect(r.dataDir).toBe(PROD_REF);
    expect(r.tierDirs.dsp).toBe(join(PROD_REF, "dsp"));
    expect(r.sortby).toBe("timestamp");
  });

  it("resolves a relative data_dir against cwd (B20) and stores it absolute", () => {
    const r = readFileDbConfig(join(CONFIGS, "pygama-flow/filedb-config.json"), { cwd: TESTDATA });
    expect(r.dataDir).toBe(PROD_REF);
    expect(r.config.data_dir).toBe(PROD_REF);
  });

  it("expands $_ (plain and braced), environment variables and ~", () => {
    // biome-ignore-start lint/suspicious/noTemplateCurlyInString: these strings test ${VAR} expansion
    expect(expandVariables("$_/a/${_}/b", "/cfg", {})).toBe("/cfg/a//cfg/b");
    expect(expandVariables("$HOME2/x/${DATA}/$UNKNOWN", "/c", { HOME2: "/h", DATA: "d" })).toBe("/h/x/d/$UNKNOWN");
    const path = join(tmp, "c.json");
    writeFileSync(path, JSON.stringify({ ...loadConfig("pygama-flow/filedb-config.json"), data_dir: "$_/../../../..${SUFFIX}" }));
    // tmp is /tmp/filedb-config-xxx: walk back to / and into the test data
    const r = readFileDbConfig(path, { env: { SUFFIX: LH5 + "/prod-ref-l200/generated/tier" } });
    expect(r.dataDir).toBe(PROD_REF);
    // biome-ignore-end lint/suspicious/noTemplateCurlyInString: these strings test ${VAR} expansion
  });

  it("globs data_dir and requires exactly one match", () => {
    const r = resolveFileDbConfig({ ...loadConfig("pygama-flow/filedb-config.json"), data_dir: join(LH5, "prod-ref-*/generated/tier") });
    expect(r.dataDir).toBe(PROD_REF);
    expect(
      error(() => resolveFileDbConfig({ ...loadConfig("pygama-flow/filedb-config.json"), data_dir: join(LH5, "*/generated/tier") })).code,
    ).toBe("FILEDB_DIR_NOT_FOUND");
    expect(error(() => resolveFileDbConfig({ ...loadConfig("pygama-flow/filedb-config.json"), data_dir: join(tmp, "missing") })).code).toBe(
      "FILEDB_DIR_NOT_FOUND",
    );
  });

  it.each([
    ["not an object", []],
    ["no data_dir", { tier_dirs: { raw: "/raw" }, file_format: { raw: "{a}" }, table_format: { raw: "x" } }],
    ["tier_dirs not object", { data_dir: "/", tier_dirs: "raw", file_format: {}, table_format: {} }],
    ["missing file_format", { data_dir: "/", tier_dirs: { raw: "/raw" }, file_format: {}, table_format: { raw: "x" } }],
    [
      "unknown tier in table_format",
      { data_dir: "/", tier_dirs: { raw: "/raw" }, file_format: { raw: "{a}" }, table_format: { raw: "x", dsp: "y" } },
    ],
    ["two table fields", { data_dir: "/", tier_dirs: { raw: "/raw" }, file_format: { raw: "{a}" }, table_format: { raw: "{a}/{b}" } }],
    [
      "field not in lowest tier",
      {
        data_dir: "/",
        tier_dirs: { raw: "/raw", dsp: "/dsp" },
        file_format: { raw: "{a}", dsp: "{a}-{b}" },
        table_format: { raw: "x", dsp: "x" },
      },
    ],
    [
      "bad tables",
      { data_dir: "/", tier_dirs: { raw: "/raw" }, file_format: { raw: "{a}" }, table_format: { raw: "x" }, tables: { raw: [1.5] } },
    ],
  ])("rejects a config with %s (FILEDB_BAD_CONFIG, shows an example)", (_what, config) => {
    const e = error(() => resolveFileDbConfig(config));
    expect(e.code).toBe("FILEDB_BAD_CONFIG");
    expect(e.message).toContain('"table_format"');
  });

  it("reports unreadable and invalid JSON config files", () => {
    expect(error(() => readFileDbConfig(join(tmp, "nope.json"))).code).toBe("FILEDB_NOT_FOUND");
    const bad = join(tmp, "bad.json");
    writeFileSync(bad, "{ not json");
    expect(error(() => readFileDbConfig(bad)).code).toBe("FILEDB_BAD_CONFIG");
  });
});
