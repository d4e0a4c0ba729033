/** Blosc decoding on worker_threads (Node only): the Node counterpart of `sharedWebBloscPool`. */
import { defaultWorkerCount, nodeWorkerFactory } from "@daqkit/io/node";
import { type BloscDecodePool, bloscWorkerBody, createBloscDecodePool, SHARED_POOL_MAX_WORKERS } from "./blosc-workers.js";

let nodePool: BloscDecodePool | undefined;

/**
 * The process-wide pool of worker threads decoding Blosc chunks: `min(4, available cores)`
 * workers, or `undefined` with a single core. Idle workers do not keep the process alive.
 */
export function sharedNodeBloscPool(): BloscDecodePool | undefined {
  if (nodePool && !nodePool.usable) nodePool = undefined;
  if (!nodePool) {
    const source = `${bloscWorkerBody()}\nconst { parentPort } = require("node:worker_threads");\nparentPort.on("message", (message) => handle(message, (reply, transfer) => parentPort.postMessage(reply, transfer)));\n`;
    nodePool = createBloscDecodePool(nodeWorkerFactory(source, { eval: true }), defaultWorkerCount(SHARED_POOL_MAX_WORKERS));
  }
  return nodePool;
}
