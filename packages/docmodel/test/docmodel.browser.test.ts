import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BROWSER_SKIP, type BrowserHarness, startBrowser } from "../../../test/support/browser.js";
import { InMemoryCatalog, type Query, toPlain } from "../src/index.js";
import { filesUid, ingestTiffSeries, readMsgpackFile } from "../src/node.js";
import { type PageArg, tiffFile } from "./browser/catalog.js";
import { summarizeCatalog } from "./browser/summary.js";
import { TESTDATA, readJson } from "./helpers.js";

const SHARED_TESTDATA = join(TESTDATA, "..");
const NAMES = readdirSync(TESTDATA)
  .filter((n) => n.endsWith(".msgpack"))
  .sort();
const { cases } = readJson<{ cases: { query: Query }[] }>("search_cases.json");
const ARG: PageArg = {
  base: "/testdata/docmodel/",
  names: NAMES,
  queries: cases.map((c) => c.query),
  tiff: { count: 4, firstTime: 1559144355 },
};

const tmp = mkdtempSync(join(tmpdir(), "docmodel-browser-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The same work in Node, through the path API. */
async function nodeResult() {
  const catalog = new InMemoryCatalog();
  for (const name of NAMES) await catalog.upsert(readMsgpackFile, [join(TESTDATA, name)]);
  const paths: string[] = [];
  for (let i = 0; i < ARG.tiff.count; i++) {
    const file = tiffFile(i, ARG.tiff.firstTime);
    const path = join(tmp, file.name);
    writeFileSync(path, new Uint8Array(await file.arrayBuffer()));
    utimesSync(path, ARG.tiff.firstTime + i, ARG.tiff.firstTime + i);
    paths.push(path);
  }
  const tiffCatalog = new InMemoryCatalog();
  await tiffCatalog.upsert(ingestTiffSeries, [paths]);
  const tiffRun = await tiffCatalog.run(-1);
  return {
    ...(await summarizeCatalog(catalog, ARG.queries)),
    badUtf8: "DOCS_MSGPACK_BAD_UTF8",
    tiff: {
      uid: filesUid(paths),
      names: [...tiffRun.documents()].map(([n]) => n),
      image: JSON.parse(JSON.stringify(toPlain(tiffRun.stream("primary").read().columns.image))),
    },
  };
}

describe.skipIf(BROWSER_SKIP !== undefined)("docmodel in Chromium (main entry, Files from ../shared/testdata)", () => {
  let harness: BrowserHarness;
  beforeAll(async () => {
    harness = await startBrowser({
      entries: { catalog: join(import.meta.dirname, "browser/catalog.ts") },
      roots: { "/testdata/": SHARED_TESTDATA },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  test("loads the Bluesky msgpack runs, searches a catalog and reads streams exactly as Node; TIFF Files ingest to Node's uid", async () => {
    const [page, node] = await Promise.all([harness.run<Awaited<ReturnType<typeof nodeResult>>>("catalog", ARG), nodeResult()]);
    expect(page.uids).toHaveLength(5);
    expect(page.searches.filter((s) => Array.isArray(s) && s.length > 0).length).toBeGreaterThan(10);
    expect(page.searches).toEqual(node.searches);
    expect(page.reads).toEqual(node.reads);
    expect(JSON.stringify(page.reads).match(/"columns"/g)?.length).toBeGreaterThanOrEqual(5);
    expect(page.uids).toEqual(node.uids);
    expect(page.badUtf8).toBe(node.badUtf8);
    expect(page.tiff).toEqual(node.tiff);
  });
});
