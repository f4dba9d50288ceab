import { and, asc, eq, gt } from "drizzle-orm";
import { z } from "zod";
import { backupSets, catalogEntries } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { catalogPath } from "./paths.ts";

const MAX_PATH = 4096;

export const browseQuery = z.object({
  dir: catalogPath.default(""),
  /** Keyset: the last name of the previous page. */
  after: z.string().max(MAX_PATH).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/** One directory of a set, by name, a page at a time (index catalog_set_dir_idx). */
export async function browseSet(ctx: ServiceCtx, setId: number, query: z.output<typeof browseQuery>) {
  await getOrThrow(
    await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, setId), columns: { id: true } }),
    "Backup set",
    setId,
  );
  const rows = await ctx.db
    .select()
    .from(catalogEntries)
    .where(
      and(
        eq(catalogEntries.setId, setId),
        eq(catalogEntries.dir, query.dir),
        query.after === undefined ? undefined : gt(catalogEntries.name, query.after),
      ),
    )
    .orderBy(asc(catalogEntries.name))
    .limit(query.limit + 1);
  const items = rows.slice(0, query.limit);
  return {
    dir: query.dir,
    items,
    nextAfter: rows.length > query.limit ? (items.at(-1)?.name ?? null) : null,
  };
}
