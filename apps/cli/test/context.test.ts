import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createContext, toJson } from "../src/context.js";

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const pass = new PassThrough();
  let text = "";
  pass.on("data", (d) => {
    text += String(d);
  });
  Object.assign(pass, { isTTY, columns: 80, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { stream: pass as unknown as NodeJS.WriteStream, text: () => text };
}

describe("progress bars", () => {
  it("draw on a TTY", async () => {
    const tty = fakeStream(true);
    const ctx = createContext({ json: false, io: { out() {}, err() {}, progressStream: tty.stream } });
    const bar = ctx.progress(10, "convert");
    bar.tick(5);
    bar.stop();
    bar.stop();
    await new Promise((r) => setImmediate(r));
    expect(tty.text()).toContain("convert");
  });
  it("stay silent when stderr is not a TTY, and in --json mode", async () => {
    const pipe = fakeStream(false);
    const ctx = createContext({ json: false, io: { out() {}, err() {}, progressStream: pipe.stream } });
    const bar = ctx.progress(10, "convert");
    bar.tick(10);
    bar.stop();
    const tty = fakeStream(true);
    const jsonCtx = createContext({ json: true, io: { out() {}, err() {}, progressStream: tty.stream } });
    jsonCtx.progress(3, "x").tick();
    await new Promise((r) => setImmediate(r));
    expect(pipe.text()).toBe("");
    expect(tty.text()).toBe("");
  });
});

describe("output and errors", () => {
  it("--json output writes bigint and typed arrays", () => {
    expect(toJson({ a: 2n ** 64n, b: new BigInt64Array([1n]), c: new Uint16Array([3]) }, 0)).toBe(
      '{"a":"18446744073709551616","b":["1"],"c":[3]}',
    );
  });
});
