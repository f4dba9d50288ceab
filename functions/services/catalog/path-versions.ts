import { and, desc, eq } from "drizzle-orm";
import { z } from "zod";
import { backupSets, catalogEntries } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { catalogPath, splitPath } from "./paths.ts";

export const versionsQuery = z.object({ path: catalogPath.refine((p) => p.length > 0, "give a path") });

/** Every stored version of one path across all sets, newest set first. */
export async function pathVersions(ctx: ServiceCtx, path: string) {
  const { dir, name } = splitPath(path);
  const rows = await ctx.db
    .select({
      entry: catalogEntries,
      set: {
        id: backupSets.id,
        uuid: backupSets.uuid,
        state: backupSets.state,
        startedAt: backupSets.startedAt,
        backupType: backupSets.backupType,
      },
    })
    .from(catalogEntries)
    .innerJoin(backupSets, eq(backupSets.id, catalogEntries.setId))
    .where(and(eq(catalogEntries.name, name), eq(catalogEntries.dir, dir)))
    .orderBy(desc(backupSets.startedAt))
    .limit(1000);
  return { path, versions: rows };
}
