/**
 * What importing docmodel costs a process (issue 17: `read()` of the bench file must peak at ≤ 100 MiB, and a third
 * of that budget above the result is Node itself). These check the built files (`pnpm build` first), which are what
 * a consumer loads.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const dist = join(import.meta.dirname, "..", "dist");

function builtFiles(): string[] {
  const files = readdirSync(dist).filter((f) => f.endsWith(".js"));
  if (!files.includes("index.js") || !files.includes("node.js")) throw new Error(`no build in ${dist}: run pnpm build first`);
  return files;
}

describe("importing docmodel", () => {
  it("gives V8 one-byte source text: the built JavaScript is ASCII", () => {
    for (const f of builtFiles()) {
      const text = readFileSync(join(dist, f), "utf8");
      const at = text.search(/[^\x00-\x7f]/);
      expect(at === -1 ? "ASCII" : `${f}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 10))}`).toBe("ASCII");
    }
  });

  it("does not load node:crypto (the path uids load it when they are used)", () => {
    builtFiles();
    const script = `
      const before = new Set(process.moduleLoadList);
      await import(${JSON.stringify(pathToFileURL(join(dist, "index.js")).href)});
      const node = await import(${JSON.stringify(pathToFileURL(join(dist, "node.js")).href)});
      const loaded = () => process.moduleLoadList.filter((m) => !before.has(m) && /\\bcrypto\\b/.test(m));
      const atImport = loaded();
      const uid = node.deterministicUid(["a", "b"]);
      console.log(JSON.stringify({ atImport, afterUid: loaded().length > 0, uid }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }));
    expect(out.atImport).toEqual([]);
    expect(out.afterUid).toBe(true);
    expect(out.uid).toMatch(/^[A-Za-z0-9_-]{43}=$/);
  });

  it("does not make the schema validators until a document is validated", () => {
    builtFiles();
    // Counts the heap's function objects (closures) named like one of the generated validators.
    const script = `
      import { getHeapSnapshot } from "node:v8";
      import { json } from "node:stream/consumers";
      const { validateDocument, isValidDocument } = await import(${JSON.stringify(pathToFileURL(join(dist, "index.js")).href)});
      const made = async () => {
        const { snapshot, nodes, strings } = await json(getHeapSnapshot());
        const fields = snapshot.meta.node_fields;
        const closure = snapshot.meta.node_types[0].indexOf("closure");
        const [type, name] = [fields.indexOf("type"), fields.indexOf("name")];
        let n = 0;
        for (let i = 0; i < nodes.length; i += fields.length)
          if (nodes[i + type] === closure && /^validate\\d+$/.test(strings[nodes[i + name]])) n++;
        return n > 0;
      };
      const atImport = await made();
      const valid = isValidDocument("bulk_datum", { datum_kwarg_list: [], resource: "r", datum_ids: [] });
      let code = "";
      try { validateDocument("bulk_datum", {}); } catch (e) { code = e.code; }
      console.log(JSON.stringify({ atImport, afterUse: await made(), valid, code }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }));
    expect(out).toEqual({ atImport: false, afterUse: true, valid: true, code: "DOCS_SCHEMA_INVALID" });
  });
});
