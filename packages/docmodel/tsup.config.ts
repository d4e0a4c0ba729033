import { defineConfig } from "tsup";
import shared from "../../tsup.shared.js";

/**
 * Built JavaScript is pure ASCII. V8 keeps a module's source text in memory for as long as the module lives, as a
 * one-byte string when every character is Latin-1 and as a two-byte string otherwise: one `→` in a doc comment that
 * esbuild keeps doubled the ≈ 460 KB shared chunk (issue 17: ≈ 1 MiB of the resident memory of every process that
 * imports docmodel). esbuild already escapes non-ASCII characters in strings, templates, regular expressions and
 * identifiers (`charset: "ascii"`); what could be left is in comments esbuild keeps (legal comments: the build below
 * drops all others), written as `\uXXXX` text there (the same escape would also mean the same character anywhere
 * else, so the rewrite cannot change what the code does).
 */
const asciiOutput = {
  name: "ascii-output",
  esbuildOptions(options: { charset?: string }) {
    options.charset = "ascii";
  },
  renderChunk(code: string) {
    if (!/[^\x00-\x7f]/.test(code)) return undefined;
    return { code: code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) };
  },
};

/*
 * The shared configuration plus the Node-only entry point `@daqkit/docmodel/node`, with the whitespace and comments
 * left out of the built JavaScript (names are kept, so stack traces still name functions; the source maps map it back
 * to src/). V8 holds every module's source text and scans it again when a function is first compiled: the comments
 * and indentation were half of the ≈ 460 KB shared chunk and cost ≈ 1.5 MiB of resident memory in a process that
 * reads a run (issue 17, measured with `process.resourceUsage().maxRSS` around `loadMsgpackRun(file).stream().read()`).
 */
export default defineConfig({
  ...(shared as object),
  entry: ["src/index.ts", "src/node.ts"],
  minifyWhitespace: true,
  plugins: [asciiOutput],
});
