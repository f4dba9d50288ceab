import { and, desc, eq, sql } from "drizzle-orm";
import { backupSets, jobs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { siteWhere } from "../sites/site-scope.ts";

/**
 * What the restore wizard's first step offers: the newest sets, and the backup jobs to pick a
 * moment of, of the caller's sites only (a site-scoped user sees neither another site's sets nor
 * its jobs).
 */
export async function restoreChoices(ctx: ServiceCtx, limit = 50) {
  const sets = await ctx.db
    .select({ set: backupSets, jobName: jobs.name })
    .from(backupSets)
    .leftJoin(jobs, eq(jobs.id, backupSets.jobId))
    .where(siteWhere(ctx, { kind: "set", id: backupSets.id }, undefined))
    .orderBy(desc(backupSets.id))
    .limit(limit);
  const jobList = await ctx.db
    .select({ id: jobs.id, name: jobs.name })
    .from(jobs)
    .where(and(eq(jobs.kind, "backup"), siteWhere(ctx, { kind: "job", id: jobs.id }, undefined)))
    .orderBy(jobs.name);
  return { sets: sets.map((s) => ({ ...s.set, jobName: s.jobName })), jobs: jobList };
}

/**
 * The key fingerprint of each of these sets (null: not encrypted), for lists that show a set by
 * number only, such as the wizard's search hits.
 */
export async function setKeyFingerprints(
  ctx: ServiceCtx,
  setIds: readonly number[],
): Promise<Map<number, string | null>> {
  if (setIds.length === 0) return new Map();
  const rows = await ctx.db
    .select({
      id: backupSets.id,
      encryption: backupSets.encryption,
      key: backupSets.encryptionKeyFingerprint,
    })
    .from(backupSets)
    .where(sql`${backupSets.id} in (select value from json_each(${JSON.stringify([...new Set(setIds)])}))`);
  return new Map(rows.map((r) => [r.id, r.encryption === "none" ? null : r.key]));
}
