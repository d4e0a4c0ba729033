// `node --import ./trace-imports.mjs …`: appends the URL of every module the program resolves to the file named
// by DAQKIT_TRACE_IMPORTS (one per line). Used to check which packages a command loads, never how long it takes.
import { register } from "node:module";

register(
  `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (process.env.DAQKIT_TRACE_IMPORTS) appendFileSync(process.env.DAQKIT_TRACE_IMPORTS, result.url + "\\n");
  return result;
}
`)}`,
);
