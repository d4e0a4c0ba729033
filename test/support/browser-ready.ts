/**
 * The packages whose main entry still imports Node built-ins (not migrated onto `@daqkit/io` yet).
 * test/browser-bundle.test.ts asserts that they *still* fail to bundle for a browser, so migrating one
 * makes it fail until the package is removed here: the set can only shrink. test/consumer.test.ts
 * leaves them out of its Vite page.
 */
export const NOT_YET_BROWSER: ReadonlySet<string> = new Set(["@daqkit/gen2-bin"]);
