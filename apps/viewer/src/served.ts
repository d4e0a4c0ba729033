/**
 * The `daqkit view` listing of a served page (see README "Opening data"), fetched once: by the
 * bootstrap (./early.ts) before the app loads, then taken by `openServed` (./input.ts). Small and
 * free of @daqkit/io, so the app's entry can start the listing request before React and the formats
 * load (issue 16).
 */
import type { DirRef } from "./input.js";

/** A viewer-level coded error (listing, detection). */
export class ViewerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ViewerError";
  }
}

/** What the listing of a served page says: its ref (posted to workers), name, entries, and the file to select. */
export interface ServedListing {
  readonly name: string;
  readonly ref: DirRef & { kind: "http" };
  /** The listing's entries as sent (paths relative to the listed folder). */
  readonly entries: readonly { readonly path: string; readonly kind: string }[];
  /** The entry the URL names, when it names a file. */
  readonly initialPath: string | undefined;
}

/** True when the page URL is a served one (`?token=`). */
export function isServedUrl(href: string): boolean {
  return new URL(href).searchParams.has("token");
}

/**
 * Fetch and read the listing of a served page URL `/?token=T&path=REL`: `GET /api/T/list?path=REL`.
 * `VIEW_LISTING` for an error status; when REL names a file, the listing is of its folder (`dir`).
 * Undefined for a URL without a token.
 */
export async function fetchServedListing(href: string): Promise<ServedListing | undefined> {
  const url = new URL(href);
  const token = url.searchParams.get("token");
  if (!token) return undefined;
  const rel = (url.searchParams.get("path") ?? "").replace(/^\/+|\/+$/g, "");
  const enc = (p: string) => p.split("/").filter(Boolean).map(encodeURIComponent).join("/");
  const listingUrl = `${url.origin}/api/${encodeURIComponent(token)}/list?path=${encodeURIComponent(rel)}`;
  const response = await fetch(listingUrl);
  if (!response.ok) throw new ViewerError("VIEW_LISTING", `view: ${listingUrl}: HTTP ${response.status} for the listing`);
  const text = await response.text();
  const listing = JSON.parse(text) as { entries?: { path?: string; kind?: string }[]; dir?: string };
  const dir = typeof listing.dir === "string" ? listing.dir.replace(/^\/+|\/+$/g, "") : rel;
  const base = `${url.origin}/data/${encodeURIComponent(token)}/${dir ? `${enc(dir)}/` : ""}`;
  const name = (dir ? dir.split("/").pop()! : "") || "served";
  const entries = Array.isArray(listing.entries)
    ? listing.entries.filter((e) => typeof e?.path === "string").map((e) => ({ path: e.path!, kind: String(e.kind) }))
    : [];
  return {
    name,
    ref: { kind: "http", name, base, listingUrl, listingText: text },
    entries,
    initialPath: dir !== rel ? rel.slice(dir ? dir.length + 1 : 0) : undefined,
  };
}

let early: { href: string; listing: Promise<ServedListing | undefined> } | undefined;

/** Start fetching the listing of the served page `href` now (the bootstrap); `openServed` takes it. */
export function prefetchServedListing(href: string): Promise<ServedListing | undefined> {
  const listing = fetchServedListing(href);
  // (a failure is shown by openServed, which awaits it again)
  listing.catch(() => undefined);
  early = { href, listing };
  return listing;
}

/** The listing fetched ahead for `href` (once), else a fresh fetch. */
export function servedListing(href: string): Promise<ServedListing | undefined> {
  const e = early;
  early = undefined;
  return e && e.href === href ? e.listing : fetchServedListing(href);
}
