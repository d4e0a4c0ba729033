/**
 * The HTTP server behind `daqkit view`: the built viewer at `/`, and one folder (or file) read-only under a
 * random token. Only node:http and node:fs.
 *
 * Routes (the contract with apps/viewer, see apps/cli/README.md "view"):
 * - `GET /…` (no token): the viewer's static files (`/` is `index.html`).
 * - `GET /api/<token>/list?path=REL`: the listing @daqkit/io's `openHttpDirectory` reads (`listingUrl`):
 *   `{format:"daqkit-listing", version:1, entries:[{path, name, kind:"file"|"directory", size, mtimeMs, mtime}], dir}`.
 *   For a folder REL: every entry below it, recursively, paths relative to REL, `dir` = REL. For a file REL: that
 *   one file, relative to its folder, `dir` = the folder. Files are then at `/data/<token>/<dir>/<path>`.
 * - `GET /data/<token>/REL`: a file's bytes; `Range: bytes=…` answers 206 with `Content-Range`, 416 when unsatisfiable.
 * - `GET /data/<token>/DIR/.daqkit-listing.json`: the recursive `daqkit-listing` of DIR that `openHttpDirectory`
 *   of `@daqkit/io` reads (so `openHttpDirectory(location.origin + "/data/<token>/DIR/")` works unchanged).
 *
 * Security: the server binds 127.0.0.1 unless told otherwise; requests whose `Host` header is not the bound
 * host:port are refused (403, against DNS rebinding); the data routes need the token (compared in constant time;
 * 403 otherwise); a relative path whose segments are empty, `.`, `..`, or contain `/`, `\` or NUL once decoded is
 * refused (404), and so is a path whose real path (symbolic links resolved) is not inside the served root.
 * Refusals never name a file or echo the path.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { constants, existsSync, type Stats } from "node:fs";
import { lstat, open, readdir, realpath, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { basename, dirname, extname, join, sep } from "node:path";

/** Options of {@link startViewServer}. */
export interface ViewServerOptions {
  /** The folder (or single file) to serve. */
  readonly root: string;
  /** The built viewer (a folder with `index.html`); without it `/` explains how to build it. */
  readonly viewerDir?: string;
  /** Interface to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: any free port). */
  readonly port?: number;
  /** The token (default 32 random bytes, base64url); tests may fix it. */
  readonly token?: string;
}

/** Counters of what the server sent, for benchmarks (bytes of file data, per path). */
export interface ViewServerStats {
  dataBytes: number;
  dataRequests: number;
  readonly bytesByPath: Map<string, number>;
  /** Byte ranges `[start, end)` sent per path, in request order (benchmarks: which parts of a file were read). */
  readonly rangesByPath: Map<string, [number, number][]>;
}

/** A running server. */
export interface ViewServer {
  /** The page to open: `http://HOST:PORT/?token=…&path=REL` (REL is the served file's name, or empty for a folder). */
  readonly url: string;
  /** `http://HOST:PORT` */
  readonly origin: string;
  readonly host: string;
  readonly port: number;
  readonly token: string;
  readonly stats: ViewServerStats;
  /** Stop listening and close open connections. */
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

const LISTING_FILE_NAME = ".daqkit-listing.json";

/** Headers on every answer: the page is cross-origin isolated (for @daqkit/io's shared HDF5 channel), no referrer leaks the token. */
const COMMON_HEADERS: Record<string, string> = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

class Refusal {
  constructor(
    readonly status: number,
    readonly text: string,
  ) {}
}
const NOT_FOUND = new Refusal(404, "not found");

/**
 * Split a raw, still percent-encoded relative path into decoded segments, refusing anything that could leave the
 * root: an empty segment (absolute paths, `//`), `.`, `..`, and segments that decode to contain `/`, `\` or NUL.
 * An empty string is the root (no segments).
 */
export function safeSegments(raw: string): string[] {
  if (raw === "") return [];
  const out: string[] = [];
  for (const part of raw.split("/")) {
    let seg: string;
    try {
      seg = decodeURIComponent(part);
    } catch {
      throw NOT_FOUND;
    }
    if (seg === "" || seg === "." || seg === ".." || /[/\\\0]/.test(seg)) throw NOT_FOUND;
    out.push(seg);
  }
  return out;
}

/** True when `path` is `root` or below it (both real paths). */
function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

interface Resolved {
  readonly real: string;
  readonly stats: Stats;
}

/** Resolve segments below the real root; symbolic links are followed and must stay inside the root. */
async function resolveInside(realRoot: string, segments: readonly string[]): Promise<Resolved> {
  let real: string;
  try {
    real = await realpath(join(realRoot, ...segments));
  } catch {
    throw NOT_FOUND;
  }
  if (!inside(realRoot, real)) throw NOT_FOUND;
  try {
    return { real, stats: await stat(real) };
  } catch {
    throw NOT_FOUND;
  }
}

/** Parse one `Range` header against `size`: a range, "unsatisfiable", or undefined (absent, malformed or multiple: send all). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

/**
 * What an entry is, seen from the root: a file (also a link to a file inside the root), a directory (not a link),
 * or nothing (links out of the root, links to directories, sockets, dangling links).
 */
async function describe(realRoot: string, path: string): Promise<{ kind: "file" | "dir"; size: number; mtime: number } | undefined> {
  try {
    const l = await lstat(path);
    if (l.isDirectory()) return { kind: "dir", size: 0, mtime: l.mtimeMs };
    if (l.isFile()) return { kind: "file", size: l.size, mtime: l.mtimeMs };
    if (!l.isSymbolicLink()) return undefined;
    const real = await realpath(path);
    if (!inside(realRoot, real)) return undefined;
    const s = await stat(real);
    return s.isFile() ? { kind: "file", size: s.size, mtime: s.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

/** The recursive `daqkit-listing` document (format of @daqkit/io's `openHttpDirectory`) of a directory inside the root. */
async function recursiveListing(realRoot: string, dir: string): Promise<Listing> {
  const entries: ListingEntry[] = [];
  const walk = async (abs: string, rel: string): Promise<void> => {
    for (const name of await readdir(abs)) {
      if (rel === "" && name === LISTING_FILE_NAME) continue;
      const path = rel === "" ? name : `${rel}/${name}`;
      const d = await describe(realRoot, join(abs, name));
      if (!d) continue;
      entries.push({ path, name, kind: d.kind === "dir" ? "directory" : "file", size: d.size, mtimeMs: d.mtime, mtime: d.mtime });
      if (d.kind === "dir") await walk(join(abs, name), path);
    }
  };
  await walk(dir, "");
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { format: "daqkit-listing", version: 1, entries };
}

/** An entry of the listings: @daqkit/io's `daqkit-listing` entry plus `name` (last path segment) and `mtime` (= mtimeMs). */
interface ListingEntry {
  path: string;
  name: string;
  kind: "file" | "directory";
  size: number;
  mtimeMs: number;
  mtime: number;
}
interface Listing {
  format: "daqkit-listing";
  version: 1;
  entries: ListingEntry[];
}

function tokenMatches(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `host:port` forms a browser may send for this server (lower case). */
function allowedHosts(host: string, port: number): Set<string> | "ip-literals" {
  if (host === "0.0.0.0" || host === "::" || host === "") return "ip-literals";
  const hostPart = isIP(host) === 6 ? `[${host}]` : host;
  const set = new Set([`${hostPart}:${port}`.toLowerCase()]);
  if (host === "127.0.0.1" || host === "::1" || host === "localhost") {
    for (const h of ["127.0.0.1", "[::1]", "localhost"]) set.add(`${h}:${port}`);
  }
  return set;
}

function hostAllowed(header: string | undefined, allowed: Set<string> | "ip-literals", port: number): boolean {
  if (header === undefined) return false;
  const value = header.toLowerCase();
  if (allowed !== "ip-literals") return allowed.has(value);
  // Bound to every interface: accept IP literals (no DNS name can be rebound onto them), localhost and this
  // machine's own name, on our port.
  const m = /^(\[[0-9a-f:.]+\]|[^:]+):(\d+)$/.exec(value);
  if (!m || Number(m[2]) !== port) return false;
  const h = m[1]!.replace(/^\[|\]$/g, "");
  return isIP(h) !== 0 || h === "localhost" || h === hostname().toLowerCase();
}

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string | number> = {}): void {
  const buf = typeof body === "string" ? Buffer.from(body) : body;
  res.writeHead(status, { ...COMMON_HEADERS, "Content-Type": "text/plain; charset=utf-8", "Content-Length": buf.length, ...headers });
  res.end(res.req.method === "HEAD" ? undefined : buf);
}

function sendJson(res: ServerResponse, value: unknown): void {
  send(res, 200, JSON.stringify(value), { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
}

/** Send a file (or a range of it); `realPath` is already checked to be inside the served tree. */
async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  realPath: string,
  extraHeaders: Record<string, string>,
  onBytes?: (n: number) => void,
  onRange?: (start: number, end: number) => void,
): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // The real path has no links left; O_NOFOLLOW refuses one swapped in since.
    handle = await open(realPath, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch {
    throw NOT_FOUND;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw NOT_FOUND;
    const size = st.size;
    const range = parseRange(req.headers.range, size);
    const base = {
      ...COMMON_HEADERS,
      "Accept-Ranges": "bytes",
      "Last-Modified": st.mtime.toUTCString(),
      ...extraHeaders,
    };
    if (range === "unsatisfiable") {
      res.writeHead(416, { ...base, "Content-Range": `bytes */${size}`, "Content-Length": 0 });
      res.end();
      return;
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    const length = Math.max(0, end - start + 1);
    res.writeHead(range ? 206 : 200, {
      ...base,
      "Content-Length": length,
      ...(range ? { "Content-Range": `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === "HEAD" || length === 0) {
      res.end();
      return;
    }
    onRange?.(start, start + length);
    await pipeRange(handle, res, start, length, onBytes);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Bytes per read of {@link pipeRange} (4 MiB: a 200 MB file in 50 reads and writes, not 3000 of 64 KiB). */
const READ_BYTES = 4 << 20;

/**
 * Send `length` bytes of `handle` from `start` to `res`: reads of up to {@link READ_BYTES} into two
 * buffers allocated once per request and reused — one is read into while the other is written, and a
 * buffer is read into again only once its write has finished. (Issue 16: a read stream allocates a
 * fresh 4 MiB buffer per read, 50 for the 202 MB gen2 file, whose pages the kernel maps and zeroes
 * and V8 then collects.) Stops when the client goes away; a read error ends the answer early.
 */
async function pipeRange(
  handle: Awaited<ReturnType<typeof open>>,
  res: ServerResponse,
  start: number,
  length: number,
  onBytes?: (n: number) => void,
): Promise<void> {
  const size = Math.min(READ_BYTES, length);
  const buffers = [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)];
  /** Per buffer: resolves once its last write finished (or failed, or the client went away). */
  const written: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  let closed = false;
  /** Who waits for a write or the end: woken when the client goes away, too. */
  const waiting = new Set<() => void>();
  const onClose = () => {
    closed = true;
    for (const wake of waiting) wake();
  };
  const until = (act: (resolve: () => void) => void): Promise<void> =>
    new Promise<void>((resolve) => {
      const wake = () => {
        waiting.delete(wake);
        resolve();
      };
      waiting.add(wake);
      act(wake);
    });
  res.on("close", onClose);
  try {
    let done = 0;
    for (let i = 0; done < length && !closed; i ^= 1) {
      await written[i];
      if (closed) return;
      const buffer = buffers[i]!;
      const want = Math.min(size, length - done);
      let got: number;
      try {
        ({ bytesRead: got } = await handle.read(buffer, 0, want, start + done));
      } catch {
        res.destroy();
        return;
      }
      if (closed) return;
      if (got === 0) {
        // the file shrank since its size was sent: end the answer short (the client sees it)
        res.destroy();
        return;
      }
      done += got;
      onBytes?.(got);
      const chunk = got === buffer.length ? buffer : buffer.subarray(0, got);
      written[i] = until((wake) => res.write(chunk, () => wake()));
    }
    if (!closed) await until((wake) => res.end(() => wake()));
  } finally {
    res.off("close", onClose);
  }
}

const VIEWER_MISSING = `daqkit view: the viewer is not built into this CLI (expected dist/viewer/index.html).
Build it with \`pnpm build\` in the daqkit repository. The data routes work without it.
`;

/** Start the server; resolves once it listens. */
export async function startViewServer(options: ViewServerOptions): Promise<ViewServer> {
  const host = options.host ?? "127.0.0.1";
  const token = options.token ?? randomBytes(32).toString("base64url");
  const rootStats = await stat(options.root);
  // A single file is served as its folder's view restricted to that file.
  const single = rootStats.isFile() ? basename(options.root) : undefined;
  const realRoot = await realpath(single ? dirname(options.root) : options.root);
  const realViewer = options.viewerDir ? await realpath(options.viewerDir).catch(() => undefined) : undefined;
  const stats: ViewServerStats = { dataBytes: 0, dataRequests: 0, bytesByPath: new Map(), rangesByPath: new Map() };
  let allowed: Set<string> | "ip-literals" = new Set();
  let port = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req.headers.host, allowed, port)) throw new Refusal(403, "forbidden: unexpected Host header");
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, "method not allowed", { Allow: "GET, HEAD" });
      return;
    }
    const raw = req.url ?? "/";
    const q = raw.indexOf("?");
    const pathPart = q === -1 ? raw : raw.slice(0, q);
    const query = new URLSearchParams(q === -1 ? "" : raw.slice(q + 1));
    const api = /^\/(api|data)\/([^/]*)(?:\/(.*))?$/.exec(pathPart);
    if (api) {
      const [, kind, given, rest = ""] = api;
      if (!tokenMatches(given!, token)) throw new Refusal(403, "forbidden: missing or wrong token");
      if (kind === "api") {
        if (rest !== "list") throw NOT_FOUND;
        const rel = query.get("path") ?? "";
        let segments = safeSegments(rel.split("/").map(encodeURIComponent).join("/"));
        if (single && segments.length === 0) segments = [single];
        if (single && (segments.length !== 1 || segments[0] !== single)) throw NOT_FOUND;
        const { real, stats: st } = await resolveInside(realRoot, segments);
        if (st.isDirectory()) {
          const listing = await recursiveListing(realRoot, real).catch(() => {
            throw NOT_FOUND;
          });
          sendJson(res, { ...listing, dir: segments.join("/") });
          return;
        }
        if (!st.isFile()) throw NOT_FOUND;
        const name = segments.at(-1)!;
        const entry = { path: name, name, kind: "file", size: st.size, mtimeMs: st.mtimeMs, mtime: st.mtimeMs };
        sendJson(res, { format: "daqkit-listing", version: 1, entries: [entry], dir: segments.slice(0, -1).join("/") });
        return;
      }
      const segments = safeSegments(rest);
      if (segments.at(-1) === LISTING_FILE_NAME) {
        const dirSegments = segments.slice(0, -1);
        if (single && dirSegments.length > 0) throw NOT_FOUND;
        if (single) {
          const { stats: st } = await resolveInside(realRoot, [single]);
          const entry = { path: single, name: single, kind: "file", size: st.size, mtimeMs: st.mtimeMs, mtime: st.mtimeMs };
          sendJson(res, { format: "daqkit-listing", version: 1, entries: [entry] });
          return;
        }
        const { real, stats: st } = await resolveInside(realRoot, dirSegments);
        if (st.isDirectory()) {
          const listing = await recursiveListing(realRoot, real).catch(() => {
            throw NOT_FOUND;
          });
          sendJson(res, listing);
          return;
        }
      }
      if (segments.length === 0) throw NOT_FOUND;
      if (single && (segments.length !== 1 || segments[0] !== single)) throw NOT_FOUND;
      const { real, stats: st } = await resolveInside(realRoot, segments);
      if (!st.isFile()) throw NOT_FOUND;
      const rel = segments.join("/");
      stats.dataRequests++;
      await sendFile(
        req,
        res,
        real,
        { "Cache-Control": "no-store", "Content-Type": "application/octet-stream" },
        (n) => {
          stats.dataBytes += n;
          stats.bytesByPath.set(rel, (stats.bytesByPath.get(rel) ?? 0) + n);
        },
        (start, end) => {
          const list = stats.rangesByPath.get(rel) ?? [];
          list.push([start, end]);
          stats.rangesByPath.set(rel, list);
        },
      );
      return;
    }
    // The viewer's static files: no token, no listing, only files inside the viewer folder.
    if (!realViewer) {
      if (pathPart === "/" || pathPart === "/index.html") {
        send(res, 200, VIEWER_MISSING);
        return;
      }
      throw NOT_FOUND;
    }
    const segments = pathPart === "/" ? ["index.html"] : safeSegments(pathPart.slice(1));
    if (pathPart === "/favicon.ico" && !existsSync(join(realViewer, "favicon.ico"))) {
      send(res, 204, "");
      return;
    }
    const { real, stats: st } = await resolveInside(realViewer, segments);
    if (!st.isFile()) throw NOT_FOUND;
    await sendFile(req, res, real, {
      "Content-Type": MIME[extname(real).toLowerCase()] ?? "application/octet-stream",
      "Cache-Control": segments[0] === "assets" ? "public, max-age=31536000, immutable" : "no-cache",
    });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof Refusal) send(res, error.status, `${error.text}\n`);
      else send(res, 500, "internal error\n");
    });
  });
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  port = typeof address === "object" && address ? address.port : (options.port ?? 0);
  allowed = allowedHosts(host, port);
  const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : isIP(host) === 6 ? `[${host}]` : host;
  const origin = `http://${urlHost}:${port}`;
  const url = `${origin}/?token=${encodeURIComponent(token)}&path=${encodeURIComponent(single ?? "")}`;
  return {
    url,
    origin,
    host,
    port,
    token,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
