import { and, eq, inArray, isNotNull, isNull, ne, or } from "drizzle-orm";
import { backupSets, jobRuns, jobs, type pools, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { poolRefusesTape } from "../pools/pool-policy.ts";
import { type MediaSetDecision, mediaSetDecision } from "./media-set-decision.ts";

type TapeRow = typeof tapes.$inferSelect;

export type RunTapePlan = {
  decision: MediaSetDecision;
  /** The media set the run writes into; null: a new one is opened when the run is claimed. */
  mediaSetId: number | null;
  /** Labelled tapes it may write now: its media set's own first, then free tapes of the pool. */
  usable: TapeRow[];
  /** Tapes that become usable once (re)labelled: blank ones (the pool's, then of no pool), then expired ones (reuse-checked then). */
  preparable: TapeRow[];
  /** Tapes of the pool another unfinished run holds, and which run. */
  reserved: Map<number, { runId: number; job: string }>;
  /** The pool's tapes that are offsite or exported: never written while away, said so. */
  away: TapeRow[];
  why: string;
};

/** States a backup may append to. */
const WRITABLE = ["active", "blank"] as const;

/**
 * The tapes a backup run of `pool` may write, as the pool's allocation policy decides: the open
 * media set's writable tapes (or none when a new set starts), then labelled tapes in no media
 * set. A run re-dispatched before it wrote keeps the media set its backup set was given.
 */
export async function planRunTapes(
  ctx: ServiceCtx,
  pool: typeof pools.$inferSelect,
  run: { id: number; setId: number | null } | null,
  /** When the run starts: now for dispatch, the scheduled time for a pre-flight. */
  at: Date = ctx.now(),
): Promise<RunTapePlan> {
  const now = at;
  const set = run?.setId
    ? await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, run.setId) })
    : undefined;
  const decision = await mediaSetDecision(ctx, pool, now);
  const mediaSetId = set?.mediaSetId ?? (decision.startsNew ? null : (decision.current?.id ?? null));
  // The pool's tapes, and blank tapes of no pool, which a pool takes when its rules accept them.
  const poolTapes = await ctx.db.query.tapes.findMany({
    where: or(
      eq(tapes.poolId, pool.id),
      and(isNull(tapes.poolId), eq(tapes.state, "blank"), isNull(tapes.uuid)),
    ),
    orderBy: (t, { asc }) => asc(t.id),
  });
  const accepted = poolTapes.filter((t) => poolRefusesTape(pool, t) === null && !t.writeProtected);
  const usable = accepted
    .filter(
      (t) =>
        t.poolId === pool.id &&
        (WRITABLE as readonly string[]).includes(t.state) &&
        t.uuid !== null &&
        (t.mediaSetId === null || t.mediaSetId === mediaSetId),
    )
    .sort(
      (a, b) =>
        Number(b.mediaSetId === mediaSetId && mediaSetId !== null) -
          Number(a.mediaSetId === mediaSetId && mediaSetId !== null) || a.id - b.id,
    );
  const blank = accepted
    .filter((t) => t.state === "blank" && t.uuid === null)
    .sort((a, b) => Number(b.poolId === pool.id) - Number(a.poolId === pool.id) || a.id - b.id);
  const expired = pool.allowReuse
    ? accepted
        .filter((t) => t.state === "expired" && t.poolId === pool.id)
        .sort((a, b) => (a.lastWrittenAt?.getTime() ?? 0) - (b.lastWrittenAt?.getTime() ?? 0))
    : [];
  const holders = await ctx.db
    .select({ tapeId: jobRuns.currentTapeId, runId: jobRuns.id, job: jobs.name })
    .from(jobRuns)
    .innerJoin(jobs, eq(jobs.id, jobRuns.jobId))
    .where(
      and(
        isNull(jobRuns.finishedAt),
        isNotNull(jobRuns.currentTapeId),
        run ? ne(jobRuns.id, run.id) : undefined,
        inArray(
          jobRuns.currentTapeId,
          poolTapes.map((t) => t.id),
        ),
      ),
    );
  const reserved = new Map(holders.map((h) => [h.tapeId as number, { runId: h.runId, job: h.job }]));
  const why = set?.mediaSetId ? `its backup set is in media set #${set.mediaSetId}` : decision.why;
  const away = poolTapes.filter((t) => t.state === "offsite" || t.state === "exported");
  return { decision, mediaSetId, usable, preparable: [...blank, ...expired], reserved, away, why };
}

/** "; not written while away: TB0003L9 (offsite at Vault)", or nothing when no tape is away. */
export function awayWords(away: TapeRow[]): string {
  if (away.length === 0) return "";
  const named = away
    .slice(0, 5)
    .map((t) => `${t.barcode} (${t.state}${t.location ? ` at ${t.location}` : ""})`)
    .join(", ");
  return `; not written while away: ${named}${away.length > 5 ? ` and ${away.length - 5} more` : ""}`;
}
