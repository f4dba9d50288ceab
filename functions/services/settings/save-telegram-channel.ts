import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import type { ChannelView } from "./list-channels.ts";
import type { TelegramChannelInput } from "./notification-channel-input.ts";
import { saveChannel } from "./save-channel.ts";

export async function saveTelegramChannel(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  input: TelegramChannelInput,
): Promise<ChannelView> {
  const { botToken, clearBotToken, enabled, events, minSeverity, quietHours, siteIds, poolIds, chatId } =
    input;
  return saveChannel(ctx, secrets, {
    kind: "telegram",
    enabled,
    events,
    minSeverity,
    quietHours,
    siteIds,
    poolIds,
    config: { chatId },
    secret: clearBotToken ? null : botToken === undefined ? undefined : { botToken },
    needsSecret: enabled && "the bot token",
  });
}
