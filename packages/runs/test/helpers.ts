import { mkdtemp, rm, cp, chmod, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Table } from "apache-arrow";

/** `../shared/testdata/strax` beside the repository. */
export const STRAX = join(import.meta.dirname, "../../../../shared/testdata/strax");

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "daqkit-runs-"));
}

export async function removeDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/** Writable copy of a test-data folder. */
export async function copyFolder(src: string): Promise<string> {
  const dir = await tempDir();
  await cp(src, dir, { recursive: true });
  await makeWritable(dir);
  return dir;
}

async function makeWritable(path: string): Promise<void> {
  const s = await stat(path);
  await chmod(path, s.isDirectory() ? 0o755 : 0o644);
  if (s.isDirectory()) for (const e of await readdir(path)) await makeWritable(join(path, e));
}

export function sumBigInt(table: Table, column: string): bigint {
  let s = 0n;
  const v = table.getChild(column);
  if (!v) throw new Error(`no column ${column}`);
  for (const x of v.toArray() as BigInt64Array) s += x;
  return s;
}

export function sumNumber(table: Table, column: string): number {
  let s = 0;
  const v = table.getChild(column);
  if (!v) throw new Error(`no column ${column}`);
  for (const x of v.toArray() as Iterable<number>) s += Number(x);
  return s;
}

export function endtimes(table: Table): bigint[] {
  const t = table.getChild("time")!.toArray() as BigInt64Array;
  const end = table.getChild("endtime");
  if (end) return [...(end.toArray() as BigInt64Array)];
  const l = table.getChild("length")!.toArray() as Int32Array;
  const dt = table.getChild("dt")!.toArray() as ArrayLike<number>;
  return [...t].map((x, i) => x + BigInt(l[i]!) * BigInt(dt[i]!));
}
