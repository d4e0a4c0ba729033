import type { FileDb } from "@daqkit/filedb";
import type { TableId } from "./cycle-source.js";
import { LoaderError } from "./errors.js";
import type { FileCatalog } from "./lh5-cycle.js";

/**
 * A {@link FileCatalog} over a `@daqkit/filedb` FileDb. The FileDb's table/column scan
 * (`scanTablesColumns`) runs lazily the first time table ids are needed, as pygama's loader does.
 */
export function fileDbCatalog(db: FileDb): FileCatalog {
  let scanning: Promise<void> | null = null;
  const ensureTables = async (): Promise<void> => {
    if (db.hasTables) return;
    const scan = (db as unknown as { scanTablesColumns?: () => unknown }).scanTablesColumns;
    if (typeof scan !== "function") {
      throw new LoaderError("LOADER_BAD_ARGUMENT", "loader: the FileDB has no table/column information and cannot scan for it");
    }
    // One scan for concurrent callers; a later call scans again if the information was dropped
    // meanwhile (FileDb.setConfig with a new table template).
    scanning ??= Promise.resolve(scan.call(db)).then(() => undefined);
    const running = scanning;
    try {
      await running;
    } finally {
      if (scanning === running) scanning = null;
    }
  };
  return {
    get size() {
      return db.length;
    },
    get tiers() {
      return db.tiers;
    },
    tierPath: (fileIndex, tier) => db.filePath(fileIndex, tier),
    tierExists: (fileIndex, tier) => db.fileExists(fileIndex, tier),
    openTier: (fileIndex, tier, options) => db.openFile(fileIndex, tier, options),
    tierSize: (fileIndex, tier) => db.state.sizes.get(tier)?.[fileIndex],
    async tierTables(fileIndex, tier) {
      if (!db.tiers.includes(tier)) return null;
      await ensureTables();
      return db.getTables(fileIndex, tier);
    },
    async tableColumns(fileIndex, tier, table) {
      if (!db.tiers.includes(tier)) return null;
      await ensureTables();
      const tables = db.getTables(fileIndex, tier);
      if (tables === null || !tables.some((t) => String(t) === String(table))) return null;
      return db.getTableColumns(table, tier, fileIndex);
    },
    tableName: (tier, table: TableId) => db.getTableName(tier, table),
    tableField: (tier) => {
      const tpl = db.resolved.tableTemplates[tier];
      return tpl?.fields[0]?.name;
    },
    select: (query) => Array.from(db.query(query)),
    columnValues: (name) => {
      const out: unknown[] = [];
      for (let i = 0; i < db.length; i++) out.push(db.keysOf(i)[name]);
      return out;
    },
  };
}
