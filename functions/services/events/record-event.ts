import { sql } from "drizzle-orm";
import type { Severity } from "../../db/schema/index.ts";
import { events } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { EVENT_KINDS, type EventKind } from "./event-kinds.ts";

/** An event as its producer describes it; severity defaults to the kind's. */
export interface NewEvent {
  kind: EventKind;
  /** What happened, in operator words, naming the objects ("Nightly (run #12) failed: …"). */
  text: string;
  /** What to do next ("Insert a tape of pool Weekly into drive LTO-1"). */
  action?: string | null;
  severity?: Severity;
  href?: string | null;
  jobId?: number | null;
  runId?: number | null;
  tapeId?: number | null;
  driveId?: number | null;
  agentId?: string | null;
  siteId?: number | null;
  poolId?: number | null;
  /**
   * The same fact recorded twice (two hub instances, a retried report) is kept once: give a key
   * such as `run.failed:12`. Without one every call is a new event.
   */
  dedupeKey?: string | null;
}

const MAX_TEXT = 2000;

/**
 * The insert of one event, to put into the `ctx.db.batch([...])` of the change that causes it,
 * so the change and its event are written together or not at all.
 */
export function eventInsert(ctx: ServiceCtx, event: NewEvent) {
  return ctx.db
    .insert(events)
    .values({
      kind: event.kind,
      severity: event.severity ?? EVENT_KINDS[event.kind].severity,
      at: ctx.now(),
      text: event.text.slice(0, MAX_TEXT),
      action: event.action?.slice(0, MAX_TEXT) ?? null,
      href: event.href ?? null,
      jobId: event.jobId ?? null,
      runId: event.runId ?? null,
      tapeId: event.tapeId ?? null,
      driveId: event.driveId ?? null,
      agentId: event.agentId ?? null,
      siteId: event.siteId ?? siteOf(event),
      poolId: event.poolId ?? poolOf(event),
      dedupeKey: event.dedupeKey ?? null,
    })
    .onConflictDoNothing();
}

/**
 * The pool an event concerns when its producer did not say: its job's, its run's job's or its
 * tape's, read in the same statement, so routing and the stream find it on the row.
 */
function poolOf(event: NewEvent) {
  if (!event.jobId && !event.runId && !event.tapeId) return null;
  return sql`coalesce(
    (select j.pool_id from jobs j where j.id = ${event.jobId ?? null}),
    (select j.pool_id from job_runs r join jobs j on j.id = r.job_id where r.id = ${event.runId ?? null}),
    (select t.pool_id from tapes t where t.id = ${event.tapeId ?? null}))`;
}

/** The site an event concerns when its producer did not say: its agent's, drive's or run's agent's. */
function siteOf(event: NewEvent) {
  if (!event.agentId && !event.driveId && !event.runId) return null;
  return sql`coalesce(
    (select a.site_id from agents a where a.id = ${event.agentId ?? null}),
    (select a.site_id from drives d join agents a on a.id = d.agent_id where d.id = ${event.driveId ?? null}),
    (select a.site_id from job_runs r join agents a on a.id = r.agent_id where r.id = ${event.runId ?? null}))`;
}

/** Records one event on its own, for a change that is a single statement already written. */
export async function recordEvent(ctx: ServiceCtx, event: NewEvent): Promise<void> {
  await eventInsert(ctx, event);
}
