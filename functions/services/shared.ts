import type { SQL } from "drizzle-orm";
import { and, asc, desc, gt, lt } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { notFound } from "../errors.ts";

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

export function getOrThrow<T>(row: T | undefined, what: string, id: string | number): T {
  if (row === undefined) throw notFound(what, id);
  return row;
}

/** Names shown in pages and on tape: printable, no control characters, trimmed. */
export const displayName = (max = 64) =>
  z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), "must not contain control characters");

export const optionalText = (max: number) => z.string().trim().max(max).nullish();

/**
 * The PATCH form of a create schema: every field optional and, unlike `.partial()`, without
 * its default — a missing field must stay as it is, not be reset to the default.
 */
export function patchSchema<T extends z.ZodRawShape>(schema: z.ZodObject<T>) {
  const shape = Object.fromEntries(
    Object.entries(schema.shape).map(([key, field]) => {
      const inner = field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : (field as z.ZodType);
      return [key, inner.optional()];
    }),
  );
  return z
    .object(shape)
    .refine(
      (v) => Object.values(v).some((x) => x !== undefined),
      "give at least one field to change",
    ) as unknown as z.ZodType<Partial<z.output<z.ZodObject<T>>>>;
}
