import { and, eq, inArray, isNull, lte, max, ne, or } from "drizzle-orm";
import { CATALOG_BACKUP_MAX_AGE_DAYS } from "../../../contracts/catalog-backup.ts";
import { backupSets, jobs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type ActiveCondition, settleConditions } from "../events/settle-conditions.ts";

const DAY_MS = 24 * 3600_000;

/**
 * Without a recent catalog backup, losing the hub loses the map of every tape. Raised once when
 * no catalog-backup set completed in CATALOG_BACKUP_MAX_AGE_DAYS while the catalog holds a
 * backup at least that old (a new hub is not nagged on its first day), cleared by one that
 * completes.
 */
export async function watchCatalogBackups(ctx: ServiceCtx) {
  const now = ctx.now();
  const limit = new Date(now.getTime() - CATALOG_BACKUP_MAX_AGE_DAYS * DAY_MS);
  const done = ["complete", "incomplete"] as const;
  const [[catalog], [oldData]] = await Promise.all([
    ctx.db
      .select({ at: max(backupSets.finishedAt) })
      .from(backupSets)
      .innerJoin(jobs, eq(jobs.id, backupSets.jobId))
      .where(and(eq(jobs.kind, "catalog"), eq(backupSets.state, "complete"))),
    ctx.db
      .select({ id: backupSets.id })
      .from(backupSets)
      .leftJoin(jobs, eq(jobs.id, backupSets.jobId))
      .where(
        and(
          inArray(backupSets.state, [...done]),
          lte(backupSets.finishedAt, limit),
          or(isNull(jobs.kind), ne(jobs.kind, "catalog")),
        ),
      )
      .limit(1),
  ]);
  const last = catalog?.at ?? null;
  const missing = (last === null || last < limit) && oldData !== undefined;
  const active: ActiveCondition[] = missing
    ? [
        {
          key: "catalog",
          event: {
            text: last
              ? `No catalog backup has completed since ${last.toISOString().slice(0, 10)}, more than ${CATALOG_BACKUP_MAX_AGE_DAYS} days ago: if the hub is lost, its tapes must be scanned back one by one.`
              : `No catalog backup has ever completed, and the catalog holds backups older than ${CATALOG_BACKUP_MAX_AGE_DAYS} days: if the hub is lost, its tapes must be scanned back one by one.`,
            action:
              "Run the catalog backup job now, or create one (Jobs → New, kind catalog) with a schedule.",
            href: "/jobs",
          },
        },
      ]
    : [];
  return settleConditions(
    ctx,
    {
      name: "catalog-backup",
      raised: "catalog-backup.missing",
      cleared: "catalog-backup.ok",
      clearedText: () => "A catalog backup completed: the hub's catalog is on tape again.",
    },
    active,
  );
}
