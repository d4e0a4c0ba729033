import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { IoError } from "@daqkit/io";
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { CliUsageError } from "../errors.js";
import { startViewServer } from "../view/server.js";

/**
 * The built viewer: `dist/viewer` beside the bundled CLI (what the published package ships), or, when the CLI
 * runs from source (tests), apps/cli/dist/viewer or apps/viewer/dist of the checkout.
 */
export function findViewerDir(): string | undefined {
  const candidates = ["./viewer/", "../../dist/viewer/", "../../../viewer/dist/"].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  return candidates.find((dir) => existsSync(resolve(dir, "index.html")));
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535)
    throw new CliUsageError(`--port must be a port number 0…65535, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** Try to open `url` in the desktop's browser; any failure (no opener, no display) is ignored. */
function openBrowser(url: string): void {
  const [command, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", url]]
        : ["xdg-open", [url]];
  try {
    const child = spawn(command, args as string[], { stdio: "ignore", detached: true });
    child.on("error", () => undefined);
    child.unref();
  } catch {
    // No browser: the URL is printed anyway.
  }
}

/** Resolve when the process gets SIGINT or SIGTERM (the handlers are removed again). */
function untilInterrupted(): Promise<string> {
  return new Promise((resolvePromise) => {
    const done = (signal: string) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolvePromise(signal);
    };
    const onInt = () => done("SIGINT");
    const onTerm = () => done("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
  });
}

/** `daqkit view PATH`: serve the viewer and PATH (read-only, token-guarded) on localhost until Ctrl-C. */
export function registerViewCommand(program: Command, getContext: () => CliContext): void {
  program
    .command("view")
    .description("open a file or folder of any daqkit format in the browser viewer (a local read-only server; Ctrl-C stops it)")
    .argument("<path>", "file or folder to serve (nothing outside it can be read)")
    .option("--port <n>", "port to listen on (default: any free port)", parsePort)
    .option("--host <h>", "interface to bind (default 127.0.0.1; another value exposes PATH to that network)")
    .option("--no-open", "only print the URL, do not start a browser")
    .action(async (path: string, opts: { port?: number; host?: string; open: boolean }) => {
      const ctx = getContext();
      try {
        await stat(path);
      } catch {
        throw new IoError("IO_NOT_FOUND", `view: ${path}: no such file or folder`, { path });
      }
      const viewerDir = findViewerDir();
      let server: Awaited<ReturnType<typeof startViewServer>>;
      try {
        server = await startViewServer({ root: path, viewerDir, host: opts.host, port: opts.port });
      } catch (cause) {
        const code = (cause as { code?: unknown }).code;
        if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
          throw new IoError("IO_FAILED", `view: cannot listen on ${opts.host ?? "127.0.0.1"}:${opts.port ?? 0} (${String(code)})`, {
            cause,
          });
        }
        throw cause;
      }
      ctx.print({ url: server.url, host: server.host, port: server.port, path: resolve(path), viewer: viewerDir !== undefined }, () =>
        [
          `daqkit view: serving ${resolve(path)} (read-only)`,
          `  ${server.url}`,
          ...(viewerDir === undefined ? ["  (the viewer is not built into this CLI: only the data routes answer)"] : []),
          "Press Ctrl-C to stop.",
        ].join("\n"),
      );
      if (opts.open) openBrowser(server.url);
      await untilInterrupted();
      await server.close();
    });
}
