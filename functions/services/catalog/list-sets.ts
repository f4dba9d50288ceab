import { and, desc, eq, lt } from "drizzle-orm";
import { backupSets } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { siteWhere } from "../sites/site-scope.ts";

export async function listSets(
  ctx: ServiceCtx,
  page: { limit: number; cursor?: number | undefined },
  jobId?: number,
  /** Only the sets at this site (where their tapes are now). */
  site?: number,
) {
  const rows = await ctx.db.query.backupSets.findMany({
    where: and(
      page.cursor === undefined ? undefined : lt(backupSets.id, page.cursor),
      jobId ? eq(backupSets.jobId, jobId) : undefined,
      siteWhere(ctx, { kind: "set", id: backupSets.id }, site),
    ),
    orderBy: desc(backupSets.id),
    limit: page.limit + 1,
  });
  const items = rows.slice(0, page.limit);
  return { items, nextCursor: rows.length > page.limit ? (items.at(-1)?.id ?? null) : null };
}
