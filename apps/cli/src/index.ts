#!/usr/bin/env node
import { runShardChild, shouldReexecShard } from "./shard-reexec.js";

// A shard of a sharded command does its work in a child process under --single-threaded-gc (src/shard-reexec.ts).
const args = process.argv.slice(2);
let code: number | undefined;
if (shouldReexecShard(args, process.env, process.execArgv)) {
  code = await runShardChild(new URL(import.meta.url), args).catch(() => undefined);
}
if (code === undefined) {
  await import("./v8-tuning.js");
  const { runCli } = await import("./program.js");
  code = await runCli(process.argv);
}
process.exitCode = code;
