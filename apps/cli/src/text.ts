/** Text helpers shared by the commands' human-readable output. */

/**
 * The first `max` of `items` (formatted by `format`), then one `… N more` line when some were left out.
 * Every truncated list in text output says how many it leaves out, in this form.
 */
export function truncatedLines<T>(items: readonly T[], max: number, format: (item: T) => string = String): string[] {
  const shown = items.slice(0, max).map(format);
  if (items.length > max) shown.push(`… ${items.length - max} more`);
  return shown;
}

/** Like {@link truncatedLines}, joined into one line: `a, b, c, … 4 more`. */
export function truncatedList<T>(items: readonly T[], max: number, format: (item: T) => string = String): string {
  return truncatedLines(items, max, format).join(", ");
}
