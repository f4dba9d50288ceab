/**
 * The thread of catalog-writes-node.ts: its own connection to the embedded catalog file, on which
 * it runs each batch it is sent in one write transaction (BEGIN IMMEDIATE ... COMMIT), so the hub's
 * event loop runs none of a catalog chunk's inserts (docs/adr/0029).
 */
import { parentPort, workerData } from "node:worker_threads";
import { createClient, type InArgs } from "@libsql/client";

export interface CatalogWritesSetup {
  url: string;
  busyTimeoutMs: number;
  /** The connection's page cache in KiB, as the hub's own (PRAGMA cache_size takes it negative). */
  cacheKib: number;
}

/** One statement as drizzle built it: the SQL and its values, already in the driver's form. */
export interface WriteStatement {
  sql: string;
  params: unknown[];
}

export interface WriteJob {
  id: number;
  statements: WriteStatement[];
}

export interface WriteReply {
  id: number;
  error?: { message: string; code?: string };
}

if (parentPort && workerData?.catalogWrites) {
  const port = parentPort;
  const setup = workerData.catalogWrites as CatalogWritesSetup;
  // One connection (concurrency 1), so the pragmas below hold for every batch it runs.
  const client = createClient({ url: setup.url, timeout: setup.busyTimeoutMs, concurrency: 1 });
  const ready = client.executeMultiple(
    `PRAGMA busy_timeout = ${setup.busyTimeoutMs}; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -${setup.cacheKib};`,
  );
  port.on("message", async ({ id, statements }: WriteJob) => {
    try {
      await ready;
      // "write": BEGIN IMMEDIATE, the write lock taken up front, waiting in the busy handler (on
      // this thread) while another connection holds it; the batch is wholly in or not at all.
      await client.batch(
        statements.map((s) => ({ sql: s.sql, args: s.params as InArgs })),
        "write",
      );
      port.postMessage({ id } satisfies WriteReply);
    } catch (error) {
      const e = error as { message?: string; code?: string };
      port.postMessage({
        id,
        error: { message: e.message ?? String(error), ...(e.code ? { code: e.code } : {}) },
      } satisfies WriteReply);
    }
  });
}
