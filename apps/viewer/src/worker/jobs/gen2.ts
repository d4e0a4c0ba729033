// gen2 night jobs (run in the worker): scan a folder of `.bin` files, count photons per file.
import { BinSourceDirectory, type Gen2ScannedFile, inferGen2EpochYear, iterateGen2Batches } from "@daqkit/gen2-bin";
import { gen2UsToDate } from "@daqkit/timestamps";
import { type DirRef, openDirRef } from "../../input.js";
import type { JobContext, JobHandler } from "../protocol.js";

export interface Gen2FileInfo {
  readonly path: string;
  readonly name: string;
  readonly size: number;
  readonly board: number;
  readonly startUs: number;
  readonly stopUs: number;
  readonly year: number | null;
  readonly startUtc: string | null;
  readonly stopUtc: string | null;
}

export interface Gen2ScanResult {
  readonly files: Gen2FileInfo[];
  readonly skipped: { path: string; reason: string }[];
  /** Header-epoch year (inferred from `<unix second>.bin` names), or null when unknown. */
  readonly year: number | null;
}

const nights = new Map<string, { key: DirRef; dir: Promise<BinSourceDirectory> }>();

/** The night of a ref, opened once per worker. */
export function openNight(ref: DirRef, path: string): Promise<BinSourceDirectory> {
  const key = `${ref.kind}:${ref.name}:${path}`;
  let hit = nights.get(key);
  if (!hit || hit.key !== ref) {
    const dir = (async () => {
      const root = await openDirRef(ref);
      const source =
        path === ""
          ? root
          : {
              name: `${root.name}/${path}`,
              list: (o?: { recursive?: boolean; under?: string }) =>
                root
                  .list({ ...o, under: o?.under ? `${path}/${o.under}` : path })
                  .then((es) => es.map((e) => ({ ...e, path: e.path.slice(path.length + 1) }))),
              open: (p: string) => root.open(`${path}/${p}`),
            };
      return BinSourceDirectory.open(source);
    })();
    hit = { key: ref, dir };
    nights.set(key, hit);
    dir.catch(() => nights.delete(key));
  }
  return hit.dir;
}

function yearOf(files: readonly Gen2ScannedFile[]): number | null {
  for (const f of files) {
    const y = inferGen2EpochYear(f.name, f.firstHeader);
    if (y !== undefined) return y;
  }
  return null;
}

export function utc(us: number, year: number | null): string | null {
  if (year === null) return null;
  return gen2UsToDate(us, year).toISOString().replace(/Z$/, "").replace("T", " ");
}

const scan: JobHandler = async (args: { ref: DirRef; path: string }): Promise<Gen2ScanResult> => {
  const night = await openNight(args.ref, args.path);
  const year = yearOf(night.files);
  return {
    year,
    files: night.files.map((f) => ({
      path: f.path,
      name: f.name,
      size: f.size,
      board: f.firstHeader.board,
      startUs: f.range.startUs,
      stopUs: f.range.stopUs,
      year,
      startUtc: utc(f.range.startUs, year),
      stopUtc: utc(f.range.stopUs, year),
    })),
    skipped: night.skipped.map((s) => ({ path: s.path, reason: s.reason })),
  };
};

/** Photons per file (packed + wide), decoding every file in turn. */
const count: JobHandler = async (args: { ref: DirRef; path: string }, ctx: JobContext) => {
  const night = await openNight(args.ref, args.path);
  const root = await openDirRef(args.ref);
  const totalBytes = night.files.reduce((s, f) => s + f.size, 0);
  let doneBytes = 0;
  const photons: number[] = [];
  let header = null as Gen2ScannedFile["lastHeader"] | null;
  for (const f of night.files) {
    const source = await root.open(args.path ? `${args.path}/${f.path}` : f.path);
    let n = 0;
    try {
      for await (const batch of iterateGen2Batches(source, { header, batchBytes: 8 << 20 })) {
        n = batch.stats.photons + batch.stats.widePhotons;
        ctx.progress(doneBytes + batch.byteOffset, totalBytes, f.name);
      }
    } finally {
      await source.close?.();
    }
    photons.push(n);
    doneBytes += f.size;
    header = f.lastHeader;
  }
  return { photons, total: photons.reduce((a, b) => a + b, 0) };
};

export const gen2Jobs: Record<string, JobHandler> = { "gen2.scan": scan, "gen2.count": count };
