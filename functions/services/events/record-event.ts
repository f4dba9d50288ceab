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
      siteId: event.siteId ?? null,
      poolId: event.poolId ?? null,
      dedupeKey: event.dedupeKey ?? null,
    })
    .onConflictDoNothing();
}

/** Records one event on its own, for a change that is a single statement already written. */
export async function recordEvent(ctx: ServiceCtx, event: NewEvent): Promise<void> {
  await eventInsert(ctx, event);
}
