import type { D1Database } from "@cloudflare/workers-types";
import type { Client } from "@libsql/client";
import { drizzle as drizzleD1 } from "drizzle-orm/d1";
import { drizzle as drizzleLibsql } from "drizzle-orm/libsql";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import * as schema from "./schema/index.ts";

export { schema };
export type Schema = typeof schema;

/**
 * The catalog as the services see it: the same drizzle sqlite-core API whether it is an
 * embedded libSQL file, a remote libSQL server (sqld / Turso) or a D1 binding.
 * `batch` runs statements atomically on all three, which is how services group writes:
 * D1 has no interactive transactions.
 */
// biome-ignore lint/suspicious/noExplicitAny: the run-result type differs per driver and is never read
export type Db = BaseSQLiteDatabase<"async", any, Schema> & {
  batch: ReturnType<typeof drizzleLibsql<Schema>>["batch"];
};

export function dbFromLibsql(client: Client): Db {
  return drizzleLibsql(client, { schema }) as unknown as Db;
}

export function dbFromD1(binding: D1Database): Db {
  const db = drizzleD1(binding, { schema });
  const batch = db.batch.bind(db);
  // biome-ignore lint/suspicious/noExplicitAny: drizzle's session is internal; see batchableOnD1
  const session = (db as any).session as D1Session;
  Object.assign(db, {
    batch: (queries: Parameters<typeof batch>[0]) =>
      batch(queries.map((q) => batchableOnD1(q, session)) as unknown as Parameters<typeof batch>[0]),
  });
  return db as unknown as Db;
}

interface D1Session {
  prepareQuery(query: unknown, fields: undefined, executeMethod: string, arrayMode: boolean): unknown;
}

interface RawStatement {
  _prepare(): { stmt?: unknown };
  getQuery(): { sql: string; params: unknown[]; method: string };
}

/**
 * drizzle's D1 batch binds each item's prepared D1 statement, which a raw statement
 * (`db.run(sql\`...\`)`, what libSQL batches as it is) does not have: such an item is prepared
 * here on the D1 session first, so services write one form that both drivers batch.
 */
function batchableOnD1(query: unknown, session: D1Session): unknown {
  const raw = query as RawStatement;
  if (raw._prepare().stmt !== undefined) return query;
  const built = raw.getQuery();
  const prepared = session.prepareQuery(built, undefined, built.method, false);
  return { _prepare: () => prepared };
}

/** Remote libSQL (libsql://, https://) through the fetch-based client that also runs on workerd. */
export async function dbFromRemoteUrl(url: string, authToken: string | undefined): Promise<Db> {
  const { createClient } = await import("@libsql/client/web");
  return dbFromLibsql(createClient({ url, ...(authToken ? { authToken } : {}) }));
}
