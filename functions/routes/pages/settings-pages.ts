import type { Context } from "hono";
import { renderDocument } from "../../../views/html.ts";
import { SecretInput, SecretState, SettingsPage } from "../../../views/pages/settings.tsx";
import { Alert } from "../../../views/partials/alert.tsx";
import type { AppEnv } from "../../deps.ts";
import { EVENT_KINDS, EVENT_SEVERITIES } from "../../services/events/event-kinds.ts";
import { sendTestMessage } from "../../services/notify/send-test-message.ts";
import { channelRoutingChoices } from "../../services/settings/channel-routing-choices.ts";
import { BLOCK_SIZES, COMPRESSIONS, jobDefaultsInput } from "../../services/settings/job-defaults.ts";
import type { ChannelView } from "../../services/settings/list-channels.ts";
import {
  CHANNEL_KINDS,
  emailChannelInput,
  NOTIFICATION_EVENTS,
  telegramChannelInput,
} from "../../services/settings/notification-channel-input.ts";
import { saveEmailChannel } from "../../services/settings/save-email-channel.ts";
import { saveJobDefaults } from "../../services/settings/save-job-defaults.ts";
import { saveTelegramChannel } from "../../services/settings/save-telegram-channel.ts";
import { saveTimeZone } from "../../services/settings/save-time-zone.ts";
import { timeZoneInput } from "../../services/settings/time-zone.ts";
import { auditTarget, serviceCtx } from "../api/context.ts";
import { changedFields, settingsView } from "../api/settings.ts";
import { list, num, ok, parseForm } from "./form.ts";
import type { PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

/** The settings page (admin): the same services and schemas as /api/v1/settings. */
export function registerSettingsPages(pages: PageRouter): void {
  pages.route({ method: "GET", path: "/settings", permission: "admin", summary: "Settings" }, async (c) => {
    c.header("Cache-Control", "no-store");
    return c.html(
      renderDocument(
        SettingsPage({
          layout: await layoutFor(c),
          ...(await settingsView(c)),
          compressions: COMPRESSIONS,
          blockSizes: BLOCK_SIZES,
          events: NOTIFICATION_EVENTS,
          eventLabels: Object.fromEntries(Object.entries(EVENT_KINDS).map(([k, v]) => [k, v.label])),
          severities: EVENT_SEVERITIES,
          ...(await channelRoutingChoices(serviceCtx(c))),
        }),
      ),
    );
  });
  pages.route(
    {
      method: "POST",
      path: "/settings/job-defaults",
      permission: "admin",
      summary: "Save defaults for new jobs",
      audit: "settings.job_defaults",
    },
    async (c) => {
      const f = (await formWithEvents(c)).fields;
      const saved = await saveJobDefaults(
        serviceCtx(c),
        parseForm(jobDefaultsInput, { compression: f.compression, blockSize: num(f.blockSize) }),
      );
      auditTarget(c, "job-defaults", saved);
      return ok(c, `Saved: new jobs use ${saved.compression}, new sets ${saved.blockSize / 1024} KiB blocks`);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/settings/time-zone",
      permission: "admin",
      summary: "Save the hub's time zone",
      audit: "settings.time_zone",
    },
    async (c) => {
      const f = (await formWithEvents(c)).fields;
      const saved = await saveTimeZone(
        serviceCtx(c),
        parseForm(timeZoneInput, { timeZone: f.timeZone ?? "" }),
      );
      auditTarget(c, "time-zone", saved);
      // Every time on the page is shown in the zone again, so the page is loaded anew.
      c.header("HX-Refresh", "true");
      return ok(
        c,
        saved.timeZone
          ? `Saved: schedules run and times show in ${saved.timeZone}`
          : "Saved: schedules run in UTC, times show in each browser's own zone",
      );
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/settings/notifications/email",
      permission: "admin",
      summary: "Save the e-mail channel",
      audit: "settings.notifications",
    },
    async (c) => {
      const { fields: f, events, routing } = await formWithEvents(c);
      const input = parseForm(emailChannelInput, {
        ...routing,
        enabled: f.enabled === "on",
        host: f.host ?? "",
        port: num(f.port),
        security: f.security,
        from: f.from ?? "",
        to: list(f.to),
        username: f.username ?? null,
        password: f.password,
        clearPassword: f.clearPassword === "on",
        events,
        minSeverity: f.minSeverity,
      });
      auditTarget(c, "email", { fields: changedFields(input) });
      return saved(c, await saveEmailChannel(serviceCtx(c), c.get("deps").secrets, input), "password");
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/settings/notifications/telegram",
      permission: "admin",
      summary: "Save the Telegram channel",
      audit: "settings.notifications",
    },
    async (c) => {
      const { fields: f, events, routing } = await formWithEvents(c);
      const input = parseForm(telegramChannelInput, {
        ...routing,
        enabled: f.enabled === "on",
        chatId: f.chatId ?? "",
        botToken: f.botToken,
        clearBotToken: f.clearBotToken === "on",
        events,
        minSeverity: f.minSeverity,
      });
      auditTarget(c, "telegram", { fields: changedFields(input) });
      return saved(c, await saveTelegramChannel(serviceCtx(c), c.get("deps").secrets, input), "botToken");
    },
  );
  // One route per channel kind (no path parameter: page parameters are ids).
  for (const kind of CHANNEL_KINDS)
    pages.route(
      {
        method: "POST",
        path: `/settings/notifications/${kind}/test`,
        permission: "admin",
        summary: `Send a test message through the ${kind} channel`,
        audit: "settings.notifications_test",
      },
      async (c) => {
        auditTarget(c, kind, {});
        const deps = c.get("deps");
        const outcome = await sendTestMessage(serviceCtx(c), deps.secrets.masterKey, deps.senders, kind);
        c.header("Cache-Control", "no-store");
        return c.html(
          Alert(
            outcome.ok
              ? { kind: "ok", message: `Sent. The server answered: ${outcome.answer}` }
              : { kind: "error", message: `Not sent: ${outcome.error}` },
          ).value,
        );
      },
    );
}

/** The answer to a channel save: a message, the secret's new state and an emptied secret field. */
function saved(c: Context<AppEnv>, view: ChannelView, secretName: string) {
  c.header("Cache-Control", "no-store");
  const what = view.kind === "email" ? "E-mail" : "Telegram";
  const secret = view.kind === "email" ? "password" : "bot token";
  const message = `${what} channel saved (${view.enabled ? "on" : "off"}); ${secret} ${view.secretSet ? "set" : "not set"}`;
  return c.html(
    Alert({ kind: "ok", message }).value +
      SecretState({ kind: view.kind, set: view.secretSet, oob: true }).value +
      SecretInput({ kind: view.kind, name: secretName, oob: true }).value,
  );
}

/** Secrets are taken as typed: a space may belong to a password. */
const UNTRIMMED = new Set(["password", "botToken"]);

/** Form fields (trimmed, empty dropped) plus every checked `events` box. */
async function formWithEvents(c: Context<AppEnv>) {
  const body = await c.req.parseBody({ all: true });
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    const last = Array.isArray(value) ? value.at(-1) : value;
    if (typeof last === "string" && last.trim() !== "") fields[key] = UNTRIMMED.has(key) ? last : last.trim();
  }
  const all = (name: string) => {
    const raw = body[name];
    return (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
      (e): e is string => typeof e === "string",
    );
  };
  return { fields, events: all("events"), routing: channelRouting(fields, all) };
}

/** The quiet hours and the site and pool boxes of a channel form, as the channel schemas take them. */
function channelRouting(fields: Record<string, string>, all: (name: string) => string[]) {
  const ids = (name: string) => all(name).map(Number);
  return {
    quietHours:
      fields.quietStart || fields.quietEnd
        ? {
            start: fields.quietStart ?? "",
            end: fields.quietEnd ?? "",
            timeZone: fields.quietZone ?? null,
            holdBelow: fields.holdBelow,
          }
        : null,
    siteIds: ids("siteIds"),
    poolIds: ids("poolIds"),
  };
}
