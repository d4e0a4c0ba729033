import { runCli } from "../src/program.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `daqkit ARGS…` in-process (from source, no build needed) and capture its output.
 * Example: `const r = await daqkit("time", "key", "20220716T130443Z")`.
 */
export async function daqkit(...args: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(["node", "daqkit", ...args], {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}
