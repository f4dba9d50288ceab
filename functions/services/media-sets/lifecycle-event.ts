import type { ServiceCtx } from "../../deps.ts";
import { recordAudit } from "../audit/record-audit.ts";

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
};

/**
 * Every media lifecycle transition goes through here: it writes the audit row, and it is the
 * one place where the notification work sends the same transition as an event.
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
}
