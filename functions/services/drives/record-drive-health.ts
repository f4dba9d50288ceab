import { and, eq, isNull, sql } from "drizzle-orm";
import type { DriveReport } from "../../../contracts/agent-protocol.ts";
import { drives, healthReadings, jobRuns, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { logInserts } from "../orders/log-inserts.ts";
import { raiseDriveEvent } from "./raise-drive-event.ts";

type DriveRow = typeof drives.$inferSelect;

/**
 * Stores what each drive says of its health: the latest reading on the drive, a reading row per
 * drive and tape whenever it changed, and for a flag that was not set before, an event and a line
 * in the log of the run using the drive right then.
 */
export async function recordDriveHealth(
  ctx: ServiceCtx,
  agentId: string,
  reports: DriveReport[],
  before: DriveRow[],
): Promise<void> {
  const now = ctx.now();
  const rows = await ctx.db.query.drives.findMany({ where: eq(drives.agentId, agentId) });
  for (const report of reports) {
    const health = report.health;
    const drive = rows.find((d) => d.devicePath === report.devicePath);
    if (!health || !drive) continue;
    const previous = before.find((d) => d.devicePath === report.devicePath)?.health ?? null;
    await ctx.db.update(drives).set({ health, healthAt: now }).where(eq(drives.id, drive.id));
    if (JSON.stringify(previous) === JSON.stringify(health)) continue;
    await ctx.db.insert(healthReadings).values({
      driveId: drive.id,
      tapeId: drive.loadedTapeId,
      readAt: now,
      alerts: health.alerts,
      counters: health.counters,
    });
    const raised = health.alerts.filter((a) => !previous?.alerts.some((p) => p.code === a.code));
    const cleared = (previous?.alerts ?? []).filter((p) => !health.alerts.some((a) => a.code === p.code));
    if (raised.length === 0 && cleared.length === 0) continue;
    const tape = drive.loadedTapeId
      ? await ctx.db.query.tapes.findFirst({ where: eq(tapes.id, drive.loadedTapeId) })
      : undefined;
    const run = await ctx.db.query.jobRuns.findFirst({
      where: and(eq(jobRuns.driveId, drive.id), isNull(jobRuns.finishedAt)),
    });
    for (const alert of raised)
      await raiseDriveEvent(ctx, {
        action: "drive.tapealert",
        driveId: drive.id,
        details: { ...alert, drive: drive.name, tape: tape?.barcode ?? null, runId: run?.id ?? null },
      });
    for (const alert of cleared)
      await raiseDriveEvent(ctx, {
        action: "drive.tapealert_cleared",
        driveId: drive.id,
        details: { code: alert.code, name: alert.name, drive: drive.name },
      });
    if (!run || raised.length === 0) continue;
    const on = tape ? ` with ${tape.barcode} loaded` : "";
    await ctx.db.batch([
      ctx.db
        .update(jobRuns)
        .set({ warnings: sql`${jobRuns.warnings} + ${raised.length}` })
        .where(eq(jobRuns.id, run.id)),
      ...logInserts(
        ctx,
        run.id,
        raised.map((a) => [
          now.getTime(),
          a.severity === "critical" ? "error" : "warn",
          `TapeAlert ${a.code} "${a.name}" (${a.severity}) raised by ${drive.name}${on} during this run`,
          null,
        ]),
      ),
    ]);
  }
}
