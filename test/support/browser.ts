/**
 * Real-browser test support (issue 13): Debian's Chromium driven by playwright-core, no mocks.
 *
 * - `BROWSER_SKIP`: a reason to skip when `/usr/bin/chromium` is missing locally; `undefined` when the
 *   browser is present **or when `CI=true`** (a missing browser in CI must fail, never skip).
 * - `startBrowser({ entries, roots })`: bundles each entry with esbuild `--platform=browser` into a temp
 *   folder, serves it under `/bundle/` and each of `roots` (URL prefix → folder, with Range support)
 *   from a test-local server on 127.0.0.1, launches Chromium and opens a blank page of that origin.
 *   `run(entry, arg)` imports the bundle in the page and returns the JSON result of its exported
 *   `run(arg, origin)`.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { type Browser, chromium, type Page } from "playwright-core";
import { startStaticServer } from "./static-server.js";

export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Why browser tests skip here, or `undefined` when they must run (browser present, or `CI=true`). */
export const BROWSER_SKIP: string | undefined =
  existsSync(CHROMIUM_PATH) || process.env.CI === "true"
    ? undefined
    : `browser tests skipped: ${CHROMIUM_PATH} is missing (apt-get install -y chromium); under CI=true this is a failure`;

if (BROWSER_SKIP) console.warn(BROWSER_SKIP);

/** Response headers that make a page and its workers cross-origin isolated. */
export const CROSS_ORIGIN_ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
};

export interface BrowserHarness {
  /** The server's origin, e.g. `http://127.0.0.1:40123`. */
  readonly origin: string;
  readonly page: Page;
  /** Import `/bundle/<entry>.js` in the page and return the JSON result of its `run(arg, origin)`. */
  run<T>(entry: string, arg?: unknown): Promise<T>;
  close(): Promise<void>;
}

export async function startBrowser(options: {
  /** Bundle name → entry file (TypeScript), bundled for the browser. */
  readonly entries: Readonly<Record<string, string>>;
  /** URL prefix (`/testdata/`) → folder. */
  readonly roots?: Readonly<Record<string, string>>;
  /** Serve with COOP/COEP so the page and its workers are cross-origin isolated (`SharedArrayBuffer`). */
  readonly crossOriginIsolated?: boolean;
}): Promise<BrowserHarness> {
  const dir = await mkdtemp(join(tmpdir(), "daqkit-browser-"));
  let browser: Browser | undefined;
  const server = await startStaticServer(
    { ...options.roots, "/bundle/": dir },
    { headers: options.crossOriginIsolated ? CROSS_ORIGIN_ISOLATION_HEADERS : undefined },
  );
  try {
    await writeFile(join(dir, "index.html"), "<!doctype html><meta charset=utf-8><title>daqkit</title>");
    for (const [name, entry] of Object.entries(options.entries)) {
      await build({
        entryPoints: [entry],
        outfile: join(dir, `${name}.js`),
        bundle: true,
        platform: "browser",
        format: "esm",
        conditions: ["@daqkit/source"],
        logLevel: "silent",
      });
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ["--no-sandbox", "--enable-unsafe-swiftshader", "--use-angle=swiftshader"],
    });
    const page = await browser.newPage();
    await page.goto(`${server.origin}/bundle/index.html`);
    const opened = browser;
    return {
      origin: server.origin,
      page,
      // A string, not a function: vitest rewrites `import()` inside functions it transforms.
      run: <T>(entry: string, arg?: unknown) =>
        page
          .evaluate(
            `import(${JSON.stringify(`${server.origin}/bundle/${entry}.js`)}).then(async (m) => JSON.stringify(await m.run(${JSON.stringify(arg ?? null)}, ${JSON.stringify(server.origin)})))`,
          )
          .then((json) => JSON.parse(json as string) as T),
      async close() {
        await opened.close();
        await server.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await browser?.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
