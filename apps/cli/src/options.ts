/**
 * Option parsers shared by the commands.
 *
 * A repeatable option takes exactly one value per use (`--cut A --cut B`), never a variadic `<v...>`:
 * a variadic option swallows the positional arguments that follow it (`--cut X CONFIG`).
 */

/** Commander argParser for a repeatable option: collects one value per use, in order. */
export function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
