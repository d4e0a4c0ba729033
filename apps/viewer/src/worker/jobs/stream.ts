// A served file read front to back as ONE streamed request (issue 16): the body's chunks are handed to
// the decoder as they arrive, so the transfer overlaps the decoding, instead of one `Range` request per
// 8 MiB chunk whose body is awaited whole (and copied into a fresh buffer) before it is decoded.
import { IoError } from "@daqkit/io";

/** Options of {@link streamHttpFile}. */
export interface StreamOptions {
  readonly signal?: AbortSignal;
  /** The `fetch` to use (default the global one; tests inject one). */
  readonly fetch?: typeof fetch;
}

/** `bytes START-END/TOTAL` → its numbers. */
function contentRange(value: string | null): { start: number; end: number; total: number } | undefined {
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+)\s*$/i.exec(value ?? "");
  return m ? { start: Number(m[1]), end: Number(m[2]), total: Number(m[3]) } : undefined;
}

/**
 * The `size` bytes of `url`, streamed: one `GET` with `Range: bytes=0-(size−1)` that must answer `206`
 * with exactly that range of a `size`-byte resource (the size the listing and the scan saw), then the
 * body's chunks as they arrive (views owned by the caller, each valid until the next is asked for).
 * Errors are `IoError`s naming the URL: `IO_NOT_FOUND` (404/410), `IO_RANGE_UNSUPPORTED` (no 206 or
 * another range), `IO_FAILED` (network, other status, a body shorter or longer than `size`, with the
 * offset reached). Stopping early cancels the request.
 */
export async function* streamHttpFile(url: string, size: number, options: StreamOptions = {}): AsyncGenerator<Uint8Array> {
  if (size === 0) return;
  const doFetch = options.fetch ?? globalThis.fetch;
  const range = `bytes=0-${size - 1}`;
  let response: Response;
  try {
    response = await doFetch(url, { headers: { Range: range }, signal: options.signal });
  } catch (cause) {
    throw new IoError("IO_FAILED", `io: ${url}: request for bytes 0-${size - 1} failed: ${String(cause)}`, {
      path: url,
      offset: 0,
      length: size,
      cause,
    });
  }
  const refuse = async (error: IoError): Promise<never> => {
    await response.body?.cancel().catch(() => undefined);
    throw error;
  };
  if (response.status === 404 || response.status === 410)
    await refuse(new IoError("IO_NOT_FOUND", `io: ${url}: not found (HTTP ${response.status})`, { path: url }));
  if (response.status !== 206) {
    await refuse(
      new IoError(
        response.ok ? "IO_RANGE_UNSUPPORTED" : "IO_FAILED",
        `io: ${url}: expected HTTP 206 for bytes 0-${size - 1}, got ${response.status}`,
        {
          path: url,
          offset: 0,
          length: size,
          size,
        },
      ),
    );
  }
  const got = contentRange(response.headers.get("content-range"));
  if (got?.start !== 0 || got.end !== size - 1 || got.total !== size) {
    await refuse(
      new IoError(
        "IO_RANGE_UNSUPPORTED",
        `io: ${url}: expected Content-Range bytes 0-${size - 1}/${size}, found ${JSON.stringify(response.headers.get("content-range"))} (the resource changed?)`,
        { path: url, offset: 0, length: size, size },
      ),
    );
  }
  if (!response.body)
    await refuse(new IoError("IO_FAILED", `io: ${url}: the answer for bytes 0-${size - 1} has no body`, { path: url, offset: 0, size }));
  const reader = response.body!.getReader();
  let offset = 0;
  let finished = false;
  try {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (cause) {
        throw new IoError("IO_FAILED", `io: ${url}: reading the body failed at offset ${offset} of ${size}: ${String(cause)}`, {
          path: url,
          offset,
          size,
          cause,
        });
      }
      if (step.done) break;
      const chunk = step.value;
      if (offset + chunk.byteLength > size) {
        throw new IoError("IO_FAILED", `io: ${url}: expected ${size} bytes, got more (the resource changed?)`, { path: url, offset, size });
      }
      offset += chunk.byteLength;
      yield chunk;
    }
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  if (offset !== size) {
    throw new IoError("IO_FAILED", `io: ${url}: expected ${size} bytes, got ${offset} (the resource changed?)`, {
      path: url,
      offset,
      size,
    });
  }
}
