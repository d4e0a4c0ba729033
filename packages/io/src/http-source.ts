import { type ByteSource, checkRange } from "./byte-source.js";
import { IoError } from "./errors.js";

/** Options of {@link openHttpSource}. */
export interface HttpSourceOptions {
  /** Extra request headers (e.g. authorisation); `Range` is set by the source. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The `fetch` to use (default the global one). */
  readonly fetch?: typeof fetch;
  /** Aborts the opening request and every later read. */
  readonly signal?: AbortSignal;
  /**
   * The resource's size in bytes when the caller already knows it (e.g. from a directory listing):
   * opening then sends no request, and the first read is what proves that the server honours
   * `Range` (a `200` answer is refused with `IO_RANGE_UNSUPPORTED` and its body cancelled); a read
   * whose `Content-Range` gives another total is `IO_FAILED` (the resource changed).
   */
  readonly size?: number;
}

/** `bytes START-END/TOTAL` → its numbers; `bytes * /TOTAL` → only `total`. */
function parseContentRange(value: string | null): { start?: number; end?: number; total?: number } | undefined {
  if (!value) return undefined;
  const m = /^\s*bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)\s*$/i.exec(value);
  if (!m) return undefined;
  return {
    start: m[1] === undefined ? undefined : Number(m[1]),
    end: m[2] === undefined ? undefined : Number(m[2]),
    total: m[3] === "*" ? undefined : Number(m[3]),
  };
}

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // The body is unwanted; a failure to cancel it changes nothing.
  }
}

/**
 * Open an HTTP(S) resource as a byte source read with `Range` requests (`Range: bytes=a-b`, one
 * request per `read`). Opening sends one ranged `GET` for the first byte and takes the size from its
 * `Content-Range`, so a server that ignores `Range` (answers `200` with the whole body) is refused at
 * once with `IO_RANGE_UNSUPPORTED` and its body is cancelled instead of downloaded. A `404`/`410` is
 * `IO_NOT_FOUND`; other failures (network, status) are `IO_FAILED`, always with the URL as `path`.
 * `readSync` is absent.
 */
export async function openHttpSource(url: string | URL, options: HttpSourceOptions = {}): Promise<ByteSource> {
  const name = String(url);
  const doFetch = options.fetch ?? globalThis.fetch;
  const request = async (range: string, offset: number, length: number): Promise<Response> => {
    let response: Response;
    try {
      response = await doFetch(name, { headers: { ...options.headers, Range: range }, signal: options.signal });
    } catch (cause) {
      throw new IoError("IO_FAILED", `io: ${name}: request for bytes ${range.slice(6)} failed: ${String(cause)}`, {
        path: name,
        offset,
        length,
        cause,
      });
    }
    if (response.status === 404 || response.status === 410) {
      await discard(response);
      throw new IoError("IO_NOT_FOUND", `io: ${name}: not found (HTTP ${response.status})`, { path: name });
    }
    return response;
  };

  const size = options.size === undefined ? await probeSize() : checkedSize(options.size);

  function checkedSize(known: number): number {
    if (!Number.isSafeInteger(known) || known < 0) {
      throw new IoError("IO_BAD_ARGUMENT", `io: ${name}: expected the known size to be an integer ≥ 0, found ${known}`, { path: name });
    }
    return known;
  }

  // Size: a one-byte ranged GET (no HEAD: it would not prove that ranges are honoured).
  async function probeSize(): Promise<number> {
    const first = await request("bytes=0-0", 0, 1);
    let size: number;
    if (first.status === 206) {
      const range = parseContentRange(first.headers.get("content-range"));
      await discard(first);
      if (range?.total === undefined) {
        throw new IoError(
          "IO_RANGE_UNSUPPORTED",
          `io: ${name}: expected a Content-Range with the total size in the 206 answer, found ${JSON.stringify(first.headers.get("content-range"))}`,
          { path: name },
        );
      }
      size = range.total;
    } else if (first.status === 416) {
      // An empty resource: nothing satisfies bytes=0-0; the size is in `Content-Range: bytes */0`.
      const range = parseContentRange(first.headers.get("content-range"));
      await discard(first);
      if (range?.total !== 0) {
        throw new IoError("IO_FAILED", `io: ${name}: HTTP 416 for bytes 0-0 without an empty size`, { path: name });
      }
      size = 0;
    } else if (first.ok) {
      await discard(first);
      throw new IoError(
        "IO_RANGE_UNSUPPORTED",
        `io: ${name}: the server ignores Range requests (expected HTTP 206 for bytes 0-0, got ${first.status}); refusing to download the whole resource`,
        { path: name },
      );
    } else {
      await discard(first);
      throw new IoError("IO_FAILED", `io: ${name}: HTTP ${first.status} ${first.statusText}`, { path: name });
    }
    return size;
  }

  return {
    name,
    size,
    async read(offset, length) {
      checkRange(name, size, offset, length);
      if (length === 0) return new Uint8Array(0);
      const range = `bytes=${offset}-${offset + length - 1}`;
      const response = await request(range, offset, length);
      if (response.status !== 206) {
        await discard(response);
        throw new IoError(
          response.ok ? "IO_RANGE_UNSUPPORTED" : "IO_FAILED",
          `io: ${name}: expected HTTP 206 for bytes ${offset}-${offset + length - 1}, got ${response.status}`,
          { path: name, offset, length, size },
        );
      }
      const got = parseContentRange(response.headers.get("content-range"));
      if (got?.start !== offset) {
        await discard(response);
        throw new IoError(
          "IO_RANGE_UNSUPPORTED",
          `io: ${name}: expected Content-Range starting at ${offset}, found ${JSON.stringify(response.headers.get("content-range"))}`,
          { path: name, offset, length, size },
        );
      }
      if (got.total !== undefined && got.total !== size) {
        await discard(response);
        throw new IoError(
          "IO_FAILED",
          `io: ${name}: expected a resource of ${size} bytes, the server reports ${got.total} (the resource changed?)`,
          { path: name, offset, length, size },
        );
      }
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await response.arrayBuffer());
      } catch (cause) {
        throw new IoError("IO_FAILED", `io: ${name}: reading the body of bytes ${offset}-${offset + length - 1} failed`, {
          path: name,
          offset,
          length,
          size,
          cause,
        });
      }
      if (bytes.byteLength !== length) {
        throw new IoError(
          "IO_FAILED",
          `io: ${name}: expected ${length} bytes at offset ${offset}, got ${bytes.byteLength} (the resource changed?)`,
          { path: name, offset, length, size },
        );
      }
      return bytes;
    },
  };
}
