import { inArray, sql } from "drizzle-orm";
import { outbox, type QuietHours, type Severity } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { CHANNEL_KINDS, type ChannelKind } from "./notification-channel-input.ts";

/** A channel as pages and the API show it: the secret only as set / not set. */
export interface ChannelView {
  kind: ChannelKind;
  enabled: boolean;
  config: Record<string, unknown>;
  events: string[];
  minSeverity: Severity;
  quietHours: QuietHours | null;
  /** Limited to these sites / pools; null: all. */
  siteIds: number[] | null;
  poolIds: number[] | null;
  secretSet: boolean;
  updatedAt: Date | null;
  /** The last delivery that worked and the last that did not, with the server's words. */
  lastSentAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  /** Messages waiting to be sent (due or backing off). */
  pending: number;
  /** Events held by quiet hours for the next digest. */
  held: number;
}

export async function listChannels(ctx: ServiceCtx): Promise<ChannelView[]> {
  const [rows, waiting] = await Promise.all([
    ctx.db.query.notificationChannels.findMany(),
    ctx.db
      .select({ channelId: outbox.channelId, state: outbox.state, n: sql<number>`count(*)` })
      .from(outbox)
      .where(inArray(outbox.state, ["pending", "held"]))
      .groupBy(outbox.channelId, outbox.state),
  ]);
  const count = (id: number | undefined, state: string) =>
    Number(waiting.find((w) => w.channelId === id && w.state === state)?.n ?? 0);
  return CHANNEL_KINDS.map((kind) => {
    const row = rows.find((r) => r.kind === kind);
    return {
      kind,
      enabled: row?.enabled ?? false,
      config: row?.config ?? {},
      events: row?.events ?? [],
      minSeverity: row?.minSeverity ?? "info",
      quietHours: row?.quietHours ?? null,
      siteIds: row?.siteIds ?? null,
      poolIds: row?.poolIds ?? null,
      secretSet: !!row?.secretConfig,
      updatedAt: row?.updatedAt ?? null,
      lastSentAt: row?.lastSentAt ?? null,
      lastError: row?.lastError ?? null,
      lastErrorAt: row?.lastErrorAt ?? null,
      pending: count(row?.id, "pending"),
      held: count(row?.id, "held"),
    };
  });
}
