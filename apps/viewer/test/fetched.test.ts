/**
 * The helper-worker read of served files (src/worker/jobs/fetched.ts, issue 16): the helper's side
 * (`serveFetches`) and the decoding worker's side (`FileFetcher`) joined by a MessageChannel instead of
 * a Worker. Blocks arrive in order and are reused from file to file; one helper serves the files of a
 * job; a failure arrives coded (URL, offset) and stops the helper; stopping early stops it too.
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { type FetchScope, FileFetcher, serveFetches } from "../src/worker/jobs/fetched.js";

const files = new Map<string, Uint8Array>();
const requests: string[] = [];
const truncated = new Set<string>();

function fakeFetch(url: string, init?: RequestInit): Promise<Response> {
  const bytes = files.get(url);
  requests.push(`${url} ${new Headers(init?.headers).get("range")}`);
  if (!bytes) return Promise.resolve(new Response("no", { status: 404 }));
  const body = truncated.has(url) ? bytes.subarray(0, bytes.byteLength - 10) : bytes;
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= body.byteLength) return controller.close();
      controller.enqueue(body.slice(at, at + 100)); // 100-byte chunks: blocks fill across chunks
      at += 100;
    },
  });
  return Promise.resolve(
    new Response(stream, { status: 206, headers: { "Content-Range": `bytes 0-${bytes.byteLength - 1}/${bytes.byteLength}` } }),
  );
}

/** A `spawn` whose "worker" is `serveFetches` on the other end of a MessageChannel. */
function channels() {
  const log = { spawned: 0, terminated: 0 };
  const spawn = () => {
    const { port1, port2 } = new MessageChannel();
    serveFetches(port2 as unknown as FetchScope);
    log.spawned++;
    const worker = {
      set onmessage(f: ((e: MessageEvent) => void) | null) {
        port1.onmessage = f;
      },
      onerror: null,
      postMessage: (m: unknown, transfer?: Transferable[]) => port1.postMessage(m, transfer ?? []),
      terminate: () => {
        log.terminated++;
        port1.close();
        port2.close();
      },
    };
    return worker as unknown as Worker;
  };
  return { log, spawn };
}

const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

async function collect(it: AsyncIterable<Uint8Array>, sizes?: number[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of it) {
    sizes?.push(c.byteLength);
    parts.push(c.slice());
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

afterEach(() => {
  vi.unstubAllGlobals();
  files.clear();
  truncated.clear();
  requests.length = 0;
});

describe("FileFetcher with serveFetches", () => {
  test("start() runs the helper before the first file, which then uses it", async () => {
    vi.stubGlobal("fetch", fakeFetch);
    files.set("http://h/a.bin", pattern(600, 4));
    const { log, spawn } = channels();
    const fetcher = new FileFetcher({ spawn, blockBytes: 256 });
    try {
      fetcher.start();
      fetcher.start();
      expect(log.spawned).toBe(1);
      expect(requests).toEqual([]);
      expect(await collect(fetcher.file("http://h/a.bin", 600))).toEqual(pattern(600, 4));
    } finally {
      fetcher.close();
    }
    expect(log).toEqual({ spawned: 1, terminated: 1 });
  });
  test("prime() sends a file's request ahead; file() of it reads that request, of another file restarts the helper", async () => {
    vi.stubGlobal("fetch", fakeFetch);
    files.set("http://h/a.bin", pattern(600, 4));
    files.set("http://h/b.bin", pattern(300, 5));
    const { log, spawn } = channels();
    const fetcher = new FileFetcher({ spawn, blockBytes: 256 });
    try {
      fetcher.prime("http://h/a.bin", 600);
      // the request goes out before the file is asked for
      await vi.waitFor(() => expect(requests).toEqual(["http://h/a.bin bytes=0-599"]));
      expect(await collect(fetcher.file("http://h/a.bin", 600))).toEqual(pattern(600, 4));
      expect(requests).toEqual(["http://h/a.bin bytes=0-599"]);
      expect(log).toEqual({ spawned: 1, terminated: 0 });
      // primed for a file that is then not the one asked for: dropped with its helper
      fetcher.prime("http://h/a.bin", 600);
      expect(await collect(fetcher.file("http://h/b.bin", 300))).toEqual(pattern(300, 5));
      expect(log).toEqual({ spawned: 2, terminated: 1 });
      expect(requests.at(-1)).toBe("http://h/b.bin bytes=0-299");
    } finally {
      fetcher.close();
    }
    expect(log).toEqual({ spawned: 2, terminated: 2 });
  });
  test("the files of a job through one helper, in blocks, each file one range request", async () => {
    vi.stubGlobal("fetch", fakeFetch);
    files.set("http://h/a.bin", pattern(1000, 1));
    files.set("http://h/b.bin", pattern(300, 2));
    files.set("http://h/c.bin", pattern(1000, 3));
    const { log, spawn } = channels();
    const fetcher = new FileFetcher({ spawn, blockBytes: 256 });
    try {
      const sizes: number[] = [];
      expect(await collect(fetcher.file("http://h/a.bin", 1000), sizes)).toEqual(pattern(1000, 1));
      expect(sizes).toEqual([256, 256, 256, 232]);
      expect(await collect(fetcher.file("http://h/b.bin", 300))).toEqual(pattern(300, 2));
      expect(await collect(fetcher.file("http://h/c.bin", 1000))).toEqual(pattern(1000, 3));
      expect(await collect(fetcher.file("http://h/empty.bin", 0))).toEqual(new Uint8Array(0));
    } finally {
      fetcher.close();
    }
    expect(requests).toEqual(["http://h/a.bin bytes=0-999", "http://h/b.bin bytes=0-299", "http://h/c.bin bytes=0-999"]);
    expect(log).toEqual({ spawned: 1, terminated: 1 });
  });

  test("a short body is IO_FAILED naming the URL and the offset; the next file gets a fresh helper", async () => {
    vi.stubGlobal("fetch", fakeFetch);
    files.set("http://h/a.bin", pattern(1000, 1));
    files.set("http://h/b.bin", pattern(600, 2));
    truncated.add("http://h/a.bin");
    const { log, spawn } = channels();
    const fetcher = new FileFetcher({ spawn, blockBytes: 256 });
    try {
      const error = await collect(fetcher.file("http://h/a.bin", 1000)).then(
        () => null,
        (e: unknown) => e as { code?: string; path?: string; offset?: number; message: string },
      );
      expect(error).toMatchObject({ code: "IO_FAILED", path: "http://h/a.bin", offset: 990 });
      expect(error?.message).toContain("expected 1000 bytes, got 990");
      expect(log.terminated).toBe(1);
      expect(await collect(fetcher.file("http://h/b.bin", 600))).toEqual(pattern(600, 2));
      expect(log.spawned).toBe(2);
      const missing = await collect(fetcher.file("http://h/gone.bin", 50)).then(
        () => null,
        (e: unknown) => e as { code?: string },
      );
      expect(missing?.code).toBe("IO_NOT_FOUND");
    } finally {
      fetcher.close();
    }
  });

  test("stopping early stops the helper", async () => {
    vi.stubGlobal("fetch", fakeFetch);
    files.set("http://h/a.bin", pattern(1000, 1));
    const { log, spawn } = channels();
    const fetcher = new FileFetcher({ spawn, blockBytes: 256 });
    for await (const block of fetcher.file("http://h/a.bin", 1000)) {
      expect(block).toEqual(pattern(1000, 1).subarray(0, 256));
      break;
    }
    expect(log).toEqual({ spawned: 1, terminated: 1 });
    fetcher.close();
  });
});
