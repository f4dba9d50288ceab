import type { Logger, Senders, ServiceCtx } from "../../deps.ts";
import { recordDailySummary } from "../events/record-daily-summary.ts";
import { watchAgents } from "../events/watch-agents.ts";
import { deliverOutbox } from "./deliver-outbox.ts";
import { routeEvents } from "./route-events.ts";
import { sendDigests } from "./send-digests.ts";

export interface NotifyTickOptions {
  masterKey: Uint8Array;
  senders: Senders;
  logger: Logger;
  leaseMs: number;
  summaryHour: number;
  hubUrl?: string | null;
}

/**
 * One pass of the notifier, the same on every runtime (a timer on Node, the cron trigger on
 * workerd): record the events that time makes (agent offline/back, the daily summary), fan new
 * events out to the channels that want them (or hold them in quiet hours), turn held events
 * whose quiet hours ended into one digest per channel, and send what is due.
 */
export async function notifyTick(ctx: ServiceCtx, options: NotifyTickOptions) {
  await watchAgents(ctx);
  await recordDailySummary(ctx, options.summaryHour);
  const routed = await routeEvents(ctx);
  const digests = await sendDigests(ctx, options.leaseMs);
  const delivered = await deliverOutbox(ctx, options);
  return { routed, digests, ...delivered };
}
