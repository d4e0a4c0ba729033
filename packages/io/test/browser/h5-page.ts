// Runs in the page: hands a File to the h5 worker and returns what it read; also checks that the
// main thread refuses openBlob with IO_UNSUPPORTED and reads the same values through openBytes.
import { loadH5Runtime } from "../../src/index.js";

export async function run(arg: { file: string; path: string }, origin: string) {
  const bytes = new Uint8Array(await (await fetch(`${origin}${arg.file}`)).arrayBuffer());
  const file = new File([bytes], arg.file.split("/").pop()!);
  const worker = new Worker(`${origin}/bundle/h5-worker.js`, { type: "module" });
  const fromWorker = await new Promise<unknown>((resolve) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.postMessage({ file, path: arg.path, plugins: `${origin}/plugins` });
  });
  worker.terminate();
  const rt = await loadH5Runtime({ pluginBaseUrl: `${origin}/plugins` });
  let mainBlob = "";
  try {
    rt.openBlob(file);
  } catch (e) {
    mainBlob = (e as { code: string }).code;
  }
  const opened = rt.openBytes(bytes, file.name);
  const mainValues = Array.from((opened.file.get(arg.path) as { value: ArrayLike<number | bigint> }).value, Number);
  opened.close();
  return { fromWorker, mainBlob, mainValues };
}
