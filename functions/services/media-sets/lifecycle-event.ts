import type { ServiceCtx } from "../../deps.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { type NewEvent, recordEvent } from "../events/record-event.ts";

export type LifecycleEvent = {
  /** e.g. "tape.state", "media-set.open", "media-set.expire", "preflight.raise". */
  action: string;
  /** What changed, e.g. "tape:TB0007L9" or "media-set:12". */
  target: string;
  /** Who caused it: "scheduler" for the tick, otherwise a user name. */
  actor?: string;
  userId?: number | null;
  /** The operator's words for what happened. */
  text: string;
  details?: Record<string, unknown>;
  /** When the operator should hear of it too: the event the notification work routes. */
  event?: NewEvent;
};

/**
 * Every media lifecycle transition goes through here: it writes the audit row and, for what the
 * operator must hear of (a pre-flight unmet or met again), the event the notifier sends.
 */
export async function lifecycleEvent(ctx: ServiceCtx, event: LifecycleEvent): Promise<void> {
  await recordAudit(ctx, {
    userId: event.userId ?? null,
    actor: event.actor ?? "scheduler",
    action: event.action,
    target: event.target,
    outcome: "success",
    ip: null,
    requestId: null,
    details: { text: event.text, ...(event.details ?? {}) },
  });
  if (event.event) await recordEvent(ctx, event.event);
}
