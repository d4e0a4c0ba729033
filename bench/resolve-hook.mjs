// Module resolve hook registered by bench/preload.mjs when DAQKIT_BENCH_ROOT names another checkout
// (`to`). A module of this checkout (`from`) outside node_modules/ and dist/ — a bench file or a
// bench helper — gets its bare imports (`@daqkit/filedb/node`, `apache-arrow`, …) resolved as if it
// sat at the same relative path in `to`, so they load `to`'s build and `to`'s dependency versions;
// a relative import of a built file (`../dist/node.js`) is redirected the same way.
// A `@daqkit/*` package that `to` cannot resolve is an error (the bench fails on that build and
// the harness says so), never a silent fall-back to this checkout's build, with one exception: a
// `@daqkit/<pkg>/node` subpath that `to` does not export resolves to `to`'s main entry (before the
// platform split of issue 16 the Node-only API lived there). Other packages that `to` lacks
// resolve in this checkout.
let from = "";
let to = "";

export function initialize(data) {
  from = data.from;
  to = data.to;
}

const isBare = (s) => !/^(\.{0,2}\/|[a-z][a-z0-9+.-]*:)/i.test(s);
const ours = (url) => url?.startsWith(from) && !url.startsWith(to) && !url.includes("/node_modules/") && !url.includes("/dist/");

export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL;
  if (from === to || !ours(parent)) return nextResolve(specifier, context);
  const mapped = { ...context, parentURL: to + parent.slice(from.length) };
  if (isBare(specifier)) {
    if (specifier.startsWith("@daqkit/")) {
      try {
        return await nextResolve(specifier, mapped);
      } catch (error) {
        const m = /^(@daqkit\/[^/]+)\/node$/.exec(specifier);
        if (m && error?.code === "ERR_PACKAGE_PATH_NOT_EXPORTED") return nextResolve(m[1], mapped);
        throw error;
      }
    }
    try {
      return await nextResolve(specifier, mapped);
    } catch {
      return nextResolve(specifier, context);
    }
  }
  const result = await nextResolve(specifier, context);
  const url = result.url;
  if (url.startsWith(from) && !url.startsWith(to) && url.includes("/dist/") && !url.includes("/node_modules/")) {
    return { ...result, url: to + url.slice(from.length) };
  }
  return result;
}
