import { and, eq, inArray, isNotNull, isNull, ne } from "drizzle-orm";
import { MAX_SPARE_TAPES, type TapeTarget } from "../../../contracts/agent-protocol.ts";
import { backupSetSegments, backupSets, drives, jobRuns, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { target } from "./dispatch-runs.ts";

const WRITABLE = ["active", "blank"] as const;

/**
 * The tapes a backup run waiting for a tape may continue on now: labelled, writable tapes of
 * its pool that no other unfinished run holds and this set has not written, in the set's media
 * set or in none (a tape of another media set is never appended to), which the run's
 * drive can reach (in it, or anywhere in its changer; any tape when the drive has no changer,
 * since the operator may insert one). The hub alone decides this; the agent still reads each
 * tape's label and refuses any that is not the one named here.
 */
export async function listSpareTapes(
  ctx: ServiceCtx,
  run: { id: number; driveId: number | null; setId: number | null },
  poolId: number,
): Promise<TapeTarget[]> {
  const drive = run.driveId
    ? await ctx.db.query.drives.findFirst({ where: eq(drives.id, run.driveId) })
    : undefined;
  if (!drive) return [];
  const pool = await ctx.db.query.tapes.findMany({
    where: and(
      eq(tapes.poolId, poolId),
      inArray(tapes.state, [...WRITABLE]),
      isNotNull(tapes.uuid),
      eq(tapes.writeProtected, false),
    ),
    orderBy: (t, { asc }) => asc(t.id),
  });
  if (pool.length === 0) return [];
  const set = run.setId
    ? await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, run.setId) })
    : undefined;
  const mediaSetId = set?.mediaSetId ?? null;
  const held = await ctx.db
    .select({ tapeId: jobRuns.currentTapeId })
    .from(jobRuns)
    .where(and(isNull(jobRuns.finishedAt), ne(jobRuns.id, run.id), isNotNull(jobRuns.currentTapeId)));
  const written = run.setId
    ? await ctx.db
        .select({ tapeId: backupSetSegments.tapeId })
        .from(backupSetSegments)
        .where(eq(backupSetSegments.setId, run.setId))
    : [];
  const taken = new Set([...held, ...written].map((r) => r.tapeId));
  // A tape in another drive is reachable only when that drive is idle and the agent's changer
  // can move it safely: the vtl's drive locks say whether the drive is in use; mtx cannot.
  const otherDrives = await ctx.db.query.drives.findMany({
    where: drive.changerId === null ? eq(drives.id, -1) : eq(drives.changerId, drive.changerId),
  });
  const idle = new Set(otherDrives.filter((d) => d.state === "idle").map((d) => d.id));
  const reachable = pool.filter((t) => {
    if (taken.has(t.id)) return false;
    if (t.mediaSetId !== null && t.mediaSetId !== mediaSetId) return false;
    if (t.driveId === drive.id) return true;
    if (drive.changerId === null) return t.driveId === null;
    if (t.changerId !== drive.changerId) return false;
    return t.driveId === null || (drive.devicePath.startsWith("vtl:") && idle.has(t.driveId));
  });
  return reachable.slice(0, MAX_SPARE_TAPES).map(target);
}
