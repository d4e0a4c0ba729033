/**
 * A test-local static HTTP server on 127.0.0.1 (random port) with `Range` support, for the HTTP byte
 * and directory sources and the browser tests. `roots` maps URL prefixes (`/testdata/`) to folders.
 * A GET of `<prefix>…/.daqkit-listing.json` answers the directory's listing (`directoryListing`).
 * `ignoreRange: true` makes it answer 200 with the whole body, as a server without range support.
 * `headers` are added to every response (e.g. COOP/COEP for a cross-origin isolated page).
 * `json` answers some URLs with JSON (e.g. the `daqkit view` listing API in the viewer's test).
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize, sep } from "node:path";
import { directoryListing } from "../../packages/io/src/node.js";

/** Content types by extension (a built app's stylesheets and module scripts need theirs). */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  js: "text/javascript",
  mjs: "text/javascript",
  html: "text/html",
  css: "text/css",
  json: "application/json",
  svg: "image/svg+xml",
  wasm: "application/wasm",
};

export interface StaticServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly origin: string;
  /** Number of requests answered so far. */
  readonly requests: () => number;
  close(): Promise<void>;
}

export async function startStaticServer(
  roots: Readonly<Record<string, string>>,
  options: {
    ignoreRange?: boolean;
    headers?: Readonly<Record<string, string>>;
    /** Answers JSON for the URLs it knows (the value), `undefined` for the others (served as files). */
    json?: (url: URL) => Promise<unknown>;
  } = {},
): Promise<StaticServer> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    count++;
    for (const [k, v] of Object.entries(options.headers ?? {})) res.setHeader(k, v);
    void (async () => {
      const url = new URL(req.url ?? "/", "http://x");
      const answer = options.json ? await options.json(url) : undefined;
      if (answer !== undefined) {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
        return;
      }
      const pathname = decodeURIComponent(url.pathname);
      const prefix = Object.keys(roots).find((p) => pathname.startsWith(p));
      if (!prefix || pathname.split("/").includes("..")) {
        res.writeHead(404).end();
        return;
      }
      const base = roots[prefix]!;
      const file = normalize(join(base, ...pathname.slice(prefix.length).split("/")));
      if (file !== base && !file.startsWith(base.endsWith(sep) ? base : base + sep)) {
        res.writeHead(404).end();
        return;
      }
      if (file.endsWith(`${sep}.daqkit-listing.json`)) {
        try {
          const body = JSON.stringify(await directoryListing(file.slice(0, -".daqkit-listing.json".length - 1)));
          res.writeHead(200, { "content-type": "application/json" }).end(body);
        } catch {
          res.writeHead(404).end();
        }
        return;
      }
      const st = await stat(file).catch(() => undefined);
      if (!st?.isFile()) {
        res.writeHead(404).end();
        return;
      }
      const type = CONTENT_TYPES[file.slice(file.lastIndexOf(".") + 1)] ?? "application/octet-stream";
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
      if (!range || options.ignoreRange) {
        res.writeHead(200, { "content-type": type, "content-length": st.size, "accept-ranges": options.ignoreRange ? "none" : "bytes" });
        if (req.method === "HEAD") res.end();
        else createReadStream(file).pipe(res);
        return;
      }
      const start = Number(range[1]);
      const end = Math.min(range[2] === "" ? st.size - 1 : Number(range[2]), st.size - 1);
      if (start >= st.size || end < start) {
        res.writeHead(416, { "content-range": `bytes */${st.size}` }).end();
        return;
      }
      res.writeHead(206, { "content-type": type, "content-length": end - start + 1, "content-range": `bytes ${start}-${end}/${st.size}` });
      if (req.method === "HEAD") res.end();
      else createReadStream(file, { start, end }).pipe(res);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
