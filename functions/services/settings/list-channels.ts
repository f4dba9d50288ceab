import type { ServiceCtx } from "../../deps.ts";
import { CHANNEL_KINDS, type ChannelKind } from "./notification-channel-input.ts";

/** A channel as pages and the API show it: the secret only as set / not set. */
export interface ChannelView {
  kind: ChannelKind;
  enabled: boolean;
  config: Record<string, unknown>;
  events: string[];
  secretSet: boolean;
  updatedAt: Date | null;
}

export async function listChannels(ctx: ServiceCtx): Promise<ChannelView[]> {
  const rows = await ctx.db.query.notificationChannels.findMany();
  return CHANNEL_KINDS.map((kind) => {
    const row = rows.find((r) => r.kind === kind);
    return {
      kind,
      enabled: row?.enabled ?? false,
      config: row?.config ?? {},
      events: row?.events ?? [],
      secretSet: !!row?.secretConfig,
      updatedAt: row?.updatedAt ?? null,
    };
  });
}
