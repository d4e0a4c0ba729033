import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IoError, openAtomicFile, writeFileAtomic } from "../src/node.js";

const root = mkdtempSync(join(tmpdir(), "daqkit-io-exclusive-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const isExists = (e: unknown): boolean => IoError.isInstance(e) && e.code === "IO_EXISTS" && e.category === "data";

describe("exclusive atomic writes", () => {
  it("create a new file, and never replace an existing one (IO_EXISTS, no temporary left)", async () => {
    const path = join(root, "a.bin");
    expect(await writeFileAtomic(path, "first", { exclusive: true })).toBe(5);
    expect(readFileSync(path, "utf8")).toBe("first");
    await expect(writeFileAtomic(path, "second", { exclusive: true })).rejects.toSatisfy(isExists);
    expect(readFileSync(path, "utf8")).toBe("first");
    expect(readdirSync(root)).toEqual(["a.bin"]);
  });

  it("of two writers open at once, the first commit wins and the second fails", async () => {
    const path = join(root, "race.bin");
    const a = await openAtomicFile(path, { exclusive: true });
    const b = await openAtomicFile(path, { exclusive: true });
    await a.write(new TextEncoder().encode("a"));
    await b.write(new TextEncoder().encode("b"));
    await b.commit();
    await expect(a.commit()).rejects.toSatisfy(isExists);
    expect(readFileSync(path, "utf8")).toBe("b");
    expect(readdirSync(root).filter((n) => n.includes("race"))).toEqual(["race.bin"]);
  });

  it("without the option a commit still replaces the file", async () => {
    const path = join(root, "plain.bin");
    writeFileSync(path, "old");
    await writeFileAtomic(path, "new");
    expect(readFileSync(path, "utf8")).toBe("new");
  });
});
