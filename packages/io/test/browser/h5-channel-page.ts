// Runs in the page: fetches files, wraps them in Files and has the channel worker read them.
export async function run(arg: { files: string[]; paths: string[]; readPath?: string }, origin: string) {
  const files: File[] = [];
  for (const url of arg.files) {
    const bytes = new Uint8Array(await (await fetch(`${origin}${url}`)).arrayBuffer());
    files.push(new File([bytes], url.split("/").pop()!));
  }
  const worker = new Worker(`${origin}/bundle/h5-channel-worker.js`, { type: "module" });
  try {
    return await new Promise<unknown>((resolve) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.postMessage({ files, paths: arg.paths, plugins: `${origin}/plugins`, readPath: arg.readPath });
    });
  } finally {
    worker.terminate();
  }
}
