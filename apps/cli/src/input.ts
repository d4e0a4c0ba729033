import { readFile } from "node:fs/promises";

const STDIN_NAMES = new Set(["-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"]);

/**
 * The bytes of an input the user names: `-` (or `/dev/stdin`) is standard input; any other path is read to its end, so
 * pipes and FIFOs (`/dev/stdin`, `<(cmd)`) work like regular files (no positioned reads, which fail
 * on a pipe with ESPIPE).
 */
export async function readInput(path: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<Uint8Array> {
  // /dev/stdin cannot be opened when stdin is a socket (ENXIO; Node's child processes get socketpairs).
  if (!STDIN_NAMES.has(path)) return new Uint8Array(await readFile(path));
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return new Uint8Array(Buffer.concat(chunks));
}

/** How an input is named in messages: `-` is "stdin". */
export function inputName(path: string): string {
  return path === "-" ? "stdin" : path;
}
