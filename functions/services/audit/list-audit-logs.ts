import { eq, gte, lte } from "drizzle-orm";
import { z } from "zod";
import { auditLogs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type PageRequest, pageWhere, toPage } from "../shared/pagination.ts";
import { siteWhere } from "../sites/site-scope.ts";

export const auditFilter = z.object({
  action: z.string().max(64).optional(),
  actor: z.string().max(64).optional(),
  outcome: z.enum(["success", "failure", "denied"]).optional(),
  since: z.coerce.date().optional(),
  until: z.coerce.date().optional(),
});

/** Newest first. */
export async function listAuditLogs(
  ctx: ServiceCtx,
  page: PageRequest,
  filter: z.output<typeof auditFilter>,
) {
  const rows = await ctx.db.query.auditLogs.findMany(
    pageWhere(
      auditLogs.id,
      page,
      "desc",
      filter.action ? eq(auditLogs.action, filter.action) : undefined,
      filter.actor ? eq(auditLogs.actor, filter.actor) : undefined,
      filter.outcome ? eq(auditLogs.outcome, filter.outcome) : undefined,
      filter.since ? gte(auditLogs.at, filter.since) : undefined,
      filter.until ? lte(auditLogs.at, filter.until) : undefined,
      // A site-scoped user reads what was done at their sites only.
      siteWhere(ctx, { column: auditLogs.siteId }, undefined),
    ),
  );
  return toPage(rows, page);
}
