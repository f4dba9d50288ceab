import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Client, createClient, type InStatement, type TransactionMode } from "@libsql/client";
import { migrate } from "drizzle-orm/libsql/migrator";
import { type WorkerCatalogWrites, workerCatalogWrites } from "./catalog-writes-node.ts";
import { type Db, dbFromLibsql } from "./client.ts";

export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../migrations");

export interface NodeCatalog {
  db: Db;
  client: Client;
  /** An embedded file's thread for catalog chunks (docs/adr/0029); absent for remote libSQL. */
  writes?: WorkerCatalogWrites;
}

const BUSY_TIMEOUT_MS = 5000;

/** The page cache of each connection to an embedded catalog, in KiB: the indexes stay in memory. */
const CACHE_KIB = 65_536;

/** Opens the catalog on Node: an embedded file (default) or a remote libSQL server. */
export function openCatalog(url: string, authToken?: string): NodeCatalog {
  if (url.startsWith("file:")) {
    const path = url.slice("file:".length).split("?")[0] ?? "";
    if (path && path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
  }
  // The busy timeout on every pooled connection, not only the first (PRAGMA busy_timeout is per
  // connection): several hub processes on one embedded file wait for each other's writes.
  const client = createClient({
    url,
    ...(authToken ? { authToken } : {}),
    ...(url.startsWith("file:") ? { timeout: BUSY_TIMEOUT_MS } : {}),
  });
  if (!url.startsWith("file:") || url.includes(":memory:")) return { db: dbFromLibsql(client), client };
  const writes = workerCatalogWrites({ url, busyTimeoutMs: BUSY_TIMEOUT_MS, cacheKib: CACHE_KIB });
  return { db: dbFromLibsql(waitingForWrites(client, writes)), client, writes };
}

/**
 * The hub's own writes on an embedded file, made to wait their turn without blocking: a batch
 * takes the write lock up front (BEGIN IMMEDIATE; a deferred one that reads first and upgrades
 * gets SQLITE_BUSY at once, without the busy handler), and every write first awaits the chunk
 * the write thread holds, so the event loop never sleeps in the busy handler behind it. Reads
 * go straight on (WAL readers do not wait for the writer). The busy timeout stays for others:
 * another hub process, a catalog snapshot.
 */
function waitingForWrites(client: Client, writes: WorkerCatalogWrites): Client {
  const execute = client.execute.bind(client);
  const batch = client.batch.bind(client);
  const transaction = client.transaction.bind(client);
  const executeMultiple = client.executeMultiple.bind(client);
  const turn = async () => {
    while (writes.busy) await writes.busy;
  };
  const isRead = (stmt: InStatement | string) =>
    /^\s*select\b/i.test(typeof stmt === "string" ? stmt : stmt.sql);
  return Object.assign(client, {
    execute: async (stmt: InStatement | string, args?: never) => {
      if (writes.busy && !isRead(stmt)) await turn();
      return typeof stmt === "string" ? execute(stmt, args) : execute(stmt);
    },
    batch: async (stmts: InStatement[], mode: TransactionMode = "write") => {
      await turn();
      return batch(stmts, mode);
    },
    transaction: async (mode: TransactionMode = "write") => {
      await turn();
      return transaction(mode);
    },
    executeMultiple: async (sql: string) => {
      await turn();
      return executeMultiple(sql);
    },
  }) as Client;
}

/**
 * Applies pending migrations (of `migrationsFolder`, a test may give an older catalog's); on an
 * embedded file also turns on WAL and foreign keys.
 */
export async function migrateCatalog(
  catalog: NodeCatalog,
  url: string,
  migrationsFolder = MIGRATIONS_DIR,
): Promise<void> {
  if (url.startsWith("file:")) {
    await catalog.client.execute("PRAGMA journal_mode = WAL");
    await catalog.client.execute("PRAGMA busy_timeout = 5000");
    // In WAL mode NORMAL cannot corrupt the file; a power cut may lose the last commits only,
    // which agents re-send (catalog chunks are idempotent). A larger page cache keeps the
    // catalog indexes in memory during ingest.
    await catalog.client.execute("PRAGMA synchronous = NORMAL");
    await catalog.client.execute(`PRAGMA cache_size = -${CACHE_KIB}`);
  }
  await catalog.client.execute("PRAGMA foreign_keys = ON");
  await migrate(catalog.db as never, { migrationsFolder });
}

/**
 * Runs `work` with deleted rows overwritten in the file, then checkpoints the WAL into it: how
 * the plaintext secrets of an older catalog are deleted without leaving their bytes in free
 * pages or old WAL frames. A remote catalog keeps whatever its server keeps.
 */
export async function withSecureDelete<T>(
  catalog: NodeCatalog,
  url: string,
  work: () => Promise<T>,
): Promise<T> {
  if (!url.startsWith("file:")) return work();
  await catalog.client.execute("PRAGMA secure_delete = ON");
  try {
    return await work();
  } finally {
    await catalog.client.execute("PRAGMA secure_delete = OFF");
    await catalog.client.execute("PRAGMA wal_checkpoint(TRUNCATE)");
  }
}
