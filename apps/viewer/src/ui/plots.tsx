// Pictures. The drawing code (./vis.tsx: h5web's visualization components, three.js,
// react-three-fiber) is most of the app's bytes, so it is a chunk of its own, loaded on demand: the
// app shell starts (lists, detects, starts the panel's worker) without compiling it, and
// `preloadPlots` fetches it while the worker reads the data (issue 16).
import { type ComponentProps, type ComponentType, lazy, type ReactNode, Suspense, useEffect, useState } from "react";
import { codedError, ErrorBox } from "./job.js";
import type * as Vis from "./vis.js";

export type { HistogramData } from "./vis.js";

let loading: Promise<typeof Vis> | undefined;
/** The plotting code once loaded: plots mounted after that render it at once, not through `lazy`. */
let loaded: typeof Vis | undefined;

/** Start loading the plotting code (once; again after a failed load). Call it when an input opens. */
export function preloadPlots(): Promise<typeof Vis> {
  loading ??= import("./vis.js").then(
    (m) => {
      loaded = m;
      return m;
    },
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

/**
 * The plotting code if it has loaded when a plot mounts (kept for the plot's life, so that it never
 * switches between the two forms): then the plot renders in the same pass, where `lazy` would first
 * commit the fallback and render again once its promise settles (issue 16: one frame and one render
 * fewer between the gen2 result and its count image).
 */
function useLoaded(): typeof Vis | undefined {
  return useState(() => loaded)[0];
}

/** The last failure to load the plotting code (shown by {@link PlotsFailed}). */
let loadError: unknown;

/** In place of a plot whose code failed to load: the coded error. */
function PlotsFailed() {
  return <ErrorBox error={{ code: "VIEW_PLOTS_LOAD", message: `view: loading the plotting code failed: ${codedError(loadError).message}` }} />;
}

/** `React.lazy`'s loader for one component of ./vis.tsx. */
function load<P>(pick: (m: typeof Vis) => ComponentType<P>): () => Promise<{ default: ComponentType<P> }> {
  return () =>
    preloadPlots().then(
      (m) => ({ default: pick(m) }),
      (error: unknown) => {
        loadError = error;
        return { default: PlotsFailed as ComponentType<P> };
      },
    );
}

function Pending() {
  return <div className="plot muted">Loading the plot…</div>;
}

const LazyHeatmap = lazy(load((m) => m.Heatmap));
const LazyLine = lazy(load((m) => m.Line));
const LazyHistogram = lazy(load((m) => m.Histogram));

/** A 2-D count image (`values[y * width + x]`), x to the right and y up (./vis.tsx). */
export function Heatmap(props: ComponentProps<typeof Vis.Heatmap>) {
  const vis = useLoaded();
  if (vis) return <vis.Heatmap {...props} />;
  return (
    <Suspense fallback={<Pending />}>
      <LazyHeatmap {...props} />
    </Suspense>
  );
}

/** One or more curves over a common x axis (./vis.tsx). */
export function Line(props: ComponentProps<typeof Vis.Line>) {
  const vis = useLoaded();
  if (vis) return <vis.Line {...props} />;
  return (
    <Suspense fallback={<Pending />}>
      <LazyLine {...props} />
    </Suspense>
  );
}

/** A histogram drawn as steps (./vis.tsx). */
export function Histogram(props: ComponentProps<typeof Vis.Histogram>) {
  const vis = useLoaded();
  if (vis) return <vis.Histogram {...props} />;
  return (
    <Suspense fallback={<Pending />}>
      <LazyHistogram {...props} />
    </Suspense>
  );
}

/**
 * Mount `children` one after another, each in its own task, so that creating several WebGL plots at
 * once does not block the page for the sum of their set-up times.
 */
export function Staggered({ children }: { children: ReactNode[] }) {
  const [shown, setShown] = useState(1);
  useEffect(() => {
    if (shown >= children.length) return;
    const t = setTimeout(() => setShown((n) => n + 1), 0);
    return () => clearTimeout(t);
  }, [shown, children.length]);
  return <>{children.slice(0, shown)}</>;
}
