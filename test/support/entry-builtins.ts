import { builtinModules } from "node:module";
import { build } from "esbuild";

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * The Node built-ins a package entry reaches when bundled for a browser (`esbuild
 * --platform=browser`), as `"<module> <- <importer>"`.
 */
export async function nodeBuiltinsReached(entry: string): Promise<string[]> {
  const found = new Set<string>();
  await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: "browser",
    format: "esm",
    conditions: ["@daqkit/source"],
    logLevel: "silent",
    plugins: [
      {
        name: "record-node-builtins",
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            const bare = args.path.startsWith("node:") ? args.path : args.path.split("/")[0]!;
            if (BUILTINS.has(args.path) || BUILTINS.has(bare)) {
              found.add(`${args.path} <- ${args.importer.replace(/^.*\/(packages|node_modules)\//, "$1/")}`);
              return { path: args.path, external: true };
            }
            return undefined;
          });
        },
      },
    ],
  });
  return [...found].sort();
}
