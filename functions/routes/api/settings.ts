import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../deps.ts";
import { sendTestMessage } from "../../services/notify/send-test-message.ts";
import { getJobDefaults } from "../../services/settings/get-job-defaults.ts";
import { getTimeZone } from "../../services/settings/get-time-zone.ts";
import { hubFacts } from "../../services/settings/hub-facts.ts";
import { jobDefaultsInput } from "../../services/settings/job-defaults.ts";
import { listChannels } from "../../services/settings/list-channels.ts";
import {
  CHANNEL_KINDS,
  emailChannelInput,
  telegramChannelInput,
} from "../../services/settings/notification-channel-input.ts";
import { saveEmailChannel } from "../../services/settings/save-email-channel.ts";
import { saveJobDefaults } from "../../services/settings/save-job-defaults.ts";
import { saveTelegramChannel } from "../../services/settings/save-telegram-channel.ts";
import { saveTimeZone } from "../../services/settings/save-time-zone.ts";
import { timeZoneInput } from "../../services/settings/time-zone.ts";
import { auditTarget, serviceCtx } from "./context.ts";
import type { ApiRouter } from "./router.ts";

/** Everything the settings page shows; secrets only as `secretSet`. */
export async function settingsView(c: Context<AppEnv>) {
  const ctx = serviceCtx(c);
  const [jobDefaults, notifications, facts, time] = await Promise.all([
    getJobDefaults(ctx),
    listChannels(ctx),
    hubFacts(c.get("deps")),
    getTimeZone(ctx),
  ]);
  const unavailable = c.get("deps").senders?.unavailable ?? {};
  return { jobDefaults, notifications, facts, timeZone: time.timeZone, unavailable };
}

const channelParams = z.object({ kind: z.enum(CHANNEL_KINDS) });

/** The names of the fields a save touched, for the audit row; never their values. */
export function changedFields(input: Record<string, unknown>): string[] {
  return Object.keys(input).filter((k) => input[k] !== undefined && input[k] !== false && input[k] !== null);
}

export function registerSettingsRoutes(api: ApiRouter): void {
  const tag = "settings";
  api.route(
    {
      method: "GET",
      path: "/settings",
      permission: "admin",
      tag,
      summary: "Hub settings: defaults for new jobs, notification channels (secrets as set/not set), facts",
    },
    async (c) => c.json(await settingsView(c)),
  );
  api.route(
    {
      method: "PUT",
      path: "/settings/job-defaults",
      permission: "admin",
      tag,
      summary: "Compression of jobs created without one, block size of new backup sets",
      body: jobDefaultsInput,
      audit: "settings.job_defaults",
    },
    async (c, { body }) => {
      auditTarget(c, "job-defaults", body);
      return c.json(await saveJobDefaults(serviceCtx(c), body));
    },
  );
  api.route(
    {
      method: "PUT",
      path: "/settings/time-zone",
      permission: "admin",
      tag,
      summary:
        "The hub's time zone (IANA name): schedules run in it and pages show times in it; null: UTC for schedules, each browser's own zone on pages",
      body: timeZoneInput,
      audit: "settings.time_zone",
    },
    async (c, { body }) => {
      auditTarget(c, "time-zone", body);
      return c.json(await saveTimeZone(serviceCtx(c), body));
    },
  );
  api.route(
    {
      method: "PUT",
      path: "/settings/notifications/email",
      permission: "admin",
      tag,
      summary: "SMTP channel; the password is write-only (omit it to keep the stored one)",
      body: emailChannelInput,
      audit: "settings.notifications",
    },
    async (c, { body }) => {
      auditTarget(c, "email", { fields: changedFields(body) });
      return c.json(await saveEmailChannel(serviceCtx(c), c.get("deps").secrets, body));
    },
  );
  api.route(
    {
      method: "PUT",
      path: "/settings/notifications/telegram",
      permission: "admin",
      tag,
      summary: "Telegram channel; the bot token is write-only (omit it to keep the stored one)",
      body: telegramChannelInput,
      audit: "settings.notifications",
    },
    async (c, { body }) => {
      auditTarget(c, "telegram", { fields: changedFields(body) });
      return c.json(await saveTelegramChannel(serviceCtx(c), c.get("deps").secrets, body));
    },
  );
  api.route(
    {
      method: "POST",
      path: "/settings/notifications/:kind/test",
      permission: "admin",
      tag,
      summary: "Sends a test message through the saved channel now; answers with what the server said",
      params: channelParams,
      audit: "settings.notifications_test",
    },
    async (c, { params }) => {
      auditTarget(c, params.kind, {});
      const deps = c.get("deps");
      return c.json(await sendTestMessage(serviceCtx(c), deps.secrets.masterKey, deps.senders, params.kind));
    },
  );
}
