import { and, desc, eq, inArray } from "drizzle-orm";
import { agents, drives, jobRuns, pools, sites, sources } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { getJob } from "../jobs/get-job.ts";
import { awayWords, planRunTapes, type RunTapePlan } from "../media-sets/plan-run-tapes.ts";
import { scheduledBackupType } from "../runs/scheduled-backup-type.ts";
import { capacityOf } from "../tapes/native-capacity.ts";
import { reuseRefusal } from "../tapes/reuse-refusal.ts";

export type PreflightTape = {
  barcode: string;
  state: string;
  /** Where it is, in words. */
  where: string;
  /** What the run would do with it: continue it, take a free one, label a blank, reuse an expired one. */
  use: string;
  ready: boolean;
  note: string | null;
  freeBytes: number | null;
};

export type Preflight = {
  jobId: number;
  job: string;
  runAt: Date | null;
  backupType: string;
  pool: string;
  mediaSet: string;
  expectedBytes: number | null;
  tapes: PreflightTape[];
  ready: boolean;
  /** The one thing the operator must do, in words; null when ready. */
  problem: string | null;
};

const CLEANING = /clean/i;
const hhmm = (d: Date) => d.toISOString().slice(11, 16);
const gb = (n: number) => `${(n / 1e9).toFixed(n < 1e9 ? 3 : 1)} GB`;

/**
 * Which tape(s) the job's next run will write and whether they can be had now: in a drive or a
 * changer slot of the source's agent, write-enabled, with no drive asking for cleaning, and
 * with room for what the last runs of that type wrote. Answers for the API and the tick alike.
 */
export async function planPreflight(ctx: ServiceCtx, jobId: number, at?: Date): Promise<Preflight> {
  const job = await getJob(ctx, jobId);
  if (job.kind !== "backup" || !job.poolId || !job.sourceId)
    throw new AppError("validation_failed", `Job ${job.name} writes no tape; pre-flight is for backup jobs`);
  const runAt = at ?? job.nextRunAt ?? null;
  const when = runAt ?? ctx.now();
  const pool = await ctx.db.query.pools.findFirst({ where: eq(pools.id, job.poolId) });
  const source = await ctx.db.query.sources.findFirst({ where: eq(sources.id, job.sourceId) });
  if (!pool || !source) throw new AppError("validation_failed", `Job ${job.name} has no pool or source`);
  const backupType = await scheduledBackupType(ctx, job, when);
  const plan = await planRunTapes(ctx, pool, null, when);
  const expectedBytes = await expectedBytesOf(ctx, job.id, backupType);
  const agentRows = await ctx.db
    .select({ id: agents.id, name: agents.name, site: sites.name })
    .from(agents)
    .leftJoin(sites, eq(sites.id, agents.siteId))
    .where(source.agentId ? eq(agents.id, source.agentId) : undefined);
  const agentIds = agentRows.map((a) => a.id);
  const driveRows =
    agentIds.length === 0
      ? []
      : await ctx.db.query.drives.findMany({ where: inArray(drives.agentId, agentIds) });
  const changerIds = new Set(driveRows.map((d) => d.changerId).filter((c) => c !== null));
  const library = agentRows[0]
    ? `the library of agent ${agentRows[0].name}${agentRows[0].site ? ` at site ${agentRows[0].site}` : ""}`
    : "a library of an online agent";

  const candidates: PreflightTape[] = [];
  const consider = [
    ...plan.usable.map((t) => ({
      t,
      use: t.mediaSetId !== null ? `continues media set #${t.mediaSetId}` : "a labelled tape in no media set",
    })),
    ...plan.preparable.map((t) => ({
      t,
      use: t.state === "expired" ? "reused (relabelled) after the reuse check" : "labelled first (blank)",
    })),
  ];
  for (const { t, use } of consider) {
    if (t.state === "expired" && (await reuseRefusal(ctx, t.id)) !== null) continue;
    const drive = driveRows.find((d) => d.id === t.driveId);
    const inLibrary = drive !== undefined || (t.changerId !== null && changerIds.has(t.changerId));
    const where = drive
      ? `loaded in ${drive.name}`
      : inLibrary
        ? `in changer slot ${t.slot ?? "?"}`
        : (t.location ?? "not in the library");
    const reach = driveRows.filter(
      (d) => d.id === t.driveId || (d.changerId !== null && d.changerId === t.changerId),
    );
    const cleaning = reach.find((d) => (d.alerts ?? []).some((a) => CLEANING.test(a)));
    const capacity = capacityOf(t);
    const freeBytes =
      capacity !== null ? Math.max(0, capacity - (t.state === "expired" ? 0 : t.usedBytes)) : null;
    const note = !inLibrary
      ? "missing"
      : t.writeProtected
        ? "write-protected"
        : cleaning
          ? `${cleaning.name} asks for cleaning`
          : null;
    candidates.push({
      barcode: t.barcode,
      state: t.state,
      where,
      use,
      ready: note === null,
      note,
      freeBytes,
    });
  }
  const any = `any blank ${pool.generation ?? "LTO"} tape${pool.barcodePrefix ? ` with a barcode starting ${pool.barcodePrefix}` : ""}`;
  const by = runAt ? ` before ${hhmm(runAt)}` : "";
  const forJob = `for job ${job.name}`;
  const ready = candidates.filter((c) => c.ready);
  let problem: string | null = null;
  if (ready.length === 0) {
    const first = candidates[0];
    if (!first) problem = `Insert ${any} into ${library}${by} ${forJob}, and label it into pool ${pool.name}`;
    else if (first.note === "missing")
      problem = `Insert ${first.barcode} or ${any} into ${library}${by} ${forJob}`;
    else if (first.note === "write-protected")
      problem = `Tape ${first.barcode} is write-protected: slide its tab back, or insert ${any} into ${library}${by} ${forJob}`;
    else
      problem = `${first.note}: load a cleaning cartridge${by} ${forJob} (it would write ${first.barcode})`;
  } else if (expectedBytes !== null && ready.every((c) => c.freeBytes !== null)) {
    const room = ready.reduce((n, c) => n + (c.freeBytes ?? 0), 0);
    if (room < expectedBytes)
      problem = `The run is expected to write ${gb(expectedBytes)} but the tapes at hand (${ready.map((c) => c.barcode).join(", ")}) have ${gb(room)} free: insert ${any} into ${library}${by} ${forJob}`;
  }
  return {
    jobId: job.id,
    job: job.name,
    runAt,
    backupType,
    pool: pool.name,
    mediaSet: plan.decision.startsNew
      ? `a new media set (${plan.why})`
      : `media set #${plan.mediaSetId} (${plan.why})`,
    expectedBytes,
    tapes: [...candidates.slice(0, 10), ...plan.away.slice(0, 5).map(awayTape)],
    ready: problem === null,
    problem: problem && `${problem}${awayWords(plan.away)}`,
  };
}

/** A tape of the pool that is offsite or exported: listed so the operator sees it is not taken. */
const awayTape = (t: RunTapePlan["away"][number]): PreflightTape => ({
  barcode: t.barcode,
  state: t.state,
  where: t.location ?? t.state,
  use: "not written while it is away",
  ready: false,
  note: t.state,
  freeBytes: null,
});

/** The mean of what the job's last three finished runs of this type wrote; null with none yet. */
async function expectedBytesOf(ctx: ServiceCtx, jobId: number, backupType: string): Promise<number | null> {
  const last = await ctx.db.query.jobRuns.findMany({
    where: and(
      eq(jobRuns.jobId, jobId),
      eq(jobRuns.kind, "backup"),
      eq(jobRuns.backupType, backupType as "full"),
      inArray(jobRuns.state, ["completed", "completed-with-warnings"]),
    ),
    orderBy: desc(jobRuns.id),
    limit: 3,
  });
  if (last.length === 0) return null;
  return Math.round(last.reduce((n, r) => n + r.bytesDone, 0) / last.length);
}
