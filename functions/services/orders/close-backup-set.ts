import { and, eq, sql } from "drizzle-orm";
import type { OrderResult } from "../../../contracts/agent-protocol.ts";
import {
  backupSetSegments,
  backupSets,
  catalogEntries,
  jobLogs,
  jobRuns,
  tapes,
} from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { eventInsert } from "../events/record-event.ts";
import { touchMediaSet } from "../media-sets/touch-media-set.ts";
import { compareCatalog, tallyHeldCatalog } from "./reconcile-catalog.ts";

type Result = ReturnType<(typeof OrderResult)["parse"]>;

/** What closing a backup's set found: null, or why the run cannot be called a success. */
export type SetClosing = { problem: string | null };

/**
 * Closes a backup's set from the agent's result. The set is complete only when the agent says the
 * backup completed AND the catalog reconciles with what the agent wrote, tape by tape (count and
 * digest). Otherwise it is incomplete when anything reached a tape (its catalog can be rebuilt from
 * the tapes' TOCs) or the backup was stopped, failed when it failed before writing. Each problem becomes an error line of the run's log.
 */
export async function closeBackupSet(
  ctx: ServiceCtx,
  runId: number,
  setId: number,
  result: Result,
): Promise<SetClosing> {
  const segments = await ctx.db
    .select({ sequence: backupSetSegments.sequence, barcode: tapes.barcode })
    .from(backupSetSegments)
    .innerJoin(tapes, eq(tapes.id, backupSetSegments.tapeId))
    .where(eq(backupSetSegments.setId, setId));
  const tapeOf = (sequence: number) => {
    const barcode = segments.find((s) => s.sequence === sequence)?.barcode;
    return barcode ? `tape ${barcode}` : `tape ${sequence + 1} of the set (never reported closed)`;
  };
  const held = await tallyHeldCatalog(ctx, setId);
  const checks = result.catalog ? compareCatalog(result.catalog, held, tapeOf) : null;
  const problems = checks
    ? checks.flatMap((c) => (c.problem ? [c.problem] : []))
    : segments.length > 0 || held.size > 0
      ? ["the agent did not report what it sent to the catalog, so the catalog cannot be checked"]
      : [];
  const completed = result.state === "completed" || result.state === "completed-with-warnings";
  const onTape = segments.length > 0;
  // A stopped backup's set is incomplete; a failed one too when part of it reached a tape.
  const state =
    completed && problems.length === 0
      ? "complete"
      : onTape || result.state === "cancelled" || result.state === "interrupted"
        ? "incomplete"
        : "failed";
  const fix = onTape ? `; rebuild the set's catalog from its tapes (Rebuild catalog on set ${setId})` : "";
  const problem = problems.length > 0 ? `${problems.join("; ")}${fix}` : null;

  const [totals] = await ctx.db
    .select({ n: sql<number>`count(*)`, bytes: sql<number>`coalesce(sum(${catalogEntries.size}), 0)` })
    .from(catalogEntries)
    .where(eq(catalogEntries.setId, setId));
  const now = ctx.now();
  const close = ctx.db
    .update(backupSets)
    .set({
      state,
      finishedAt: now,
      fileCount: totals?.n ?? 0,
      sourceBytes: result.summary.sourceBytes ?? totals?.bytes ?? 0,
      tapeBytes: result.summary.tapeBytes ?? 0,
      catalogProblem: problem,
      // The agent could not compare with the base (its manifest is elsewhere): the set is a full.
      ...(result.writtenAs === "full" ? { backupType: "full" as const, baseSetId: null } : {}),
    })
    .where(eq(backupSets.id, setId));
  // An incomplete set with a catalog problem is news of its own: its files cannot all be found.
  await (state === "incomplete" && problem
    ? ctx.db.batch([
        close,
        eventInsert(ctx, {
          kind: "set.incomplete",
          text: `Set ${setId} (run #${runId}) is incomplete: ${problems.join("; ")}`,
          action: onTape
            ? `Rebuild the set's catalog from its tapes (Rebuild catalog on set ${setId}).`
            : null,
          href: "/restore",
          runId,
          dedupeKey: `set.incomplete:${setId}`,
        }),
      ])
    : close);
  // Retention runs from the set's end, the last moment anything of it was written (catalog included).
  const closed = await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, setId) });
  if (closed?.mediaSetId) await touchMediaSet(ctx, closed.mediaSetId, now);
  if (result.writtenAs === "full")
    await ctx.db.update(jobRuns).set({ backupType: "full" }).where(eq(jobRuns.id, runId));
  for (const tally of result.catalog ?? []) {
    await ctx.db
      .update(backupSetSegments)
      .set({
        catalogEntries: tally.entries,
        catalogDigest: tally.digest,
        catalogChecked: checks?.find((c) => c.sequence === tally.sequence)?.checked ?? false,
      })
      .where(and(eq(backupSetSegments.setId, setId), eq(backupSetSegments.sequence, tally.sequence)));
  }
  if (problems.length > 0)
    await ctx.db.insert(jobLogs).values(
      problems.map((message) => ({
        runId,
        at: now,
        level: "error" as const,
        message: `${message}${fix}`,
        path: null,
      })),
    );
  return { problem };
}
