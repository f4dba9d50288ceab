import { eq, sql } from "drizzle-orm";
import { outbox, type Severity } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { CHANNEL_KINDS, type ChannelKind } from "./notification-channel-input.ts";

/** A channel as pages and the API show it: the secret only as set / not set. */
export interface ChannelView {
  kind: ChannelKind;
  enabled: boolean;
  config: Record<string, unknown>;
  events: string[];
  minSeverity: Severity;
  secretSet: boolean;
  updatedAt: Date | null;
  /** The last delivery that worked and the last that did not, with the server's words. */
  lastSentAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  /** Messages waiting to be sent (due or backing off). */
  pending: number;
}

export async function listChannels(ctx: ServiceCtx): Promise<ChannelView[]> {
  const [rows, waiting] = await Promise.all([
    ctx.db.query.notificationChannels.findMany(),
    ctx.db
      .select({ channelId: outbox.channelId, n: sql<number>`count(*)` })
      .from(outbox)
      .where(eq(outbox.state, "pending"))
      .groupBy(outbox.channelId),
  ]);
  return CHANNEL_KINDS.map((kind) => {
    const row = rows.find((r) => r.kind === kind);
    return {
      kind,
      enabled: row?.enabled ?? false,
      config: row?.config ?? {},
      events: row?.events ?? [],
      minSeverity: row?.minSeverity ?? "info",
      secretSet: !!row?.secretConfig,
      updatedAt: row?.updatedAt ?? null,
      lastSentAt: row?.lastSentAt ?? null,
      lastError: row?.lastError ?? null,
      lastErrorAt: row?.lastErrorAt ?? null,
      pending: Number(waiting.find((w) => w.channelId === row?.id)?.n ?? 0),
    };
  });
}
