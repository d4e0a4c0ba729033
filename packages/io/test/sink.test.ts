import { describe, expect, it } from "vitest";
import { MemorySink, pipeToSink } from "../src/index.js";

describe("MemorySink", () => {
  it("collects chunks into bytes and a Blob once closed", async () => {
    const sink = new MemorySink();
    const chunk = new Uint8Array([1, 2]);
    await sink.write(chunk);
    chunk[0] = 9; // the sink keeps its own copy
    await sink.write(new Uint8Array([3]));
    expect(() => sink.bytes()).toThrow(expect.objectContaining({ code: "IO_FAILED" }));
    await sink.close();
    expect([...sink.bytes()]).toEqual([1, 2, 3]);
    const blob = sink.blob("application/vnd.apache.parquet");
    expect(blob.type).toBe("application/vnd.apache.parquet");
    expect([...new Uint8Array(await blob.arrayBuffer())]).toEqual([1, 2, 3]);
  });

  it("pipeToSink aborts on a throwing source: no output", async () => {
    const sink = new MemorySink();
    function* failing() {
      yield new Uint8Array(10);
      throw new Error("source broke");
    }
    await expect(pipeToSink(failing(), sink)).rejects.toThrow("source broke");
    expect(sink.state).toBe("aborted");
    expect(() => sink.bytes()).toThrow(expect.objectContaining({ code: "IO_FAILED" }));
    await expect(sink.write(new Uint8Array(1))).rejects.toMatchObject({ code: "IO_FAILED" });
  });
});
