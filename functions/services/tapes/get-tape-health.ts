import { desc, eq } from "drizzle-orm";
import { drives, healthReadings } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/** Uncorrected errors rising over a tape's readings: the tape should be retired. */
export function retirementAdvice(
  readings: Array<{ counters: { writeUncorrected: number; readUncorrected: number } | null }>,
): string | null {
  const totals = readings
    .map((r) => (r.counters ? r.counters.writeUncorrected + r.counters.readUncorrected : null))
    .filter((n): n is number => n !== null)
    .reverse(); // oldest first
  let rises = 0;
  for (let i = 1; i < totals.length; i++) if ((totals[i] ?? 0) > (totals[i - 1] ?? 0)) rises++;
  const last = totals.at(-1) ?? 0;
  if (last === 0 || (rises === 0 && totals.length > 1)) return null;
  return `uncorrected errors ${rises > 0 ? "rising" : "seen"} (${last} in the latest reading): copy its sets to another tape and retire it`;
}

/** The health readings taken while the tape was loaded, newest first, and whether to retire it. */
export async function getTapeHealth(ctx: ServiceCtx, tapeId: number) {
  const rows = await ctx.db
    .select({ reading: healthReadings, drive: drives.name })
    .from(healthReadings)
    .leftJoin(drives, eq(drives.id, healthReadings.driveId))
    .where(eq(healthReadings.tapeId, tapeId))
    .orderBy(desc(healthReadings.readAt), desc(healthReadings.id))
    .limit(50);
  const readings = rows.map((r) => ({ ...r.reading, drive: r.drive }));
  return { readings, retire: retirementAdvice(readings) };
}
