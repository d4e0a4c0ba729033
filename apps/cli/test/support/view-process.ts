import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

/** The built CLI (`pnpm test` builds first), as users run it. */
export const CLI_BIN = join(import.meta.dirname, "../../dist/index.js");

export interface ViewProcess {
  readonly child: ChildProcess;
  /** The page URL printed by `daqkit view` (`http://127.0.0.1:PORT/?token=…&path=`). */
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  /** Everything it printed on stderr so far. */
  stderr(): string;
  /** Send SIGINT and wait for the exit code. */
  stop(): Promise<number | null>;
}

/** Start `daqkit --json view PATH --no-open --port 0 [extra…]` and wait for its JSON line with the URL. */
export async function startView(path: string, extra: readonly string[] = []): Promise<ViewProcess> {
  const child = spawn(process.execPath, [CLI_BIN, "--json", "view", path, "--no-open", "--port", "0", ...extra], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daqkit view printed no URL within 30 s: ${stdout} ${stderr}`)), 30_000);
    child.stdout!.on("data", (b: Buffer) => {
      stdout += b.toString();
      try {
        const doc = JSON.parse(stdout) as { url?: string };
        if (doc.url) {
          clearTimeout(timer);
          resolve(doc.url);
        }
      } catch {
        // not complete yet
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`daqkit view exited with ${code}: ${stderr}`));
    });
  });
  const parsed = new URL(url);
  return {
    child,
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get("token") ?? "",
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill("SIGINT");
      return exited;
    },
  };
}
