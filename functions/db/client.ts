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
  return drizzleD1(binding, { schema }) as unknown as Db;
}

/** Remote libSQL (libsql://, https://) through the fetch-based client that also runs on workerd. */
export async function dbFromRemoteUrl(url: string, authToken: string | undefined): Promise<Db> {
  const { createClient } = await import("@libsql/client/web");
  return dbFromLibsql(createClient({ url, ...(authToken ? { authToken } : {}) }));
}
