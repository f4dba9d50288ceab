import type { SQL } from "drizzle-orm";
import { and, asc, desc, gt, lt } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: number | null;
}

export interface PageRequest {
  limit: number;
  cursor?: number | undefined;
}

/** Keyset pagination on an integer id: stable under inserts, cheap on big tables. */
export function pageWhere(
  id: SQLiteColumn,
  page: PageRequest,
  direction: "asc" | "desc",
  ...filters: (SQL | undefined)[]
) {
  const after =
    page.cursor === undefined ? undefined : direction === "asc" ? gt(id, page.cursor) : lt(id, page.cursor);
  return {
    where: and(after, ...filters),
    orderBy: direction === "asc" ? asc(id) : desc(id),
    limit: page.limit + 1,
  };
}

export function toPage<T extends { id: number }>(rows: T[], page: PageRequest): Page<T> {
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > page.limit && last ? last.id : null };
}
