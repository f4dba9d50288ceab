import { and, desc, eq, gte, inArray, isNotNull, isNull, or, sql } from "drizzle-orm";
import { agents, backupSets, drives, jobRuns, jobs, preflightChecks } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { toPublicAgent } from "../agents/to-public-agent.ts";
import { offsiteRotation } from "../media-sets/offsite-rotation.ts";
import { siteOf, siteOfRow } from "../sites/site-of.ts";
import { siteVisible } from "../sites/site-scope.ts";
import type { AttentionItem } from "./attention-item.ts";
import { driveCare } from "./drive-care.ts";

/** How far back a failed run still asks for attention when no later run of its job succeeded. */
const FAILED_RUN_WINDOW_MS = 7 * 24 * 3600_000;

const LIMIT = 20;

export type { AttentionItem };

/**
 * What needs an operator right now, shown on every page: runs waiting for a tape, drives
 * reporting TapeAlert flags, jobs whose latest run failed, enrolled agents that went quiet, sets
 * whose catalog does not hold all they wrote (with the rebuild to run), and scheduled runs whose
 * pre-flight found their tape cannot be had (what to insert, and by when), and media sets the
 * pools' offsite rotation asks to take out or bring back.
 */
export async function needsOperator(ctx: ServiceCtx): Promise<AttentionItem[]> {
  const items = await everyItem(ctx);
  // A site-scoped operator hears of their sites only.
  return ctx.sites ? items.filter((i) => siteVisible(ctx, i.siteId)) : items;
}

async function everyItem(ctx: ServiceCtx): Promise<AttentionItem[]> {
  const now = ctx.now();
  const later = sql`select 1 from ${jobRuns} as later where later.job_id = ${jobRuns.jobId}
    and later.id > ${jobRuns.id} and later.state in ('completed', 'completed-with-warnings')`;
  const [waiting, alerting, failed, agentRows, shortSets, care, preflights, rotation] = await Promise.all([
    ctx.db
      .select({
        id: jobRuns.id,
        job: jobs.name,
        message: jobRuns.operatorMessage,
        siteId: siteOfRow("run", jobRuns.id),
      })
      .from(jobRuns)
      .innerJoin(jobs, eq(jobs.id, jobRuns.jobId))
      .where(
        and(
          // On an agent asking for its tape, or a restore or verify the hub holds until it appears.
          or(
            eq(jobRuns.state, "waiting-for-tape"),
            and(eq(jobRuns.state, "queued"), isNotNull(jobRuns.pendingOrder)),
          ),
          isNull(jobRuns.finishedAt),
        ),
      )
      .orderBy(jobRuns.id)
      .limit(LIMIT),
    ctx.db
      .select({ name: drives.name, alerts: drives.alerts, agent: agents.name, siteId: agents.siteId })
      .from(drives)
      .innerJoin(agents, eq(agents.id, drives.agentId))
      .where(and(isNotNull(drives.alerts), sql`json_array_length(${drives.alerts}) > 0`))
      .limit(LIMIT),
    ctx.db
      .select({
        id: jobRuns.id,
        job: jobs.name,
        state: jobRuns.state,
        error: jobRuns.error,
        siteId: siteOfRow("run", jobRuns.id),
      })
      .from(jobRuns)
      .innerJoin(jobs, eq(jobs.id, jobRuns.jobId))
      .where(
        and(
          inArray(jobRuns.state, ["failed", "interrupted"]),
          gte(jobRuns.finishedAt, new Date(now.getTime() - FAILED_RUN_WINDOW_MS)),
          sql`not exists (${later})`,
        ),
      )
      .orderBy(desc(jobRuns.finishedAt))
      .limit(LIMIT),
    ctx.db.query.agents.findMany({ where: isNotNull(agents.publicKey), limit: 200 }),
    ctx.db
      .select({
        id: backupSets.id,
        job: jobs.name,
        problem: backupSets.catalogProblem,
        siteId: siteOfRow("set", backupSets.id),
      })
      .from(backupSets)
      .leftJoin(jobs, eq(jobs.id, backupSets.jobId))
      .where(and(eq(backupSets.state, "incomplete"), isNotNull(backupSets.catalogProblem)))
      .orderBy(desc(backupSets.id))
      .limit(LIMIT),
    driveCare(ctx),
    ctx.db
      .select({
        jobId: preflightChecks.jobId,
        problem: preflightChecks.problem,
        siteId: siteOfRow("job", preflightChecks.jobId),
      })
      .from(preflightChecks)
      .where(isNotNull(preflightChecks.problem))
      .orderBy(preflightChecks.runAt)
      .limit(LIMIT),
    offsiteRotation(ctx),
  ]);
  // Where each media set to carry is now, so a site-scoped operator hears of their sites' only.
  const rotationSites = await Promise.all(
    rotation.slice(0, LIMIT).map((r) => siteOf(ctx, "media-set", r.mediaSetId)),
  );
  return [
    ...preflights.map((p) => ({
      kind: "preflight" as const,
      text: p.problem ?? "",
      href: `/jobs/${p.jobId}`,
      siteId: p.siteId,
    })),
    ...waiting.map((r) => ({
      kind: "waiting-for-tape" as const,
      text: r.message?.startsWith("Waiting for ")
        ? `${r.job} (run #${r.id}) is w${r.message.slice(1)}`
        : `${r.job} (run #${r.id}) is waiting for a tape${r.message ? `: ${r.message}` : "."}`,
      href: `/runs/${r.id}`,
      siteId: r.siteId,
    })),
    ...rotation.slice(0, LIMIT).map((r, i) => ({
      kind: "offsite" as const,
      text: r.text,
      href: `/pools#pool-${r.poolId}`,
      siteId: rotationSites[i],
    })),
    ...alerting.map((d) => ({
      kind: "drive-alert" as const,
      text: `${d.name} on ${d.agent} reports ${(d.alerts ?? []).join(", ")}`,
      href: "/agents",
      siteId: d.siteId,
    })),
    ...care,
    ...failed.map((r) => ({
      kind: "failed-run" as const,
      text: `${r.job} (run #${r.id}) ${r.state}${r.error ? `: ${r.error}` : ""}`,
      href: `/runs/${r.id}`,
      siteId: r.siteId,
    })),
    ...agentRows
      .map((a) => toPublicAgent(a, now))
      .filter((a) => a.state === "offline")
      .map((a) => ({
        kind: "agent-offline" as const,
        text: `Agent ${a.name} has not been heard from since ${a.lastSeenAt?.toISOString() ?? "enrollment"}; its drives get no work.`,
        href: "/agents",
        siteId: a.siteId,
      })),
    ...agentRows
      .map((a) => toPublicAgent(a, now))
      .filter((a) => a.state !== "offline")
      .flatMap((a) =>
        a.warnings.map((text) => ({ kind: "agent-link" as const, text, href: "/agents", siteId: a.siteId })),
      ),
    ...shortSets.map((s) => ({
      kind: "set-incomplete" as const,
      text: `Set ${s.id}${s.job ? ` of ${s.job}` : ""} is incomplete: ${s.problem}`,
      href: "/restore",
      siteId: s.siteId,
    })),
  ];
}
