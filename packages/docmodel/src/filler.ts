import type { DataKey, Datum, Event, EventDescriptor, Resource } from "./documents.js";
import { DocModelError } from "./errors.js";

/**
 * An asset handler (upstream "handler class"): constructed per Resource from the full path (`root` — possibly
 * remapped — joined with `resource_path`) and `resource_kwargs`, then called once per datum with `datum_kwargs`.
 */
export type AssetHandler = (fullPath: string, resourceKwargs: Record<string, unknown>) => (datumKwargs: Record<string, unknown>) => unknown;

/** Handlers by Resource `spec` (e.g. `{ AD_TIFF: … }`). */
export type HandlerRegistry = Readonly<Record<string, AssetHandler>>;

/** Options for filling external data. */
export interface FillOptions {
  handlers?: HandlerRegistry;
  /** Replace a Resource `root` by a local mount point. */
  rootMap?: Readonly<Record<string, string>>;
}

/** Keys of an Event that still hold datum ids (spec §4 Filler). */
export function unfilledKeys(event: Event, dataKeys: Record<string, DataKey>): string[] {
  const out: string[] = [];
  if (event.filled && Object.keys(event.filled).length > 0) {
    for (const k in event.filled) if (event.filled[k] === false) out.push(k);
    return out;
  }
  if (event.filled === undefined) {
    for (const k in event.data) {
      const ext = dataKeys[k]?.external;
      if (ext !== undefined && ext !== "STREAM:") out.push(k);
    }
  }
  return out;
}

/** Loads external data for Events (upstream `Filler`), caching one handler per Resource. */
export class Filler {
  private readonly handlers: HandlerRegistry;
  private readonly rootMap: Readonly<Record<string, string>>;
  private readonly instances = new Map<string, (kwargs: Record<string, unknown>) => unknown>();

  constructor(
    private readonly lookupDatum: (datumId: string) => Datum | undefined,
    private readonly lookupResource: (uid: string) => Resource | undefined,
    options: FillOptions = {},
  ) {
    this.handlers = options.handlers ?? {};
    this.rootMap = options.rootMap ?? {};
  }

  /**
   * A filled copy of `event` (data[key] = loaded value, filled[key] = datum id); the event itself if nothing is
   * external.
   * @throws DocModelError `DOCS_UNRESOLVABLE_FOREIGN_KEY` (unknown datum/resource), `DOCS_UNDEFINED_ASSET_SPEC`
   */
  fill(event: Event, descriptor: EventDescriptor): Event {
    const keys = unfilledKeys(event, descriptor.data_keys);
    if (keys.length === 0) return event;
    const data = { ...event.data };
    const filled = { ...(event.filled ?? {}) };
    for (const k of keys) {
      const datumId = String(data[k]);
      const datum = this.lookupDatum(datumId);
      if (!datum) {
        throw new DocModelError(
          "DOCS_UNRESOLVABLE_FOREIGN_KEY",
          `docmodel: no datum ${JSON.stringify(datumId)} for key ${k} of event ${event.uid}`,
        );
      }
      data[k] = this.handlerFor(datum.resource)(datum.datum_kwargs);
      filled[k] = datumId;
    }
    return { ...event, data, filled };
  }

  private handlerFor(resourceUid: string): (kwargs: Record<string, unknown>) => unknown {
    const cached = this.instances.get(resourceUid);
    if (cached) return cached;
    const resource = this.lookupResource(resourceUid);
    if (!resource) {
      throw new DocModelError("DOCS_UNRESOLVABLE_FOREIGN_KEY", `docmodel: no resource ${JSON.stringify(resourceUid)}`);
    }
    const make = this.handlers[resource.spec];
    if (!make) {
      throw new DocModelError(
        "DOCS_UNDEFINED_ASSET_SPEC",
        `docmodel: no handler registered for resource spec ${JSON.stringify(resource.spec)} (resource ${resource.uid})`,
      );
    }
    const root = this.rootMap[resource.root] ?? resource.root;
    const sep = resource.path_semantics === "windows" ? "\\" : "/";
    const fullPath = root === "" ? resource.resource_path : `${root.replace(/[/\\]+$/, "")}${sep}${resource.resource_path}`;
    const h = make(fullPath, resource.resource_kwargs);
    this.instances.set(resourceUid, h);
    return h;
  }
}
