import type { notificationChannels } from "../../db/schema/index.ts";
import type { ChannelSettings } from "../../deps.ts";
import { unwrapKey } from "../../security/key-wrap.ts";
import { channelSecretPurpose } from "../settings/notification-channel-input.ts";

type ChannelRow = typeof notificationChannels.$inferSelect;

/** A channel's config and its secret unsealed with the master key, for a sender only. */
export async function channelSettings(channel: ChannelRow, masterKey: Uint8Array): Promise<ChannelSettings> {
  const secret = channel.secretConfig
    ? (JSON.parse(
        new TextDecoder().decode(
          await unwrapKey(masterKey, channel.secretConfig, channelSecretPurpose(channel.kind)),
        ),
      ) as Record<string, string>)
    : {};
  return { config: channel.config, secret };
}
