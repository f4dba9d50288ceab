import { eq, or } from "drizzle-orm";
import { backupSetSegments, backupSets, drives } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getTape } from "./get-tape.ts";

/** One tape as its page shows it: the tape, the sets on it in tape order, and where it is in words. */
export async function getTapeDetail(ctx: ServiceCtx, id: number) {
  const tape = await getTape(ctx, id);
  const [sets, drive] = await Promise.all([
    ctx.db
      .select({
        setId: backupSetSegments.setId,
        sequence: backupSetSegments.sequence,
        fileNumber: backupSetSegments.fileNumber,
        bytes: backupSetSegments.bytes,
        state: backupSets.state,
        startedAt: backupSets.startedAt,
        keyFingerprint: backupSets.encryptionKeyFingerprint,
      })
      .from(backupSetSegments)
      .innerJoin(backupSets, eq(backupSets.id, backupSetSegments.setId))
      .where(eq(backupSetSegments.tapeId, tape.id))
      .orderBy(backupSetSegments.fileNumber),
    ctx.db.query.drives.findFirst({
      where: or(eq(drives.loadedTapeId, tape.id), tape.driveId ? eq(drives.id, tape.driveId) : undefined),
    }),
  ]);
  const where = drive
    ? `in ${drive.name}`
    : tape.changerId
      ? `in changer slot ${tape.slot ?? "?"}`
      : tape.state === "offsite"
        ? `offsite${tape.location ? ` (${tape.location})` : ""}`
        : (tape.location ?? "on the shelf");
  return { tape, sets, where, drive: drive ? { name: drive.name, state: drive.state } : null };
}
