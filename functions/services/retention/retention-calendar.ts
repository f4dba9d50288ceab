import { Cron } from "croner";
import { and, asc, desc, eq, gte, inArray, ne, notInArray } from "drizzle-orm";
import { backupSets, jobs, mediaSets, pools, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { describePolicy, reusableFrom } from "../pools/pool-policy.ts";
import { siteWhere } from "../sites/site-scope.ts";
import { shownCapacity } from "../tapes/native-capacity.ts";
import { reuseRefusal } from "../tapes/reuse-refusal.ts";

const DAY_MS = 24 * 3600_000;
const day = (d: Date) => d.toISOString().slice(0, 10);

export type CalendarTape = {
  id: number;
  barcode: string;
  state: string;
  mediaSetId: number | null;
  usedBytes: number;
  capacityBytes: number | null;
  /** The capacity is the LTO generation's published figure, not the cartridge's own. */
  capacityNominal: boolean;
  /** When it may be reused; null: not on any known date (kept forever, or open). */
  reusableAt: Date | null;
  /** When it becomes reusable and what it holds, in words. */
  words: string;
};

export type CalendarWarning = {
  kind: "retention-shorter-than-cycle" | "reuse-would-break-chain" | "pool-runs-out";
  text: string;
};

export type PoolCalendar = {
  id: number;
  name: string;
  policy: ReturnType<typeof describePolicy>;
  mediaSets: {
    id: number;
    state: string;
    startedAt: Date;
    lastWrittenAt: Date | null;
    expiresAt: Date | null;
    sets: number;
    tapes: string[];
  }[];
  tapes: CalendarTape[];
  warnings: CalendarWarning[];
};

/**
 * Per pool and per tape: when each becomes reusable and what it holds, with the warnings an
 * operator who must never lose a retained backup needs before it happens.
 */
export async function retentionCalendar(ctx: ServiceCtx): Promise<PoolCalendar[]> {
  const now = ctx.now();
  // A site-scoped user sees the pools and tapes of their sites, as in the pools and tapes lists.
  const poolRows = await ctx.db.query.pools.findMany({
    where: siteWhere(ctx, { column: pools.siteId }, undefined),
    orderBy: asc(pools.name),
    limit: 200,
  });
  const out: PoolCalendar[] = [];
  for (const pool of poolRows) {
    const sets = await ctx.db.query.mediaSets.findMany({
      where: eq(mediaSets.poolId, pool.id),
      orderBy: desc(mediaSets.id),
      limit: 200,
    });
    const poolTapes = await ctx.db.query.tapes.findMany({
      where: and(eq(tapes.poolId, pool.id), siteWhere(ctx, { column: tapes.siteId }, undefined)),
      orderBy: asc(tapes.barcode),
    });
    const members = await ctx.db
      .select({ id: backupSets.id, mediaSetId: backupSets.mediaSetId })
      .from(backupSets)
      .where(eq(backupSets.poolId, pool.id));
    const byId = new Map(sets.map((s) => [s.id, s]));
    const calendarTapes: CalendarTape[] = [];
    for (const t of poolTapes) {
      const ms = t.mediaSetId !== null ? byId.get(t.mediaSetId) : undefined;
      let reusableAt: Date | null = null;
      let words: string;
      if (t.state === "retired" || t.state === "offsite")
        words = `${t.state}: not reused while it is ${t.state}`;
      else if (t.state === "expired") {
        const refusal = await reuseRefusal(ctx, t.id);
        reusableAt = refusal ? null : now;
        words = refusal
          ? `expired, but kept: ${refusal}`
          : "expired: reusable now, it is relabelled when a run needs it";
      } else if (!ms)
        words = t.uuid
          ? "free: labelled, in no media set; the next run may write it"
          : "blank: labelled when a run needs it";
      else if (ms.state === "open") {
        const earliest = reusableFrom(pool, ms.lastWrittenAt ?? ms.startedAt);
        words = earliest
          ? `in open media set #${ms.id}: reusable no sooner than ${day(earliest)}, and later while runs still add to the set`
          : `in open media set #${ms.id}: kept forever`;
      } else {
        reusableAt = ms.expiresAt;
        words = ms.expiresAt
          ? `in media set #${ms.id}, retained until ${day(ms.expiresAt)}; reusable from then if nothing retained depends on it`
          : `in media set #${ms.id}: kept forever`;
      }
      calendarTapes.push({
        id: t.id,
        barcode: t.barcode,
        state: t.state,
        mediaSetId: t.mediaSetId,
        usedBytes: t.usedBytes,
        ...shownCapacity(t),
        reusableAt,
        words,
      });
    }
    out.push({
      id: pool.id,
      name: pool.name,
      policy: describePolicy(pool),
      mediaSets: sets.map((s) => ({
        id: s.id,
        state: s.state,
        startedAt: s.startedAt,
        lastWrittenAt: s.lastWrittenAt,
        expiresAt: s.expiresAt,
        sets: members.filter((m) => m.mediaSetId === s.id).length,
        tapes: poolTapes.filter((t) => t.mediaSetId === s.id).map((t) => t.barcode),
      })),
      tapes: calendarTapes,
      warnings: await warningsFor(ctx, pool, sets, calendarTapes, now),
    });
  }
  return out;
}

async function warningsFor(
  ctx: ServiceCtx,
  pool: typeof pools.$inferSelect,
  sets: (typeof mediaSets.$inferSelect)[],
  calendarTapes: CalendarTape[],
  now: Date,
): Promise<CalendarWarning[]> {
  const warnings: CalendarWarning[] = [];
  const poolJobs = await ctx.db.query.jobs.findMany({
    where: and(eq(jobs.poolId, pool.id), eq(jobs.kind, "backup")),
  });
  // 1. Retention shorter than the full-backup cycle: a chain would outlive the full it starts from.
  for (const job of poolJobs) {
    if (pool.retention === "keep" || job.backupType === "full") continue;
    const cycle = job.fullSchedule ? cycleMs(job.fullSchedule, now) : null;
    if (cycle === null)
      warnings.push({
        kind: "retention-shorter-than-cycle",
        text: `Job ${job.name} is ${job.backupType} with no full schedule: its chain never starts again, so its media sets are held past their ${pool.retentionDays}-day retention for as long as the chain grows`,
      });
    else if (pool.retentionDays * DAY_MS < cycle)
      warnings.push({
        kind: "retention-shorter-than-cycle",
        text: `Pool ${pool.name} keeps media sets ${pool.retentionDays} day(s), shorter than job ${job.name}'s full cycle of ${Math.round(cycle / DAY_MS)} day(s): a full is held past its retention until the incrementals built on it expire`,
      });
  }
  // 2. A media set past its retention that a retained set still builds on: reusing it would break the chain.
  for (const s of sets.filter((m) => m.state === "closed" && m.expiresAt && m.expiresAt <= now)) {
    const ids = (
      await ctx.db.select({ id: backupSets.id }).from(backupSets).where(eq(backupSets.mediaSetId, s.id))
    ).map((r) => r.id);
    if (ids.length === 0) continue;
    const dependent = await ctx.db.query.backupSets.findFirst({
      where: and(
        inArray(backupSets.baseSetId, ids),
        notInArray(backupSets.id, ids),
        ne(backupSets.state, "expired"),
      ),
    });
    if (dependent)
      warnings.push({
        kind: "reuse-would-break-chain",
        text: `Media set #${s.id} is past its retention (${day(s.expiresAt as Date)}) but set #${dependent.id}${dependent.mediaSetId ? ` in media set #${dependent.mediaSetId}` : ""} is built on it: reusing its tapes would break that incremental chain, so they are kept until it expires`,
      });
  }
  // 3. The pool runs out of tapes before the next expiry gives one back.
  if (pool.allocation !== "continue") {
    const usable = calendarTapes.filter(
      (t) =>
        (t.state === "expired" && t.reusableAt !== null) ||
        (t.mediaSetId === null && (t.state === "active" || t.state === "blank")),
    ).length;
    const nextExpiry = sets
      .filter((m) => m.state === "closed" && m.expiresAt && m.expiresAt > now)
      .map((m) => m.expiresAt as Date)
      .sort((a, b) => a.getTime() - b.getTime())[0];
    const horizon = nextExpiry ?? new Date(now.getTime() + Math.max(pool.retentionDays, 7) * DAY_MS);
    const needed = newSetsBefore(pool, poolJobs, now, horizon);
    const perSet = await tapesPerMediaSet(ctx, pool.id, now);
    const want = needed * perSet;
    if (want > usable)
      warnings.push({
        kind: "pool-runs-out",
        text: `Pool ${pool.name} will run out of tapes: ${usable} usable tape(s) left, but ${want} needed for ${needed} new media set(s) before ${nextExpiry ? `the next expiry on ${day(nextExpiry)}` : day(horizon)} (projected from the last runs); add tapes to the pool`,
      });
  }
  return warnings;
}

function cycleMs(expr: string, now: Date): number | null {
  try {
    const [a, b] = new Cron(expr, { paused: true }).nextRuns(2, now);
    return a && b ? b.getTime() - a.getTime() : null;
  } catch {
    return null;
  }
}

/** How many media sets the pool will start between now and `until`, from its allocation and its jobs' schedules. */
function newSetsBefore(
  pool: typeof pools.$inferSelect,
  poolJobs: (typeof jobs.$inferSelect)[],
  now: Date,
  until: Date,
): number {
  const expr = pool.allocation === "calendar" ? pool.allocationCalendar : null;
  const exprs = expr ? [expr] : poolJobs.flatMap((j) => (j.enabled && j.schedule ? [j.schedule] : []));
  let count = 0;
  for (const e of exprs) {
    try {
      count += new Cron(e, { paused: true }).nextRuns(1000, now).filter((d) => d <= until).length;
    } catch {
      // An invalid expression starts nothing; the pool and job forms refuse one anyway.
    }
  }
  return count;
}

/** Tapes a media set of the pool took lately (at least one). */
async function tapesPerMediaSet(ctx: ServiceCtx, poolId: number, now: Date): Promise<number> {
  const recent = await ctx.db.query.mediaSets.findMany({
    where: and(eq(mediaSets.poolId, poolId), gte(mediaSets.startedAt, new Date(now.getTime() - 60 * DAY_MS))),
    limit: 10,
  });
  if (recent.length === 0) return 1;
  const counts = await Promise.all(
    recent.map(async (m) => {
      const rows = await ctx.db.select({ id: tapes.id }).from(tapes).where(eq(tapes.mediaSetId, m.id));
      return rows.length;
    }),
  );
  return Math.max(1, Math.ceil(counts.reduce((a, b) => a + b, 0) / recent.length));
}
