import type { Db } from "../../db/client.ts";

/**
 * A drizzle prepared query, built once per catalog and kept: for the statements of every request
 * (the session lookup, the agent's token check, the poll's look for orders). Building a query
 * costs drizzle 0.4–1 ms, several times what SQLite takes to run it (bench/README.md, hub-load).
 * Values change per call through `sql.placeholder`; timestamps go in as epoch ms, as stored.
 */
export function preparedPerDb<T>(build: (db: Db) => T): (db: Db) => T {
  const built = new WeakMap<Db, T>();
  return (db) => {
    let query = built.get(db);
    if (query === undefined) {
      query = build(db);
      built.set(db, query);
    }
    return query;
  };
}
