import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import type { ChannelView } from "./list-channels.ts";
import type { EmailChannelInput } from "./notification-channel-input.ts";
import { saveChannel } from "./save-channel.ts";

export async function saveEmailChannel(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  input: EmailChannelInput,
): Promise<ChannelView> {
  const { password, clearPassword, enabled, events, minSeverity, quietHours, siteIds, poolIds, ...config } =
    input;
  return saveChannel(ctx, secrets, {
    kind: "email",
    enabled,
    events,
    minSeverity,
    quietHours,
    siteIds,
    poolIds,
    config: { ...config, username: config.username ?? null },
    secret: clearPassword ? null : password === undefined ? undefined : { password },
    needsSecret: !!config.username && "the SMTP password of the user",
  });
}
