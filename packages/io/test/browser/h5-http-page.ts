// Runs in the page: hands a URL to the h5-http worker and returns what it read; also checks that
// the page's main thread refuses openH5Url with IO_UNSUPPORTED.
import { loadH5Runtime, openH5Url } from "../../src/index.js";

export async function run(arg: { file: string; path: string }, origin: string) {
  const worker = new Worker(`${origin}/bundle/h5-http-worker.js`, { type: "module" });
  const fromWorker = await new Promise<unknown>((resolve) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.postMessage({
      url: `${origin}${arg.file}`,
      missing: `${origin}/testdata/no-such-file.h5`,
      path: arg.path,
      plugins: `${origin}/plugins`,
    });
  });
  worker.terminate();
  const rt = await loadH5Runtime({ pluginBaseUrl: `${origin}/plugins` });
  let mainThread = "";
  try {
    openH5Url(rt, `${origin}${arg.file}`);
  } catch (e) {
    mainThread = (e as { code: string }).code;
  }
  return { fromWorker, mainThread };
}
