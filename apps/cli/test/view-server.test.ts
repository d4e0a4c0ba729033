import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openHttpDirectory, openHttpSource } from "@daqkit/io";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRange, safeSegments, startViewServer, type ViewServer } from "../src/view/server.js";
import { daqkit } from "./run.js";
import { CLI_BIN, startView } from "./support/view-process.js";

/**
 * `daqkit view`'s server: everything outside the served folder is refused (traversal, encoded traversal,
 * symbolic links out, absolute paths), the token guards the data routes, a foreign Host header is refused,
 * and ranges return exactly the file's bytes.
 */
const tmp = mkdtempSync(join(tmpdir(), "daqkit-view-server-"));
const root = join(tmp, "served");
const SECRET = `secret-${randomBytes(8).toString("hex")}`;
const payload = randomBytes(100_000);
let server: ViewServer;

beforeAll(async () => {
  mkdirSync(join(root, "sub dir", "deeper"), { recursive: true });
  writeFileSync(join(root, "data.bin"), payload);
  writeFileSync(join(root, "empty.bin"), "");
  writeFileSync(join(root, "sub dir", "deeper", "a%2fb.txt"), "encoded name");
  writeFileSync(join(tmp, "outside.txt"), SECRET);
  mkdirSync(join(tmp, "outside-dir"));
  writeFileSync(join(tmp, "outside-dir", "x.txt"), SECRET);
  symlinkSync(join(tmp, "outside.txt"), join(root, "escape-link.txt"));
  symlinkSync(join(tmp, "outside-dir"), join(root, "escape-dir"));
  symlinkSync("data.bin", join(root, "inner-link.bin"));
  server = await startViewServer({ root });
});

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A raw request (no URL normalisation, any Host header). */
function raw(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: server.port, path, method: "GET", headers: { Host: `127.0.0.1:${server.port}`, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const data = (rel: string) => `/data/${server.token}/${rel}`;
const list = (rel: string) => `/api/${server.token}/list?path=${encodeURIComponent(rel)}`;

describe("view server: nothing outside PATH", () => {
  it.each([
    "../outside.txt",
    "..%2foutside.txt",
    "%2e%2e/outside.txt",
    "%2E%2E%2Foutside.txt",
    "sub%20dir/../../outside.txt",
    "sub%20dir/%2e%2e/%2e%2e/outside.txt",
    "./data.bin",
    "%2e/data.bin",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "..%5coutside.txt",
    "escape-link.txt",
    "escape-dir/x.txt",
    "escape-dir/.daqkit-listing.json",
    "data.bin%00",
    "%",
  ])("GET /data/<token>/%s is refused without leaking", async (rel) => {
    const r = await raw(data(rel));
    expect([403, 404]).toContain(r.status);
    expect(r.body.toString()).not.toContain(SECRET);
    expect(r.body.toString()).not.toContain(tmp);
  });

  it.each(["..", "/", "/etc", "sub dir/../..", "escape-dir", "sub dir//deeper"])("list?path=%s is refused", async (rel) => {
    const r = await raw(list(rel));
    expect([403, 404]).toContain(r.status);
    expect(r.body.toString()).not.toContain("x.txt");
  });

  it("listings leave out links that point out of PATH and links to folders", async () => {
    type Listing = { format: string; dir: string; entries: { path: string; name: string; kind: string; size: number; mtimeMs: number }[] };
    const expected = ["data.bin", "empty.bin", "inner-link.bin", "sub dir", "sub dir/deeper", "sub dir/deeper/a%2fb.txt"];
    const top = JSON.parse((await raw(list(""))).body.toString()) as Listing;
    expect(top.format).toBe("daqkit-listing");
    expect(top.dir).toBe("");
    expect(top.entries.map((e) => e.path)).toEqual(expected);
    expect(top.entries[0]).toMatchObject({ name: "data.bin", kind: "file", size: payload.length });
    expect(top.entries[3]).toMatchObject({ name: "sub dir", kind: "directory" });
    expect(typeof top.entries[0]!.mtimeMs).toBe("number");
    const sub = JSON.parse((await raw(list("sub dir"))).body.toString()) as Listing;
    expect(sub.dir).toBe("sub dir");
    expect(sub.entries.map((e) => e.path)).toEqual(["deeper", "deeper/a%2fb.txt"]);
    const file = JSON.parse((await raw(list("sub dir/deeper/a%2fb.txt"))).body.toString()) as Listing;
    expect(file.dir).toBe("sub dir/deeper");
    expect(file.entries.map((e) => [e.path, e.size])).toEqual([["a%2fb.txt", 12]]);
    const recursive = JSON.parse((await raw(data(".daqkit-listing.json"))).body.toString()) as Listing;
    expect(recursive.entries.map((e) => e.path)).toEqual(expected);
    expect(JSON.stringify(recursive) + JSON.stringify(top)).not.toContain("escape");
  });

  it("a link to a file inside PATH is served", async () => {
    const r = await raw(data("inner-link.bin"));
    expect(r.status).toBe(200);
    expect(Buffer.compare(r.body, payload)).toBe(0);
  });

  it("a file whose name holds an encoded slash is reached by its encoded name only", async () => {
    expect((await raw(data("sub%20dir/deeper/a%252fb.txt"))).body.toString()).toBe("encoded name");
    expect((await raw(data("sub%20dir/deeper/a%2fb.txt"))).status).toBe(404);
  });

  it("the viewer routes never reach the data folder", async () => {
    for (const p of ["/data.bin", "/../outside.txt", "/%2e%2e/outside.txt", "/index.html/../../outside.txt"]) {
      const r = await raw(p);
      expect(r.status).toBe(404);
      expect(r.body.toString()).not.toContain(SECRET);
    }
  });
});

describe("view server: token and Host", () => {
  it.each([
    ["no token", "/data//data.bin"],
    ["no token segment", "/data/data.bin"],
    ["wrong token", "/data/wrong-token/data.bin"],
    ["token with one character changed", () => `/data/${server.token.slice(0, -1)}${server.token.endsWith("A") ? "B" : "A"}/data.bin`],
    ["wrong token on the listing", "/api/nope/list?path="],
  ])("%s: 403", async (_name, path) => {
    const r = await raw(typeof path === "function" ? path() : path);
    expect(r.status).toBe(403);
    expect(r.body.length).toBeLessThan(100);
  });

  it.each([
    ["a rebinding name", () => `evil.example:${server.port}`],
    ["another port", () => `127.0.0.1:${server.port + 1}`],
    ["no port", () => "127.0.0.1"],
  ])("Host %s: 403, even with the right token", async (_name, host) => {
    const r = await raw(data("data.bin"), { Host: host() });
    expect(r.status).toBe(403);
    expect(r.body.includes(payload.subarray(0, 16))).toBe(false);
  });

  it("localhost:PORT is accepted while bound to 127.0.0.1", async () => {
    expect((await raw(data("empty.bin"), { Host: `localhost:${server.port}` })).status).toBe(200);
  });

  it("only GET and HEAD", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: server.port, path: data("data.bin"), method: "PUT" }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end("x");
    });
    expect(status).toBe(405);
  });

  it("binds 127.0.0.1 by default and prints a URL with the token", () => {
    expect(server.host).toBe("127.0.0.1");
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${encodeURIComponent(server.token)}&path=`);
    expect(server.token.length).toBeGreaterThanOrEqual(40);
  });
});

describe("view server: ranges", () => {
  it.each([
    ["bytes=0-0", 0, 0],
    ["bytes=10-99", 10, 99],
    ["bytes=99990-", 99_990, 99_999],
    ["bytes=-16", 99_984, 99_999],
    ["bytes=50000-200000", 50_000, 99_999],
  ])("%s → 206 with the file's bytes", async (range, start, end) => {
    const r = await raw(data("data.bin"), { Range: range });
    expect(r.status).toBe(206);
    expect(r.headers["content-range"]).toBe(`bytes ${start}-${end}/${payload.length}`);
    expect(Buffer.compare(r.body, payload.subarray(start, end + 1))).toBe(0);
  });

  it("an unsatisfiable range is 416 with the size", async () => {
    const r = await raw(data("data.bin"), { Range: `bytes=${payload.length}-` });
    expect(r.status).toBe(416);
    expect(r.headers["content-range"]).toBe(`bytes */${payload.length}`);
    const e = await raw(data("empty.bin"), { Range: "bytes=0-0" });
    expect(e.status).toBe(416);
    expect(e.headers["content-range"]).toBe("bytes */0");
  });

  it("without Range the whole file, 200", async () => {
    const r = await raw(data("data.bin"));
    expect(r.status).toBe(200);
    expect(r.headers["accept-ranges"]).toBe("bytes");
    expect(Buffer.compare(r.body, payload)).toBe(0);
  });

  it("a body of several reads (4 MiB each, two buffers taken in turn) is the file's bytes, whole and in ranges across reads", async () => {
    const big = randomBytes(9 * 1024 * 1024 + 12_345);
    writeFileSync(join(root, "big.bin"), big);
    const whole = await raw(data("big.bin"));
    expect(whole.status).toBe(200);
    expect(Buffer.compare(whole.body, big)).toBe(0);
    const start = 4 * 1024 * 1024 - 7;
    const end = 8 * 1024 * 1024 + 100_000;
    const part = await raw(data("big.bin"), { Range: `bytes=${start}-${end}` });
    expect(part.status).toBe(206);
    expect(Buffer.compare(part.body, big.subarray(start, end + 1))).toBe(0);
  });

  it("a client that goes away mid-body does not stop the server answering the next", async () => {
    const big = randomBytes(10 * 1024 * 1024);
    writeFileSync(join(root, "gone.bin"), big);
    const got = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port: server.port, path: data("gone.bin"), headers: { Host: `127.0.0.1:${server.port}` } },
        (res) => {
          let n = 0;
          res.on("data", (c: Buffer) => {
            n += c.length;
            if (n >= 1024 * 1024) req.destroy();
          });
          res.on("close", () => resolve(n));
        },
      );
      req.on("error", () => undefined);
      req.on("close", () => undefined);
      req.end();
      setTimeout(() => reject(new Error("no close")), 10_000).unref();
    });
    expect(got).toBeLessThan(big.length);
    const again = await raw(data("gone.bin"), { Range: "bytes=5-9" });
    expect(Buffer.compare(again.body, big.subarray(5, 10))).toBe(0);
  });

  it("parseRange and safeSegments", () => {
    expect(parseRange("bytes=5-1", 10)).toBeUndefined();
    expect(parseRange("bytes=0-1,4-5", 10)).toBeUndefined();
    expect(parseRange("bytes=-0", 10)).toBe("unsatisfiable");
    expect(parseRange("items=0-1", 10)).toBeUndefined();
    expect(safeSegments("a/b%20c")).toEqual(["a", "b c"]);
    expect(() => safeSegments("a//b")).toThrow();
  });

  it("@daqkit/io's HTTP directory and byte sources read through it", async () => {
    const dir = await openHttpDirectory(`${server.origin}/data/${server.token}/`);
    expect((await dir.list({ recursive: true })).map((e) => e.path)).toContain("sub dir/deeper/a%2fb.txt");
    const sub = await openHttpDirectory(`${server.origin}/data/${server.token}/sub%20dir/`, {
      listingUrl: `${server.origin}${list("sub dir")}`,
    });
    const text = await (await sub.open("deeper/a%2fb.txt")).read(0, 12);
    expect(new TextDecoder().decode(text)).toBe("encoded name");
    const src = await dir.open("data.bin");
    expect(src.size).toBe(payload.length);
    expect(Buffer.compare(Buffer.from(await src.read(1234, 5000)), payload.subarray(1234, 6234))).toBe(0);
    expect((await openHttpSource(`${server.origin}/data/${server.token}/empty.bin`)).size).toBe(0);
    expect(server.stats.bytesByPath.get("data.bin")).toBeGreaterThanOrEqual(5000);
  });
});

describe("view server: bound to every interface (--host 0.0.0.0)", () => {
  it("accepts IP literals and localhost on its port, refuses other names", async () => {
    const any = await startViewServer({ root, host: "0.0.0.0" });
    try {
      const status = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const req = request(
            { host: "127.0.0.1", port: any.port, path: `/data/${any.token}/empty.bin`, headers: { Host: host } },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on("error", reject);
          req.end();
        });
      expect(any.url.startsWith(`http://127.0.0.1:${any.port}/`)).toBe(true);
      expect(await status(`127.0.0.1:${any.port}`)).toBe(200);
      expect(await status(`localhost:${any.port}`)).toBe(200);
      expect(await status(`evil.example:${any.port}`)).toBe(403);
      expect(await status(`127.0.0.1:${any.port + 1}`)).toBe(403);
    } finally {
      await any.close();
    }
  });
});

describe("view server: a single file", () => {
  it("serves only that file", async () => {
    const one = await startViewServer({ root: join(root, "data.bin") });
    try {
      expect(one.url).toContain("&path=data.bin");
      const get = (p: string) => fetch(`${one.origin}${p}`).then(async (r) => ({ status: r.status, body: await r.text() }));
      expect((await get(`/data/${one.token}/data.bin`)).status).toBe(200);
      expect((await get(`/data/${one.token}/empty.bin`)).status).toBe(404);
      for (const p of ["", "data.bin"]) {
        const l = JSON.parse((await get(`/api/${one.token}/list?path=${p}`)).body) as { entries: { path: string }[]; dir: string };
        expect(l.entries.map((e) => e.path)).toEqual(["data.bin"]);
        expect(l.dir).toBe("");
      }
      expect((await get(`/api/${one.token}/list?path=empty.bin`)).status).toBe(404);
      const listing = JSON.parse((await get(`/data/${one.token}/.daqkit-listing.json`)).body) as { entries: { path: string }[] };
      expect(listing.entries.map((e) => e.path)).toEqual(["data.bin"]);
    } finally {
      await one.close();
    }
  });
});

describe("daqkit view", () => {
  it("a missing PATH is a coded not-found error", async () => {
    const r = await daqkit("view", join(tmp, "nope"), "--no-open");
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^daqkit: IO_NOT_FOUND: /);
  });
});

describe("the built `daqkit view` process", () => {
  it.skipIf(!existsSync(CLI_BIN))("prints the URL as JSON, serves, and exits 0 on SIGINT", async () => {
    const view = await startView(root);
    try {
      expect(view.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{40,}&path=$/);
      const r = await fetch(`${view.origin}/data/${view.token}/data.bin`, { headers: { Range: "bytes=5-9" } });
      expect(r.status).toBe(206);
      expect(Buffer.compare(Buffer.from(await r.arrayBuffer()), payload.subarray(5, 10))).toBe(0);
      const page = await fetch(`${view.origin}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    } finally {
      expect(await view.stop()).toBe(0);
    }
    expect(view.stderr()).toBe("");
  });
});
