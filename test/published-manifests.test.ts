import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { publishedExports, stale } from "../scripts/publish-config.mjs";

/**
 * Issue 13: the published manifests (what `pnpm pack` writes from `publishConfig`) carry no
 * `@daqkit/source` condition and a `default` condition for require(esm). `publishConfig.exports` is
 * derived from `exports` by scripts/publish-config.mjs; run it after changing an export.
 */
describe("published manifests", () => {
  test("every package's publishConfig.exports is derived from its exports (node scripts/publish-config.mjs)", () => {
    expect((stale() as { path: string }[]).map((m) => m.path)).toEqual([]);
  });

  test("the derivation drops the source condition and adds default = import", () => {
    expect(
      publishedExports({
        ".": { "@daqkit/source": "./src/index.ts", types: "./dist/index.d.ts", import: "./dist/index.js" },
        "./package.json": "./package.json",
      }),
    ).toEqual({
      ".": { types: "./dist/index.d.ts", import: "./dist/index.js", default: "./dist/index.js" },
      "./package.json": "./package.json",
    });
  });
});

const root = join(import.meta.dirname, "..");

/** Every published workspace package (packages/* and the CLI): directory and manifest. */
function publishedPackages(): { dir: string; name: string }[] {
  const out: { dir: string; name: string }[] = [];
  for (const base of ["packages", "apps"])
    for (const entry of readdirSync(join(root, base)).sort()) {
      const path = join(root, base, entry, "package.json");
      if (!existsSync(path)) continue;
      const m = JSON.parse(readFileSync(path, "utf8")) as { name: string; private?: boolean };
      if (!m.private) out.push({ dir: join(root, base, entry), name: m.name });
    }
  return out;
}

/** The regular files of a .tgz (ustar/pax as npm and pnpm write them), path without the `package/` prefix. */
function untar(tgz: Buffer): Map<string, Buffer> {
  const tar = gunzipSync(tgz);
  const files = new Map<string, Buffer>();
  let paxPath: string | undefined;
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number) => header.toString("latin1", start, start + length).replace(/\0.*$/s, "");
    const size = Number.parseInt(field(124, 12).trim() || "0", 8);
    const type = field(156, 1);
    const prefix = field(345, 155);
    const body = tar.subarray(at + 512, at + 512 + size);
    if (type === "x") paxPath = /\d+ path=([^\n]*)\n/.exec(body.toString("utf8"))?.[1];
    else if (type === "0" || type === "") {
      const name = paxPath ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
      files.set(name.replace(/^package\//, ""), Buffer.from(body));
      paxPath = undefined;
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/**
 * Issue 18, "Publishing as real npm packages": what `pnpm pack` (the tool we publish with) writes is
 * a manifest an npm user can install — no `workspace:` or `catalog:` specifier left, no placeholder
 * repository URL — and every tarball carries the MIT LICENSE.
 */
describe("packed tarballs (pnpm pack)", () => {
  const packages = publishedPackages();
  const packed = new Map<string, Map<string, Buffer>>();
  let work = "";

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "daqkit-pack-"));
    for (const p of packages) {
      const dest = join(work, p.name.replace("@", "").replace("/", "-"));
      const r = spawnSync("pnpm", ["pack", "--pack-destination", dest], { cwd: p.dir, encoding: "utf8", timeout: 120_000 });
      if (r.status !== 0) throw new Error(`pnpm pack in ${p.dir} failed:\n${r.stdout}${r.stderr}${r.error ?? ""}`);
      const tgz = readdirSync(dest).find((f) => f.endsWith(".tgz"));
      if (!tgz) throw new Error(`pnpm pack wrote no tarball for ${p.name}`);
      packed.set(p.name, untar(readFileSync(join(dest, tgz))));
    }
  }, 300_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test("every package is packed (the libraries and the CLI)", () => {
    expect(packages.map((p) => p.name)).toContain("@daqkit/cli");
    expect(packages.map((p) => p.name)).toContain("@daqkit/io");
    expect([...packed.keys()]).toEqual(packages.map((p) => p.name));
  });

  test("no workspace: or catalog: specifier in any packed package.json", () => {
    for (const [name, files] of packed) {
      const text = files.get("package.json")?.toString("utf8");
      expect(text, name).toBeDefined();
      expect(text, name).not.toMatch(/"(workspace|catalog):/);
      const m = JSON.parse(text!) as Record<string, Record<string, string> | undefined>;
      for (const field of ["dependencies", "peerDependencies", "optionalDependencies", "devDependencies"])
        for (const [dep, spec] of Object.entries(m[field] ?? {})) expect(spec, `${name} ${field} ${dep}`).toMatch(/^[\d<>=^~ .|-]+$/);
    }
  });

  test("every tarball carries the MIT LICENSE (the root's text) and no placeholder repository", () => {
    const license = readFileSync(join(root, "LICENSE"), "utf8");
    expect(license).toMatch(/^MIT License/);
    expect(license).toContain("daqkit contributors");
    for (const [name, files] of packed) {
      expect(files.get("LICENSE")?.toString("utf8"), name).toBe(license);
      const m = JSON.parse(files.get("package.json")!.toString("utf8")) as { license?: string; repository?: unknown; files?: string[] };
      expect(m.license, name).toBe("MIT");
      expect(m.files, name).toContain("LICENSE");
      expect(JSON.stringify(m.repository ?? ""), name).not.toContain("example.invalid");
    }
    // pnpm pack falls back to the workspace root's LICENSE; `npm pack` and readers of the source tree do not.
    for (const p of packages) expect(readFileSync(join(p.dir, "LICENSE"), "utf8"), `${p.dir}/LICENSE`).toBe(license);
  });

  test("changesets publishes with public access (scoped packages are restricted by default)", () => {
    const config = JSON.parse(readFileSync(join(root, ".changeset/config.json"), "utf8")) as { access?: string };
    expect(config.access).toBe("public");
  });
});
