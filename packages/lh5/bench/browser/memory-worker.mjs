// Web Worker of browser-memory.bench.mjs: opens the posted File with @daqkit/lh5's main entry
// (read in place: the shared channel on an isolated page, WORKERFS elsewhere) and reads one column,
// with `readObjectAsync` (windows, the event loop turning between them) or, with `sync`, one
// `readObject`; keeps the column alive until told to stop so that the measurement after the read still
// sees it, or (`transfer`) posts it to the page as a transfer.
import { h5BlobChannelUnavailable, loadH5Runtime } from "@daqkit/io";
import { openLh5 } from "@daqkit/lh5";

let kept;
let wasmMemory;
self.onmessage = async (e) => {
  const msg = e.data;
  try {
    if (msg.op === "load") {
      const runtime = await loadH5Runtime({ pluginBaseUrl: msg.plugins });
      wasmMemory = runtime.h5.Module.HEAPU8.buffer;
      self.postMessage({ op: "loaded", wasm: runtime.h5.Module.HEAPU8.buffer.byteLength });
    } else if (msg.op === "read") {
      const runtime = await loadH5Runtime();
      const f = await openLh5(msg.file, { runtime });
      const t0 = performance.now();
      try {
        kept = msg.sync
          ? f.readObject(msg.column)
          : await f.readObjectAsync(msg.column, msg.windowBytes ? { windowBytes: msg.windowBytes } : {});
      } finally {
        f.close();
      }
      const ms = performance.now() - t0;
      let sum = 0;
      for (let i = 0; i < kept.data.length; i += 4096) sum += kept.data[i];
      const result = {
        op: "read",
        bytes: kept.data.byteLength,
        length: kept.data.length,
        sum,
        ms,
        wasm: runtime.h5.Module.HEAPU8.buffer.byteLength,
        readPath: h5BlobChannelUnavailable() === undefined ? "shared channel" : `WORKERFS (${h5BlobChannelUnavailable()})`,
        api: msg.sync ? "readObject" : "readObjectAsync",
      };
      if (msg.transfer) {
        // The page gets the column's buffer itself (moved, not copied); the worker keeps nothing.
        const column = kept.data;
        kept = undefined;
        self.postMessage({ ...result, column }, [column.buffer]);
      } else self.postMessage(result);
    } else if (msg.op === "drop") {
      kept = undefined;
      self.postMessage({ op: "dropped", wasm: wasmMemory?.byteLength });
    }
  } catch (error) {
    self.postMessage({ op: "error", error: `${error?.code}: ${error?.message}` });
  }
};
