import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import type { BackupOrderBody, TapeTarget } from "../../../contracts/agent-protocol.ts";
import {
  backupSets,
  type drives,
  encryptionKeys,
  jobRuns,
  type sources,
  type tapes,
} from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { openMediaSet } from "../media-sets/open-media-set.ts";
import { awayWords, planRunTapes, type RunTapePlan } from "../media-sets/plan-run-tapes.ts";
import { queueOrder } from "../orders/queue-order.ts";
import { getJobDefaults } from "../settings/get-job-defaults.ts";
import { guestSpecOf } from "../sources/guest-spec-of.ts";
import { prepareTape } from "../tapes/prepare-tape.ts";
import { baseSetFor } from "./base-set.ts";
import { claimDriveAndTape } from "./claim-drive-and-tape.ts";
import { dispatchWaitingReads } from "./dispatch-reads.ts";
import { idleDrives, onlineAgents, reaches } from "./idle-drives.ts";

type TapeRow = typeof tapes.$inferSelect;
type SourceRow = typeof sources.$inferSelect;

/** A catalog job's "source": the agent replaces the path with the hub's snapshot it fetches. */
const CATALOG_SOURCE = {
  agentId: null,
  name: "the hub catalog",
  paths: ["/tapebackarr-catalog"],
  include: [],
  exclude: [],
} satisfies Pick<SourceRow, "agentId" | "name" | "paths" | "include" | "exclude">;
type DriveRow = typeof drives.$inferSelect;

/**
 * Gives queued backup runs to agents: a run needs an online agent that sees its source, an idle
 * drive of that agent, and a labelled, writable tape of the job's pool either in that drive or
 * in a slot of its changer. A run that cannot start stays queued with words for the operator.
 * Then the restores and verifies waiting for their tape get their turn (dispatch-reads.ts).
 * Safe to call from any hub instance at any time (each run is claimed conditionally).
 */
export async function dispatchQueuedRuns(ctx: ServiceCtx): Promise<void> {
  const queued = await ctx.db.query.jobRuns.findMany({
    where: and(eq(jobRuns.state, "queued"), eq(jobRuns.kind, "backup"), isNull(jobRuns.agentId)),
    orderBy: asc(jobRuns.queuedAt),
    limit: 20,
  });
  for (const run of queued) await dispatchRun(ctx, run);
  await dispatchWaitingReads(ctx);
}

async function dispatchRun(ctx: ServiceCtx, run: typeof jobRuns.$inferSelect): Promise<void> {
  const job = await ctx.db.query.jobs.findFirst({ where: (j, { eq }) => eq(j.id, run.jobId) });
  const source =
    job?.kind === "catalog"
      ? CATALOG_SOURCE
      : job?.sourceId
        ? await ctx.db.query.sources.findFirst({ where: (s, { eq }) => eq(s.id, job.sourceId as number) })
        : undefined;
  const pool = job?.poolId
    ? await ctx.db.query.pools.findFirst({ where: (p, { eq }) => eq(p.id, job.poolId as number) })
    : undefined;
  if (!job || !source || !pool) return say(ctx, run, "The job's source or pool is gone; edit the job");
  // A catalog job has no source row: the agent backs up the hub's snapshot, never guests.
  const guests = "kind" in source ? await guestSpecOf(ctx, source, job.guests) : undefined;
  if (typeof guests === "string") return say(ctx, run, guests);
  const key = await keyForSets(ctx, job, pool);
  if (key?.retiredAt)
    return say(ctx, run, `Key ${key.name} is retired: rotate pool ${pool.name}'s key or edit the job`);

  const candidates = (await onlineAgents(ctx)).filter((a) => !source.agentId || a.id === source.agentId);
  if (candidates.length === 0) {
    return say(
      ctx,
      run,
      source.agentId ? `Agent of source ${source.name} is offline` : "No drive-agent is online",
    );
  }
  const plan = await planRunTapes(ctx, pool, run);
  const idle = new Map<string, DriveRow[]>();
  for (const agent of candidates) idle.set(agent.id, await idleDrives(ctx, agent.id));
  for (const agent of candidates) {
    for (const drive of idle.get(agent.id) ?? []) {
      const reachable = plan.usable.filter((t) => reaches(drive, t) && !plan.reserved.has(t.id));
      const first = reachable.find((t) => t.driveId === drive.id) ?? reachable[0];
      if (!first) continue;
      const issued = await claimAndIssue(ctx, run, {
        job,
        key,
        source,
        guests,
        pool,
        agentId: agent.id,
        drive,
        first,
        more: reachable.filter((t) => t.id !== first.id),
        plan,
      });
      if (issued) return;
    }
  }
  // No tape it may write is within reach of an idle drive: prepare one the pool may take
  // (label a blank one, relabel an expired one after the reuse check), or say what is missing.
  const refusals: string[] = [];
  for (const agent of candidates) {
    for (const drive of idle.get(agent.id) ?? []) {
      for (const tape of plan.preparable.filter((t) => reaches(drive, t))) {
        const refusal = await prepareTape(ctx, tape, drive, pool);
        if (refusal !== null) {
          refusals.push(refusal);
          continue;
        }
        const doing =
          tape.state === "expired" ? "relabelling an expired tape for reuse" : "labelling a blank tape";
        return say(ctx, run, `Preparing tape ${tape.barcode} (${doing}) on ${drive.name}`);
      }
    }
  }
  const heldBy = plan.usable.find((t) => plan.reserved.has(t.id));
  if (heldBy) {
    const holder = plan.reserved.get(heldBy.id);
    return say(
      ctx,
      run,
      `Waiting for tape ${heldBy.barcode}: run #${holder?.runId} of job ${holder?.job} has it reserved`,
    );
  }
  const names = plan.usable.slice(0, 5).map((t) => t.barcode);
  await say(
    ctx,
    run,
    names.length > 0
      ? `Waiting for a tape of pool ${pool.name}: insert ${names.join(", ")} into a drive or changer of an online agent, or wait for a busy drive${awayWords(plan.away)}`
      : `Pool ${pool.name} has no tape this run may write (${plan.why}): label a blank tape into pool ${pool.name}${refusals[0] ? `; no expired tape may be reused yet: ${refusals[0]}` : ""}${awayWords(plan.away)}`,
  );
}

export const target = (t: TapeRow): TapeTarget => ({
  barcode: t.barcode,
  label: t.label ?? t.barcode,
  uuid: t.uuid ?? "",
  nextFile: t.fileCount > 0 ? t.fileCount : null,
});

async function claimAndIssue(
  ctx: ServiceCtx,
  run: typeof jobRuns.$inferSelect,
  pick: {
    job: NonNullable<Awaited<ReturnType<ServiceCtx["db"]["query"]["jobs"]["findFirst"]>>>;
    key: KeyRow | undefined;
    source: Pick<SourceRow, "agentId" | "name" | "paths" | "include" | "exclude">;
    guests: BackupOrderBody["guests"];
    pool: NonNullable<Awaited<ReturnType<ServiceCtx["db"]["query"]["pools"]["findFirst"]>>>;
    agentId: string;
    drive: DriveRow;
    first: TapeRow;
    more: TapeRow[];
    plan: RunTapePlan;
  },
): Promise<boolean> {
  const { job, key, source, guests, pool, agentId, drive, first, more, plan } = pick;
  const encryption = key ? "aes-256-gcm" : "none";
  if (!(await claimDriveAndTape(ctx, run.id, { agentId, driveId: drive.id, tapeId: first.id }))) return false;
  const mediaSetId = plan.mediaSetId ?? (await openMediaSet(ctx, pool, plan.decision)).id;

  const set = await setForRun(
    ctx,
    run,
    { ...job, encryption },
    pool.id,
    key?.fingerprint ?? null,
    mediaSetId,
  );
  const base = set.baseSetId
    ? await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, set.baseSetId) })
    : undefined;
  const body: BackupOrderBody = {
    kind: "backup",
    runId: run.id,
    job: { id: job.id, name: job.name },
    set: {
      uuid: set.uuid,
      backupType: set.backupType,
      changedSince: base ? base.startedAt.toISOString() : null,
      baseSetUuid: base?.uuid ?? null,
    },
    source: { paths: source.paths, include: source.include, exclude: source.exclude },
    ...(guests ? { guests } : {}),
    pool: { id: pool.id, name: pool.name },
    compression: job.compression,
    encryption: {
      algorithm: encryption,
      keyFingerprint: key?.fingerprint ?? null,
      dataKeyJwe: null,
      wrappedKey: key?.tapeCopy ?? null,
    },
    blockSize: set.blockSize,
    drive: { devicePath: drive.devicePath },
    tape: target(first),
    continuationTapes: more.map(target),
    allowEmpty: job.allowEmpty,
    catalogSnapshot: job.kind === "catalog",
    expected: await expectedTotals(ctx, job.id, set.backupType),
  };
  await queueOrder(ctx, agentId, body, { encryptionKeyId: key?.id ?? null });
  return true;
}

type KeyRow = typeof encryptionKeys.$inferSelect;

/**
 * The key the run's set is encrypted with: the pool's current key when it has one (every set of
 * the pool then uses it, docs/adr/0013), else the job's own key when the job is encrypted.
 */
async function keyForSets(
  ctx: ServiceCtx,
  job: { encryption: string; encryptionKeyId: number | null },
  pool: { encryptionKeyId: number | null },
): Promise<KeyRow | undefined> {
  const id = pool.encryptionKeyId ?? (job.encryption === "aes-256-gcm" ? job.encryptionKeyId : null);
  if (id === null) return undefined;
  return ctx.db.query.encryptionKeys.findFirst({ where: eq(encryptionKeys.id, id) });
}

/** The run's set: made once, reused if the run is handed out again before it wrote anything. */
async function setForRun(
  ctx: ServiceCtx,
  run: typeof jobRuns.$inferSelect,
  job: { id: number; compression: string; encryption: string },
  poolId: number,
  /** Recorded with the set: a restore finds its key by it (and a scan of its tapes reads it back). */
  keyFingerprint: string | null,
  mediaSetId: number,
) {
  if (run.setId) {
    const existing = await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, run.setId) });
    if (existing) return existing;
  }
  const base = await baseSetFor(ctx, job.id, run.backupType ?? "full");
  const now = ctx.now();
  const [set] = await ctx.db
    .insert(backupSets)
    .values({
      uuid: crypto.randomUUID(),
      jobId: job.id,
      runId: run.id,
      poolId,
      mediaSetId,
      backupType: base ? (run.backupType ?? "full") : "full",
      baseSetId: base?.id ?? null,
      state: "writing",
      compression: job.compression,
      encryption: job.encryption,
      // The hub default at the time the set starts; the set keeps it (readers need it).
      blockSize: (await getJobDefaults(ctx)).blockSize,
      encryptionKeyFingerprint: keyFingerprint,
      startedAt: now,
      createdAt: now,
    })
    .returning();
  if (!set) throw new Error("backup set insert returned nothing");
  await ctx.db.update(jobRuns).set({ setId: set.id }).where(eq(jobRuns.id, run.id));
  return set;
}

/** What the job's last successful run of this type backed up: the agent's first estimate. */
async function expectedTotals(
  ctx: ServiceCtx,
  jobId: number,
  backupType: BackupOrderBody["set"]["backupType"],
): Promise<BackupOrderBody["expected"]> {
  const last = await ctx.db.query.jobRuns.findFirst({
    where: and(
      eq(jobRuns.jobId, jobId),
      eq(jobRuns.kind, "backup"),
      eq(jobRuns.backupType, backupType),
      inArray(jobRuns.state, ["completed", "completed-with-warnings"]),
    ),
    orderBy: (r, { desc }) => desc(r.id),
  });
  return last ? { files: last.filesDone, bytes: last.bytesDone } : null;
}

/** Words for the operator on a run that waits; no write when they are the ones it has (every poll dispatches). */
async function say(ctx: ServiceCtx, run: typeof jobRuns.$inferSelect, message: string): Promise<void> {
  if (run.operatorMessage === message) return;
  await ctx.db.update(jobRuns).set({ operatorMessage: message }).where(eq(jobRuns.id, run.id));
}
