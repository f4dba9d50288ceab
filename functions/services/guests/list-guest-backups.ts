import { eq, type SQL } from "drizzle-orm";
import { z } from "zod";
import { guestBackups } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type PageRequest, pageWhere, toPage } from "../shared/pagination.ts";
import { siteWhere } from "../sites/site-scope.ts";

export const guestBackupsQuery = z.object({
  vmid: z.coerce.number().int().positive().optional(),
  setId: z.coerce.number().int().positive().optional(),
  sourceId: z.coerce.number().int().positive().optional(),
  /** `completed`: only the archives a restore can read (the restore wizard lists these). */
  state: z.enum(["completed", "failed"]).optional(),
});

/** Guest archives on tape, newest first (failed ones too: they say which guests were missed). */
export async function listGuestBackups(
  ctx: ServiceCtx,
  page: PageRequest,
  filter: z.output<typeof guestBackupsQuery>,
) {
  const where: SQL[] = [];
  if (filter.vmid) where.push(eq(guestBackups.vmid, filter.vmid));
  if (filter.setId) where.push(eq(guestBackups.setId, filter.setId));
  if (filter.sourceId) where.push(eq(guestBackups.sourceId, filter.sourceId));
  if (filter.state) where.push(eq(guestBackups.state, filter.state));
  // A site-scoped user sees their sites' guest archives only.
  const atSites = siteWhere(ctx, { kind: "guest-backup", id: guestBackups.id }, undefined);
  if (atSites) where.push(atSites);
  return toPage(
    await ctx.db.query.guestBackups.findMany(pageWhere(guestBackups.id, page, "desc", ...where)),
    page,
  );
}
