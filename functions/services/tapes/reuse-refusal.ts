import { and, eq, inArray, ne } from "drizzle-orm";
import { backupSetSegments, backupSets, jobs, mediaSets, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getTape } from "./get-tape.ts";

/** A chain is this deep at most (the hub never writes a loop in base_set_id). */
const MAX_CHAIN = 1000;

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : "an unknown day");

/**
 * Whether the tape may be erased or relabelled: null when nothing retained depends on it,
 * otherwise why not, in an operator's words naming the sets or chain that keep it. Every path
 * that overwrites a tape (label, relabel, reuse of an expired tape) asks this first.
 *
 * A tape is kept while: it is retired, offsite, exported or in error; its media set is not expired; it
 * holds a set that is not expired; a set on it is the base (directly or through a chain) of a
 * set that is not expired; or a set on it spans onto a tape whose media set is still retained.
 */
export async function reuseRefusal(ctx: ServiceCtx, tapeId: number): Promise<string | null> {
  const tape = await getTape(ctx, tapeId);
  if (["retired", "offsite", "exported", "error"].includes(tape.state))
    return `Tape ${tape.barcode} is ${tape.state}; only a tape in the library and in service is reused`;
  if (tape.mediaSetId !== null) {
    const set = await ctx.db.query.mediaSets.findFirst({ where: eq(mediaSets.id, tape.mediaSetId) });
    if (set && set.state !== "expired") {
      const until =
        set.state === "open"
          ? "which is still being written"
          : set.expiresAt
            ? `which is retained until ${day(set.expiresAt)}`
            : "which is kept forever";
      return `Tape ${tape.barcode} belongs to media set #${set.id}, ${until}`;
    }
  }
  const onTape = await ctx.db
    .selectDistinct({
      id: backupSets.id,
      state: backupSets.state,
      startedAt: backupSets.startedAt,
      job: jobs.name,
      mediaSetId: backupSets.mediaSetId,
    })
    .from(backupSetSegments)
    .innerJoin(backupSets, eq(backupSets.id, backupSetSegments.setId))
    .leftJoin(jobs, eq(jobs.id, backupSets.jobId))
    .where(eq(backupSetSegments.tapeId, tape.id));
  const kept = onTape.filter((s) => s.state !== "expired");
  if (kept.length > 0) {
    const names = kept.slice(0, 5).map((s) => `#${s.id} (${s.job ?? "a deleted job"}, ${day(s.startedAt)})`);
    return `Tape ${tape.barcode} holds ${kept.length} retained set(s): ${names.join(", ")}${kept.length > 5 ? ", ..." : ""}`;
  }
  const ids = onTape.map((s) => s.id);
  if (ids.length === 0) return null;
  const chain = await retainedDescendant(ctx, ids);
  if (chain)
    return `Tape ${tape.barcode} holds set #${chain.base}, the base of set #${chain.set} (${chain.job ?? "a deleted job"}, ${day(chain.startedAt)}), which is retained: reusing it would break that incremental chain`;
  const span = await ctx.db
    .select({ setId: backupSetSegments.setId, barcode: tapes.barcode, mediaSetState: mediaSets.state })
    .from(backupSetSegments)
    .innerJoin(tapes, eq(tapes.id, backupSetSegments.tapeId))
    .leftJoin(mediaSets, eq(mediaSets.id, tapes.mediaSetId))
    .where(and(inArray(backupSetSegments.setId, ids), ne(backupSetSegments.tapeId, tape.id)));
  const retainedSpan = span.find((s) => s.mediaSetState !== null && s.mediaSetState !== "expired");
  if (retainedSpan)
    return `Set #${retainedSpan.setId} on tape ${tape.barcode} spans onto ${retainedSpan.barcode}, which is retained: the tapes of one set are reused together`;
  return null;
}

/** The first set that is not expired and is built (through any chain) on one of `baseIds`. */
async function retainedDescendant(ctx: ServiceCtx, baseIds: number[]) {
  let frontier = baseIds;
  const seen = new Set(baseIds);
  for (let depth = 0; depth < MAX_CHAIN && frontier.length > 0; depth++) {
    const children = await ctx.db
      .select({
        id: backupSets.id,
        baseSetId: backupSets.baseSetId,
        state: backupSets.state,
        startedAt: backupSets.startedAt,
        job: jobs.name,
      })
      .from(backupSets)
      .leftJoin(jobs, eq(jobs.id, backupSets.jobId))
      .where(inArray(backupSets.baseSetId, frontier.slice(0, 90)));
    const retained = children.find((c) => c.state !== "expired");
    if (retained)
      return { base: retained.baseSetId, set: retained.id, job: retained.job, startedAt: retained.startedAt };
    frontier = [...frontier.slice(90), ...children.map((c) => c.id).filter((id) => !seen.has(id))];
    for (const id of frontier) seen.add(id);
  }
  return null;
}
