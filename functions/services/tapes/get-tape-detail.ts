import { and, eq, isNotNull, or, sql } from "drizzle-orm";
import { backupSetSegments, backupSets, drives, jobRuns, mediaSets, sites } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { eraseWarning } from "./erase-tape.ts";
import { getTape } from "./get-tape.ts";
import { getTapeHealth } from "./get-tape-health.ts";
import { isCleaningBarcode } from "./media-type.ts";
import { shownCapacity } from "./native-capacity.ts";
import { reuseRefusal } from "./reuse-refusal.ts";
import { tapeMoveHistory } from "./tape-moves.ts";
import { stateChoices } from "./tape-transition.ts";

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
      ? `in changer ${tape.state === "offsite" ? "mail " : ""}slot ${tape.slot ?? "?"}${tape.location ? ` (for ${tape.location})` : ""}`
      : tape.state === "offsite" || tape.state === "exported"
        ? `${tape.state}${tape.location ? ` (${tape.location})` : ""}`
        : (tape.location ?? "on the shelf");
  const mediaSet = tape.mediaSetId
    ? ((await ctx.db.query.mediaSets.findFirst({ where: eq(mediaSets.id, tape.mediaSetId) })) ?? null)
    : null;
  const [health, eraseLoss, refusal, waiting, moves, site, allSites] = await Promise.all([
    getTapeHealth(ctx, tape.id),
    eraseWarning(ctx, tape.id),
    reuseRefusal(ctx, tape.id),
    // Restores and verifies the hub holds until this tape can be read (runs/dispatch-reads.ts).
    ctx.db
      .select({ id: jobRuns.id, kind: jobRuns.kind, message: jobRuns.operatorMessage })
      .from(jobRuns)
      .where(
        and(
          eq(jobRuns.state, "queued"),
          isNotNull(jobRuns.pendingOrder),
          sql`json_extract(${jobRuns.pendingOrder}, '$.tapeId') = ${tape.id}`,
        ),
      )
      .orderBy(jobRuns.id)
      .limit(20),
    tapeMoveHistory(ctx, tape.id),
    tape.siteId ? ctx.db.query.sites.findFirst({ where: eq(sites.id, tape.siteId) }) : undefined,
    ctx.db.query.sites.findMany({ orderBy: sites.name }),
  ]);
  // When it may be overwritten, in words: what keeps it, or that nothing does.
  const reuse = refusal
    ? `Not reusable: ${refusal}.`
    : tape.state === "expired"
      ? "Reusable now: nothing retained depends on it; a run that needs a tape relabels it."
      : "Nothing retained is on it.";
  return {
    tape: { ...tape, ...shownCapacity(tape) },
    sets,
    where,
    drive: drive ? { name: drive.name, state: drive.state } : null,
    health,
    /** May it be erased here (in a changer, not retained), and what erasing destroys. */
    erase: {
      warning: eraseLoss,
      refusal: isCleaningBarcode(tape.barcode)
        ? "a cleaning cartridge cannot be erased"
        : (refusal ?? (tape.changerId ? null : "it is in no changer; load it into a library to erase it")),
    },
    mediaSet,
    reuse,
    /** The states an operator may give it by hand here (tape-transition.ts decides). */
    stateChoices: stateChoices(tape),
    /** Runs waiting for this tape, with their words. */
    waiting,
    /** Where the cartridge is kept, its moves between sites, and where it may be moved to. */
    site: site ? { id: site.id, name: site.name } : null,
    moves,
    moveTo: allSites
      .filter((s) => !s.retiredAt && s.id !== tape.siteId)
      .map((s) => ({ id: s.id, name: s.name })),
  };
}
