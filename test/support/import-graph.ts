import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/**
 * The runtime import graph of a package's `src` folder: relative imports and re-exports between its
 * modules, read with the TypeScript parser. Type-only imports (`import type`, `export type`, and
 * imports whose every name is `type`) are left out: they vanish from the emitted JavaScript, so they
 * cannot make a load-order cycle. Keys and values are paths relative to `srcDir`.
 */
export function runtimeImportGraph(srcDir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|mts|tsx)$/.test(name) && !name.endsWith(".d.ts")) files.push(path);
    }
  };
  walk(srcDir);
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false);
    const targets: string[] = [];
    const add = (specifier: ts.Expression | undefined): void => {
      if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith(".")) return;
      const base = resolve(dirname(file), specifier.text);
      const candidates = [base.replace(/\.js$/, ".ts"), base.replace(/\.mjs$/, ".mts"), `${base}.ts`, join(base, "index.ts")];
      const hit = candidates.find((c) => existsSync(c) && statSync(c).isFile());
      if (hit) targets.push(relative(srcDir, hit));
    };
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node)) {
        const clause = node.importClause;
        if (clause?.isTypeOnly) return;
        const named = clause?.namedBindings;
        const onlyTypes =
          clause !== undefined &&
          clause.name === undefined &&
          named !== undefined &&
          ts.isNamedImports(named) &&
          named.elements.length > 0 &&
          named.elements.every((e) => e.isTypeOnly);
        if (!onlyTypes) add(node.moduleSpecifier);
      } else if (ts.isExportDeclaration(node)) {
        if (node.isTypeOnly) return;
        const clause = node.exportClause;
        if (clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly)) return;
        add(node.moduleSpecifier);
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        // A dynamic import runs later, at call time: it cannot make a load-order cycle.
        return;
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    graph.set(relative(srcDir, file), [...new Set(targets)].sort());
  }
  return graph;
}

/** Every elementary cycle's smallest representative (rotated to start at its least module), sorted. */
export function importCycles(graph: Map<string, string[]>): string[][] {
  // Tarjan's strongly connected components; a component of more than one module (or a self-import)
  // holds at least one cycle, reported as one path through it.
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const strong = (v: string): void => {
    indexOf.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indexOf.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indexOf.has(v)) strong(v);
  return components
    .map((component) => {
      // One cycle through the component, from its least module (a breadth-first path back to it).
      const start = component[0]!;
      const inside = new Set(component);
      const previous = new Map<string, string>();
      const queue = [start];
      let end: string | undefined;
      while (queue.length > 0 && end === undefined) {
        const v = queue.shift()!;
        for (const w of graph.get(v) ?? []) {
          if (!inside.has(w)) continue;
          if (w === start) {
            end = v;
            break;
          }
          if (!previous.has(w)) {
            previous.set(w, v);
            queue.push(w);
          }
        }
      }
      const path = [start];
      for (let v = end; v !== undefined && v !== start; v = previous.get(v)) path.splice(1, 0, v);
      return [...path, start];
    })
    .sort((a, b) => a.join().localeCompare(b.join()));
}
