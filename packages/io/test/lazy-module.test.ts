import { describe, expect, it } from "vitest";
import { lazyModule } from "../src/index.js";

describe("lazyModule", () => {
  it("imports once, keeps the module, and exposes it synchronously once loaded", async () => {
    let calls = 0;
    const lazy = lazyModule(async () => {
      calls++;
      return { value: 42 };
    });
    expect(lazy.loaded).toBeUndefined();
    const [a, b] = await Promise.all([lazy.load(), lazy.load()]);
    expect(a).toBe(b);
    expect(await lazy.load()).toBe(a);
    expect(lazy.loaded).toBe(a);
    expect(calls).toBe(1);
  });

  it("tries a failed import again on the next call", async () => {
    let calls = 0;
    const lazy = lazyModule(async () => {
      calls++;
      if (calls === 1) throw new Error("first import fails");
      return "ok";
    });
    await expect(lazy.load()).rejects.toThrow("first import fails");
    expect(lazy.loaded).toBeUndefined();
    expect(await lazy.load()).toBe("ok");
    expect(calls).toBe(2);
  });
});
