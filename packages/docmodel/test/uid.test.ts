import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { deterministicUid, fileIdentity, filesUid } from "../src/node.js";
import { IDENTITY_EDGE_BYTES } from "../src/uid.js";

const tmp = mkdtempSync(join(tmpdir(), "docmodel-uid-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("deterministic uids (issue 14)", () => {
  it("separates parts unambiguously: ['ab','c'] and ['a','bc'] differ", () => {
    expect(deterministicUid(["ab", "c"])).not.toBe(deterministicUid(["a", "bc"]));
    expect(deterministicUid(["abc"])).not.toBe(deterministicUid(["ab", "c"]));
    expect(deterministicUid(["ab", "c"])).toBe(deterministicUid(["ab", "c"]));
    expect(deterministicUid(["x"])).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{42}=$/);
  });

  it("never starts with '-' (the CLI would take it for an option)", () => {
    let dashes = 0;
    for (let i = 0; i < 2000; i++) {
      const parts = [`file_${i}.bin`];
      const raw = createHash("sha256")
        .update(`${Buffer.byteLength(parts[0] as string)}:${parts[0]}`)
        .digest("base64")
        .replace(/\+/g, "-")
        .replace(/\//g, "_");
      const uid = deterministicUid(parts);
      expect(uid.startsWith("-")).toBe(false);
      if (raw.startsWith("-")) {
        dashes++;
        expect(uid).toBe(`_${raw.slice(1)}`);
      } else expect(uid).toBe(raw);
    }
    expect(dashes).toBeGreaterThan(10); // ≈ 2000 / 64
  });

  it("names the data, not its location: the same files in two folders get the same uid", () => {
    const a = join(tmp, "a", "night");
    const b = join(tmp, "elsewhere", "copy");
    mkdirSync(a, { recursive: true });
    mkdirSync(b, { recursive: true });
    for (const n of ["1.bin", "2.bin"]) {
      writeFileSync(join(a, n), Buffer.alloc(3 * IDENTITY_EDGE_BYTES, n));
      copyFileSync(join(a, n), join(b, n));
    }
    const uidA = filesUid([join(a, "1.bin"), join(a, "2.bin")]);
    expect(filesUid([join(b, "1.bin"), join(b, "2.bin")])).toBe(uidA);
    // Relative to the root: a renamed file, other bytes at either end, another size, or an extra part change it.
    copyFileSync(join(b, "2.bin"), join(b, "3.bin"));
    expect(filesUid([join(b, "1.bin"), join(b, "3.bin")])).not.toBe(uidA);
    expect(filesUid([join(a, "1.bin"), join(a, "2.bin")], ["range:1-2"])).not.toBe(uidA);
    const tail = Buffer.alloc(3 * IDENTITY_EDGE_BYTES, "2.bin");
    tail[tail.length - 1] = (tail[tail.length - 1] as number) ^ 1;
    writeFileSync(join(b, "2.bin"), tail);
    expect(filesUid([join(b, "1.bin"), join(b, "2.bin")])).not.toBe(uidA);
    writeFileSync(join(b, "2.bin"), Buffer.alloc(3 * IDENTITY_EDGE_BYTES + 1, "2.bin"));
    expect(filesUid([join(b, "1.bin"), join(b, "2.bin")])).not.toBe(uidA);
    expect(fileIdentity(join(a, "1.bin"), a)[0]).toBe("1.bin");
    expect(() => fileIdentity(join(tmp, "missing.bin"), tmp)).toThrow(expect.objectContaining({ code: "DOCS_FILE_UNREADABLE" }));
  });
});
