import { eq, inArray } from "drizzle-orm";
import { notificationChannels, pools, type QuietHours, type Severity, sites } from "../../db/schema/index.ts";
import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { wrapKey } from "../../security/key-wrap.ts";
import { type ChannelView, listChannels } from "./list-channels.ts";
import { type ChannelKind, channelSecretPurpose } from "./notification-channel-input.ts";

/**
 * One row per kind. `secret`: undefined keeps the stored one, null clears it. It is sealed
 * with the hub master key (AES-256-GCM, bound to the channel kind) and never read back here.
 */
export async function saveChannel(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  change: {
    kind: ChannelKind;
    enabled: boolean;
    events: string[];
    minSeverity: Severity;
    quietHours: QuietHours | null;
    siteIds: number[] | null;
    poolIds: number[] | null;
    config: Record<string, unknown>;
    secret: Record<string, string> | null | undefined;
    needsSecret: string | false;
  },
): Promise<ChannelView> {
  await refuseUnknown(ctx, "site", sites, change.siteIds);
  await refuseUnknown(ctx, "pool", pools, change.poolIds);
  const existing = await ctx.db.query.notificationChannels.findFirst({
    where: eq(notificationChannels.kind, change.kind),
  });
  const sealed =
    change.secret === undefined
      ? (existing?.secretConfig ?? null)
      : change.secret === null
        ? null
        : await wrapKey(
            secrets.masterKey,
            new TextEncoder().encode(JSON.stringify(change.secret)),
            channelSecretPurpose(change.kind),
          );
  if (change.needsSecret && !sealed)
    throw new AppError("validation_failed", `Give ${change.needsSecret}; none is stored yet`);
  const now = ctx.now();
  const values = {
    enabled: change.enabled,
    events: change.events,
    minSeverity: change.minSeverity,
    quietHours: change.quietHours,
    siteIds: change.siteIds,
    poolIds: change.poolIds,
    config: change.config,
    secretConfig: sealed,
    updatedAt: now,
  };
  if (existing)
    await ctx.db.update(notificationChannels).set(values).where(eq(notificationChannels.id, existing.id));
  else
    await ctx.db.insert(notificationChannels).values({
      name: change.kind === "email" ? "E-mail" : "Telegram",
      kind: change.kind,
      createdAt: now,
      ...values,
    });
  const view = (await listChannels(ctx)).find((c) => c.kind === change.kind);
  if (!view) throw new AppError("internal", `channel ${change.kind} was not saved`);
  return view;
}

/** A channel limited to a site or pool that does not exist would hear of nothing there. */
async function refuseUnknown(
  ctx: ServiceCtx,
  what: string,
  table: typeof sites | typeof pools,
  ids: number[] | null,
) {
  if (!ids) return;
  const found = await ctx.db.select({ id: table.id }).from(table).where(inArray(table.id, ids));
  const missing = ids.filter((id) => !found.some((f) => f.id === id));
  if (missing.length > 0) throw new AppError("validation_failed", `No ${what} with id ${missing.join(", ")}`);
}
