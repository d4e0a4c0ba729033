/**
 * The streamed read of a served file (src/worker/jobs/stream.ts, issue 16): one `Range: bytes=0-(size−1)`
 * request whose body is handed over chunk by chunk; a server that ignores the range, answers another
 * range or size, or sends a short or long body is refused with a coded error naming the URL and offset.
 */
import { describe, expect, test } from "vitest";
import { streamHttpFile, streamHttpFileBlocks } from "../src/worker/jobs/stream.js";

const URL_ = "http://127.0.0.1:1/data/t0k3n/night/1.bin";
const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 255);

/** A body of the given chunks (a real stream, so the reader sees several reads). */
function body(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
}

function fakeFetch(answer: (range: string | null) => Response): { fetch: typeof fetch; ranges: (string | null)[] } {
  const ranges: (string | null)[] = [];
  const f = (async (_url: string, init?: RequestInit) => {
    const range = new Headers(init?.headers).get("range");
    ranges.push(range);
    return answer(range);
  }) as typeof fetch;
  return { fetch: f, ranges };
}

const partial = (content: Uint8Array[], contentRange: string, status = 206) =>
  new Response(body(content), { status, headers: { "Content-Range": contentRange } });

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c.slice());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

async function failure(it: AsyncIterable<Uint8Array>): Promise<{ code: string; message: string; path?: string; offset?: number }> {
  try {
    await collect(it);
  } catch (error) {
    return error as { code: string; message: string; path?: string; offset?: number };
  }
  throw new Error("expected a failure");
}

describe("streamHttpFile", () => {
  test("one request for the whole file, the body's chunks in order", async () => {
    const { fetch, ranges } = fakeFetch(() =>
      partial([bytes.subarray(0, 300), bytes.subarray(300, 301), bytes.subarray(301)], "bytes 0-999/1000"),
    );
    expect(await collect(streamHttpFile(URL_, 1000, { fetch }))).toEqual(bytes);
    expect(ranges).toEqual(["bytes=0-999"]);
  });

  test("an empty file sends no request", async () => {
    const { fetch, ranges } = fakeFetch(() => partial([], "bytes */0", 416));
    expect(await collect(streamHttpFile(URL_, 0, { fetch }))).toEqual(new Uint8Array(0));
    expect(ranges).toEqual([]);
  });

  test("404 is IO_NOT_FOUND, other statuses IO_FAILED, a 200 (range ignored) IO_RANGE_UNSUPPORTED", async () => {
    const notFound = await failure(
      streamHttpFile(
        URL_,
        1000,
        fakeFetch(() => new Response("no", { status: 404 })),
      ),
    );
    expect(notFound).toMatchObject({ code: "IO_NOT_FOUND", path: URL_ });
    const broken = await failure(
      streamHttpFile(
        URL_,
        1000,
        fakeFetch(() => new Response("x", { status: 500 })),
      ),
    );
    expect(broken).toMatchObject({ code: "IO_FAILED", path: URL_ });
    expect(broken.message).toContain("expected HTTP 206 for bytes 0-999, got 500");
    const ignored = await failure(
      streamHttpFile(
        URL_,
        1000,
        fakeFetch(() => new Response(body([bytes]), { status: 200 })),
      ),
    );
    expect(ignored).toMatchObject({ code: "IO_RANGE_UNSUPPORTED", path: URL_ });
  });

  test("another range or total size (the file changed since the scan) is refused", async () => {
    const grown = await failure(
      streamHttpFile(
        URL_,
        1000,
        fakeFetch(() => partial([bytes], "bytes 0-999/1200")),
      ),
    );
    expect(grown).toMatchObject({ code: "IO_RANGE_UNSUPPORTED", path: URL_ });
    expect(grown.message).toContain('expected Content-Range bytes 0-999/1000, found "bytes 0-999/1200"');
    const missing = await failure(
      streamHttpFile(
        URL_,
        1000,
        fakeFetch(() => new Response(body([bytes]), { status: 206 })),
      ),
    );
    expect(missing.code).toBe("IO_RANGE_UNSUPPORTED");
  });

  test("a short or long body is IO_FAILED with the offset reached", async () => {
    const short = await failure(
      streamHttpFile(
        URL_,
        1000,
        fakeFetch(() => partial([bytes.subarray(0, 600)], "bytes 0-999/1000")),
      ),
    );
    expect(short).toMatchObject({ code: "IO_FAILED", path: URL_, offset: 600 });
    expect(short.message).toContain("expected 1000 bytes, got 600");
    const long = await failure(
      streamHttpFile(
        URL_,
        1000,
        fakeFetch(() => partial([bytes, bytes.subarray(0, 8)], "bytes 0-999/1000")),
      ),
    );
    expect(long).toMatchObject({ code: "IO_FAILED", path: URL_, offset: 1000 });
  });

  test("a network failure is IO_FAILED naming the URL", async () => {
    const f = (async () => {
      throw new TypeError("connection refused");
    }) as unknown as typeof fetch;
    const error = await failure(streamHttpFile(URL_, 1000, { fetch: f }));
    expect(error).toMatchObject({ code: "IO_FAILED", path: URL_ });
    expect(error.message).toContain("connection refused");
  });

  test("stopping early cancels the body", async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(bytes.subarray(0, 100));
      },
      cancel() {
        cancelled = true;
      },
    });
    const it = streamHttpFile(
      URL_,
      1000,
      fakeFetch(() => new Response(stream, { status: 206, headers: { "Content-Range": "bytes 0-999/1000" } })),
    );
    for await (const _ of it) break;
    expect(cancelled).toBe(true);
  });
});

describe("streamHttpFileBlocks", () => {
  /** A checked answer whose body is `stream` (the stream itself, to see how it is read). */
  const answerWith = (stream: ReadableStream<Uint8Array>) =>
    fakeFetch(() => ({ status: 206, ok: true, headers: new Headers({ "Content-Range": "bytes 0-999/1000" }), body: stream }) as Response);

  /** A byte stream of `chunks` (BYOB readers fill the caller's views) that records the reader modes asked for. */
  function byteStream(chunks: Uint8Array[], modes: (string | undefined)[]): ReadableStream<Uint8Array> {
    let i = 0;
    const stream = new ReadableStream({
      type: "bytes",
      pull(controller) {
        if (i < chunks.length) controller.enqueue(chunks[i++]!.slice());
        else {
          controller.close();
          // a pending BYOB read ends when its request is answered with 0 bytes (as a fetch body does)
          controller.byobRequest?.respond(0);
        }
      },
    });
    const getReader = stream.getReader.bind(stream) as (o?: { mode?: "byob" }) => ReadableStreamReader<Uint8Array>;
    (stream as { getReader: unknown }).getReader = (o?: { mode?: "byob" }) => {
      modes.push(o?.mode);
      return getReader(o);
    };
    return stream as ReadableStream<Uint8Array>;
  }

  /** Blocks of 256 bytes, as the fetch worker hands them out. */
  const take = async () => new Uint8Array(256);

  async function blocks(it: AsyncIterable<{ block: Uint8Array; length: number }>): Promise<{ bytes: Uint8Array; lengths: number[] }> {
    const lengths: number[] = [];
    const parts: Uint8Array[] = [];
    for await (const { block, length } of it) {
      expect(block.byteLength).toBe(256);
      lengths.push(length);
      parts.push(block.slice(0, length));
    }
    const out = new Uint8Array(lengths.reduce((n, l) => n + l, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return { bytes: out, lengths };
  }

  const chunks = [bytes.subarray(0, 300), bytes.subarray(300, 750), bytes.subarray(750)];

  test("a byte stream is read with a BYOB reader straight into the blocks, full blocks then the rest", async () => {
    const modes: (string | undefined)[] = [];
    const { fetch, ranges } = answerWith(byteStream(chunks, modes));
    const got = await blocks(streamHttpFileBlocks(URL_, 1000, take, { fetch }));
    expect(got.bytes).toEqual(bytes);
    expect(got.lengths).toEqual([256, 256, 256, 232]);
    expect(modes).toEqual(["byob"]);
    expect(ranges).toEqual(["bytes=0-999"]);
  });

  test("another stream's chunks are copied into the blocks: the same blocks", async () => {
    const got = await blocks(streamHttpFileBlocks(URL_, 1000, take, answerWith(body(chunks))));
    expect(got.bytes).toEqual(bytes);
    expect(got.lengths).toEqual([256, 256, 256, 232]);
  });

  test("a short or long body is IO_FAILED with the offset reached, either way", async () => {
    for (const make of [(c: Uint8Array[]) => byteStream(c, []), body]) {
      const short = await failure(
        (async function* () {
          for await (const b of streamHttpFileBlocks(URL_, 1000, take, answerWith(make([bytes.subarray(0, 600)])))) yield b.block;
        })(),
      );
      expect(short).toMatchObject({ code: "IO_FAILED", path: URL_, offset: 600 });
      expect(short.message).toContain("expected 1000 bytes, got 600");
      const long = await failure(
        (async function* () {
          for await (const b of streamHttpFileBlocks(URL_, 1000, take, answerWith(make([bytes, bytes.subarray(0, 8)])))) yield b.block;
        })(),
      );
      expect(long).toMatchObject({ code: "IO_FAILED", path: URL_, offset: 1000 });
      expect(long.message).toContain("got more");
    }
  });

  test("a refused answer is refused as by streamHttpFile (IO_RANGE_UNSUPPORTED)", async () => {
    const error = await failure(
      (async function* () {
        for await (const b of streamHttpFileBlocks(
          URL_,
          1000,
          take,
          fakeFetch(() => partial([bytes], "bytes 0-999/2000")),
        ))
          yield b.block;
      })(),
    );
    expect(error).toMatchObject({ code: "IO_RANGE_UNSUPPORTED", path: URL_ });
  });
});
