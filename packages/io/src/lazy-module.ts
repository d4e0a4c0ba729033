/**
 * A module imported on first use and then kept: `import()` per call costs a module-loader round
 * trip every time (a resolve, a job lookup, a promise), and with module customization hooks
 * registered (`module.register`: test runners, TypeScript loaders, `pnpm bench --baseline`'s
 * resolve hook) a message to the hooks thread and back — per call. Code that imports per file or
 * per chunk (the FileDB table scan, the loader's workers, strax codecs) keeps the module instead.
 */
export interface LazyModule<T> {
  /** The module once loaded, else undefined (callers then `await load()`). */
  readonly loaded: T | undefined;
  /** Import the module (once; a failed import is tried again on the next call). */
  load(): Promise<T>;
}

/** A {@link LazyModule} over `importer` (e.g. `() => import("apache-arrow")`). */
export function lazyModule<T>(importer: () => Promise<T>): LazyModule<T> {
  let loaded: T | undefined;
  let loading: Promise<T> | undefined;
  return {
    get loaded() {
      return loaded;
    },
    load() {
      if (loaded !== undefined) return Promise.resolve(loaded);
      loading ??= importer().then(
        (module) => {
          loaded = module;
          return module;
        },
        (error: unknown) => {
          loading = undefined;
          throw error;
        },
      );
      return loading;
    },
  };
}
