import { and, eq, gte, isNotNull, lte } from "drizzle-orm";
import { events, jobRuns, jobs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { needsOperator } from "../attention/needs-operator.ts";
import { localMinutes } from "../notify/quiet-hours.ts";
import { getScheduleZone } from "../settings/get-schedule-zone.ts";
import { eventInsert } from "./record-event.ts";

const DAY_MS = 24 * 3600_000;

const LIST = 10;

/**
 * Once a day, after `hour` in the hub's time zone (UTC until one is set), the summary of the last 24 h as one event: what ran, what
 * failed, what needs an operator now and which jobs run in the next 24 h. The local date is its
 * dedupe key, so each day has one whatever the number of hub instances.
 */
export async function recordDailySummary(ctx: ServiceCtx, hour: number): Promise<boolean> {
  const now = ctx.now();
  const zone = await getScheduleZone(ctx);
  if (localMinutes(now, zone) < hour * 60) return false;
  // en-CA writes a date as YYYY-MM-DD.
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(now);
  const dedupeKey = `summary.daily:${day}`;
  // Every tick asks; only the first after the hour composes it.
  const done = await ctx.db.query.events.findFirst({
    where: eq(events.dedupeKey, dedupeKey),
    columns: { id: true },
  });
  if (done) return false;
  const since = new Date(now.getTime() - DAY_MS);
  const [finished, upcoming, attention] = await Promise.all([
    ctx.db
      .select({
        id: jobRuns.id,
        state: jobRuns.state,
        kind: jobRuns.kind,
        job: jobs.name,
        error: jobRuns.error,
      })
      .from(jobRuns)
      .leftJoin(jobs, eq(jobs.id, jobRuns.jobId))
      .where(and(isNotNull(jobRuns.finishedAt), gte(jobRuns.finishedAt, since)))
      .orderBy(jobRuns.id)
      .limit(500),
    ctx.db
      .select({ name: jobs.name, at: jobs.nextRunAt })
      .from(jobs)
      .where(
        and(
          eq(jobs.enabled, true),
          isNotNull(jobs.nextRunAt),
          lte(jobs.nextRunAt, new Date(now.getTime() + DAY_MS)),
        ),
      )
      .orderBy(jobs.nextRunAt)
      .limit(LIST),
    needsOperator(ctx),
  ]);
  const ok = finished.filter((r) => r.state.startsWith("completed"));
  const bad = finished.filter((r) => r.state === "failed" || r.state === "interrupted");
  const lines = [
    `Last 24 h: ${finished.length} run${finished.length === 1 ? "" : "s"} finished, ${ok.length} completed, ${bad.length} failed or interrupted.`,
    ...bad
      .slice(0, LIST)
      .map(
        (r) => `- ${r.job ?? r.kind} (run #${r.id}) ${r.state}${r.error ? `: ${r.error.slice(0, 200)}` : ""}`,
      ),
    attention.length > 0 ? `Needs an operator now (${attention.length}):` : "Nothing needs an operator now.",
    ...attention.slice(0, LIST).map((a) => `- ${a.text}`),
    upcoming.length > 0 ? "Next 24 h:" : "No scheduled job runs in the next 24 h.",
    ...upcoming.map((j) => `- ${j.name} at ${j.at?.toISOString()}`),
  ];
  await eventInsert(ctx, {
    kind: "summary.daily",
    severity: bad.length > 0 || attention.length > 0 ? "warning" : "info",
    text: lines.join("\n"),
    action: attention.length > 0 ? "Open the dashboard for what needs you." : null,
    href: "/",
    dedupeKey,
  });
  return true;
}
