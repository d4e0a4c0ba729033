import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The workspace dependency graph of ../shared/STYLE.md ("Dependency direction"): imports only point down.
 * A package may depend on exactly the workspace packages listed here.
 */
const ALLOWED_WORKSPACE_DEPENDENCIES: Record<string, readonly string[]> = {
  "@daqkit/io": [],
  "@daqkit/timestamps": [],
  "@daqkit/gen2-bin": ["@daqkit/io", "@daqkit/timestamps"],
  "@daqkit/lh5": ["@daqkit/io", "@daqkit/timestamps"],
  "@daqkit/runs": ["@daqkit/io", "@daqkit/timestamps"],
  "@daqkit/rawhdf5": ["@daqkit/io", "@daqkit/timestamps"],
  "@daqkit/docmodel": ["@daqkit/io", "@daqkit/timestamps"],
  "@daqkit/filedb": ["@daqkit/io", "@daqkit/lh5", "@daqkit/timestamps"],
  "@daqkit/loader": ["@daqkit/filedb", "@daqkit/io", "@daqkit/lh5", "@daqkit/timestamps"],
  "@daqkit/cli": [
    "@daqkit/io",
    "@daqkit/timestamps",
    "@daqkit/gen2-bin",
    "@daqkit/lh5",
    "@daqkit/filedb",
    "@daqkit/loader",
    "@daqkit/runs",
    "@daqkit/rawhdf5",
    "@daqkit/docmodel",
    // a devDependency only: turbo builds the viewer first, and the CLI ships its dist as dist/viewer (`daqkit view`)
    "@daqkit/viewer",
  ],
  // the web viewer (a private static app): every format package's platform-neutral entry
  "@daqkit/viewer": [
    "@daqkit/io",
    "@daqkit/timestamps",
    "@daqkit/gen2-bin",
    "@daqkit/lh5",
    "@daqkit/filedb",
    "@daqkit/loader",
    "@daqkit/runs",
    "@daqkit/rawhdf5",
    "@daqkit/docmodel",
  ],
};

const root = join(import.meta.dirname, "..");

interface Manifest {
  name: string;
  type?: string;
  private?: boolean;
  sideEffects?: boolean | string[];
  files?: string[];
  bin?: Record<string, string>;
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

function readManifests(): { dir: string; manifest: Manifest }[] {
  const out: { dir: string; manifest: Manifest }[] = [];
  for (const base of ["packages", "apps"]) {
    for (const name of readdirSync(join(root, base))) {
      const path = join(root, base, name, "package.json");
      if (existsSync(path)) out.push({ dir: join(base, name), manifest: JSON.parse(readFileSync(path, "utf8")) });
    }
  }
  return out;
}

/** Workspace packages that `manifest` depends on in any dependency field. */
function workspaceDependencies(manifest: Manifest): string[] {
  const all = { ...manifest.dependencies, ...manifest.devDependencies, ...manifest.peerDependencies };
  return Object.keys(all).filter((n) => n.startsWith("@daqkit/"));
}

/** Relative source imports of a package that name another workspace package (catches undeclared imports too). */
function importedWorkspacePackages(dir: string): Set<string> {
  const found = new Set<string>();
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.(ts|tsx|mts|js|mjs)$/.test(entry.name)) {
        for (const m of readFileSync(p, "utf8").matchAll(/(?:from|import)\s*\(?\s*["'](@daqkit\/[a-z0-9-]+)/g)) found.add(m[1]!);
      }
    }
  };
  walk(join(root, dir, "src"));
  return found;
}

describe("workspace manifests", () => {
  const manifests = readManifests();

  it("finds every package of the graph", () => {
    expect(manifests.map((m) => m.manifest.name).sort()).toEqual(Object.keys(ALLOWED_WORKSPACE_DEPENDENCIES).sort());
  });

  for (const { dir, manifest } of manifests) {
    describe(manifest.name, () => {
      const allowed = ALLOWED_WORKSPACE_DEPENDENCIES[manifest.name] ?? [];
      it("declares only allowed workspace dependencies", () => {
        expect(workspaceDependencies(manifest).filter((d) => !allowed.includes(d))).toEqual([]);
      });
      it("imports only declared, allowed workspace packages", () => {
        const declared = workspaceDependencies(manifest);
        for (const imported of importedWorkspacePackages(dir)) {
          expect(allowed, `${dir}/src imports ${imported}`).toContain(imported);
          expect(declared, `${dir}/src imports ${imported} without declaring it`).toContain(imported);
        }
      });
      it("is an ES module that ships only dist", () => {
        expect(manifest.type).toBe("module");
        expect(manifest.files).toContain("dist");
      });
      // libraries (not the CLI, not the private static viewer app) have exports
      if (!manifest.bin && !manifest.private) {
        it("has exports with types first, sideEffects false (or only its Web Worker scripts)", () => {
          // A worker script is a module run for its side effects (its message handler): with `false`, a bundler
          // drops its body and the worker never answers. Nothing else may be listed.
          if (Array.isArray(manifest.sideEffects)) {
            expect(manifest.sideEffects.length).toBeGreaterThan(0);
            for (const file of manifest.sideEffects) expect(file).toMatch(/^\.\/(dist|src)\/[\w-]*worker\.(js|ts)$/);
          } else expect(manifest.sideEffects).toBe(false);
          const dot = manifest.exports?.["."] as Record<string, string> | undefined;
          expect(dot).toBeDefined();
          const keys = Object.keys(dot ?? {}).filter((k) => k !== "@daqkit/source");
          expect(keys[0]).toBe("types");
          expect(dot?.types).toMatch(/^\.\/dist\/.*\.d\.ts$/);
          expect(dot?.import).toMatch(/^\.\/dist\/.*\.js$/);
          expect(manifest.exports?.["./package.json"]).toBe("./package.json");
        });
      }
    });
  }
});

describe("the dependency rule itself", () => {
  it("rejects an upward import", () => {
    const upward: Manifest = { name: "@daqkit/lh5", dependencies: { "@daqkit/loader": "workspace:*" } };
    const allowed = ALLOWED_WORKSPACE_DEPENDENCIES[upward.name] ?? [];
    expect(workspaceDependencies(upward).filter((d) => !allowed.includes(d))).toEqual(["@daqkit/loader"]);
  });
  it("keeps the graph acyclic and layered", () => {
    const visiting = new Set<string>();
    const visit = (n: string, depth: number): void => {
      expect(visiting.has(n), `cycle through ${n}`).toBe(false);
      expect(depth).toBeLessThan(10);
      visiting.add(n);
      for (const d of ALLOWED_WORKSPACE_DEPENDENCIES[n] ?? []) visit(d, depth + 1);
      visiting.delete(n);
    };
    for (const n of Object.keys(ALLOWED_WORKSPACE_DEPENDENCIES)) visit(n, 0);
  });
});
