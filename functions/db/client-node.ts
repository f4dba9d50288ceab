import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Client, createClient } from "@libsql/client";
import { migrate } from "drizzle-orm/libsql/migrator";
import { type Db, dbFromLibsql } from "./client.ts";

export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../migrations");

export interface NodeCatalog {
  db: Db;
  client: Client;
}

const BUSY_TIMEOUT_MS = 5000;

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
  return { db: dbFromLibsql(client), client };
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
    await catalog.client.execute("PRAGMA cache_size = -65536");
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
