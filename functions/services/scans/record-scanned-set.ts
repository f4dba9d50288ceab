import { and, eq } from "drizzle-orm";
import { type ScanSetAnswer, ScanSetReport } from "../../../contracts/agent-protocol.ts";
import { backupSetSegments, backupSets, jobs, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { createdByScan, type OrderRow, rebuildOf, scanOnly } from "./scan-order.ts";

/** A set's job by the name in its TOC; a job the catalog lost comes back disabled, with no source. */
async function jobByName(ctx: ServiceCtx, name: string, poolId: number | null) {
  const now = ctx.now();
  await ctx.db
    .insert(jobs)
    .values({ name, kind: "backup", poolId, enabled: false, createdAt: now, updatedAt: now })
    .onConflictDoNothing();
  return getOrThrow(await ctx.db.query.jobs.findFirst({ where: eq(jobs.name, name) }), "Job", name).id;
}

/**
 * One TOC of a scanned tape: creates the set when the catalog does not know it, and answers
 * whether this tape's part of it is new. A set known from a backup is left exactly as it is.
 */
export async function recordScannedSet(
  ctx: ServiceCtx,
  order: OrderRow,
  raw: unknown,
): Promise<ScanSetAnswer> {
  scanOnly(order);
  const report = ScanSetReport.parse(raw);
  const tape = getOrThrow(
    await ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, report.tapeBarcode) }),
    "Tape",
    report.tapeBarcode,
  );
  const existing = await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.uuid, report.setUuid) });
  if (existing && rebuildOf(order) === existing.uuid) {
    await ctx.db
      .update(backupSetSegments)
      .set({ catalogChecked: false })
      .where(and(eq(backupSetSegments.setId, existing.id), eq(backupSetSegments.sequence, report.sequence)));
    return { status: "rebuild", setId: existing.id };
  }
  if (existing) {
    const segment = await ctx.db.query.backupSetSegments.findFirst({
      where: and(eq(backupSetSegments.setId, existing.id), eq(backupSetSegments.sequence, report.sequence)),
    });
    const status = segment || !(await createdByScan(ctx, existing)) ? "known" : "new-segment";
    return { status, setId: existing.id };
  }
  const now = ctx.now();
  const [created] = await ctx.db
    .insert(backupSets)
    .values({
      uuid: report.setUuid,
      jobId: await jobByName(ctx, report.job.name, tape.poolId),
      runId: order.runId,
      poolId: tape.poolId,
      // The TOC does not say; an incremental scanned back reads as a full of what it holds.
      backupType: "full",
      state: "incomplete",
      compression: report.compression,
      encryption: report.encryption.algorithm,
      encryptionKeyFingerprint: report.encryption.keyFingerprint,
      blockSize: report.blockSize,
      startedAt: new Date(report.startedAt),
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning({ id: backupSets.id });
  if (!created) return recordScannedSet(ctx, order, raw); // another hub instance created it meanwhile
  return { status: "new-set", setId: created.id };
}
