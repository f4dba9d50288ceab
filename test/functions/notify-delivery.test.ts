import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { events, outbox } from "../../functions/db/schema/index.ts";
import type { Senders } from "../../functions/deps.ts";
import { recordDailySummary } from "../../functions/services/events/record-daily-summary.ts";
import { recordEvent } from "../../functions/services/events/record-event.ts";
import { deliverOutbox } from "../../functions/services/notify/deliver-outbox.ts";
import { routeEvents } from "../../functions/services/notify/route-events.ts";
import { closeRun } from "../../functions/services/runs/close-run.ts";
import type { BotApi } from "../helpers/bot-api.ts";
import { insertJobRunning } from "../helpers/catalog-rows.ts";
import type { TestHub } from "../helpers/hub.ts";
import { notifyPeersForEachTest, tickNotifier } from "../helpers/notify-peers.ts";
import { decodedParts, type SmtpPeer } from "../helpers/smtp-peer.ts";

const BOT_TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789";
const SMTP_AUTH = { user: "tapes", pass: "smtp pass with space" };
const NASTY = "Share <script>alert(1)</script> *bold* _it_ `code` [x](y) & co";

describe("notifications delivered through a real SMTP peer and a Bot-API server", () => {
  let smtp: SmtpPeer;
  let bot: BotApi;
  let hub: TestHub;
  let senders: Senders;

  notifyPeersForEachTest({ smtpAuth: SMTP_AUTH, botToken: BOT_TOKEN }, (fixture) => {
    ({ smtp, bot, hub, senders } = fixture);
  });

  const tick = () => tickNotifier(hub, senders, { leaseMs: 60_000, summaryHour: 0 });

  async function saveChannels(kinds: string[], minSeverity = "info") {
    const token = await hub.tokenFor("admin");
    const email = await hub.request("/api/v1/settings/notifications/email", {
      method: "PUT",
      token,
      json: {
        enabled: true,
        host: "127.0.0.1",
        port: smtp.port,
        security: "starttls",
        from: "tapes@example.com",
        to: ["ops@example.com"],
        username: SMTP_AUTH.user,
        password: SMTP_AUTH.pass,
        events: kinds,
        minSeverity,
      },
    });
    expect(email.status, await email.clone().text()).toBe(200);
    const telegram = await hub.request("/api/v1/settings/notifications/telegram", {
      method: "PUT",
      token,
      json: { enabled: true, chatId: "-100123", botToken: BOT_TOKEN, events: kinds, minSeverity },
    });
    expect(telegram.status, await telegram.clone().text()).toBe(200);
  }

  async function failedRun(name: string) {
    const { run } = await insertJobRunning(hub.ctx.db, name, hub.ctx.now());
    await closeRun(hub.ctx, run, {
      state: "failed",
      error: "medium error writing file <b>/srv/a*b_c.txt</b>",
      retryable: false,
      summary: {},
    } as never);
    return run;
  }

  it("sends a failed run once by e-mail (STARTTLS, AUTH) and once by Telegram, every markup escaped", async () => {
    await saveChannels(["run.failed"]);
    const run = await failedRun(NASTY);
    const [event] = await hub.ctx.db.select().from(events).where(eq(events.runId, run.id));
    expect(event?.kind).toBe("run.failed");

    await tick();
    await tick();
    const [mail] = await smtp.waitForMails(1);
    await bot.waitForMessages(1);
    expect(smtp.mails).toHaveLength(1);
    expect(bot.messages).toHaveLength(1);

    expect(mail?.secure).toBe(true);
    expect(mail?.user).toBe(SMTP_AUTH.user);
    expect(mail?.to).toEqual(["ops@example.com"]);
    const parts = decodedParts(mail?.raw ?? "");
    expect(parts.subject).toContain("Run failed");
    expect(parts.text).toContain(NASTY);
    expect(parts.html).not.toContain("<script>");
    expect(parts.html).not.toContain("<b>/srv");
    expect(parts.html).toContain(
      "Share &lt;script&gt;alert(1)&lt;/script&gt; *bold* _it_ `code` [x](y) &amp; co",
    );
    expect(mail?.raw).toMatch(/Message-ID: <outbox-\d+@tapebackarr>/i);

    const message = bot.messages[0];
    expect(message?.chatId).toBe("-100123");
    expect(message?.parseMode).toBe("HTML");
    expect(message?.text).not.toContain("<script>");
    expect(message?.text).toContain(
      "&lt;script&gt;alert(1)&lt;/script&gt; *bold* _it_ `code` [x](y) &amp; co",
    );
    expect(message?.text).toContain("&lt;b&gt;/srv/a*b_c.txt&lt;/b&gt;");
    // Only Telegram's own tags remain.
    expect(message?.text.replace(/<\/?(b|i)>/g, "")).not.toMatch(/[<>]/);

    const rows = await hub.ctx.db.select().from(outbox);
    expect(rows.map((r) => r.state)).toEqual(["sent", "sent"]);
    expect(rows.every((r) => r.attempts === 1 && r.answer)).toBe(true);
  });

  it("sends a tape-needed and a drive alert once each, and nothing a channel did not ask for", async () => {
    await saveChannels(["tape.needed", "drive.alert"], "warning");
    await recordEvent(hub.ctx, {
      kind: "tape.needed",
      text: "Nightly <i>share</i> (run #7) is waiting for a tape of pool Weekly",
      action: "Insert a writable tape of pool Weekly into LTO-1.",
      runId: 7,
      dedupeKey: "tape.needed:7:3",
    });
    // The same fact from a second hub instance is one event.
    await recordEvent(hub.ctx, {
      kind: "tape.needed",
      text: "again",
      runId: 7,
      dedupeKey: "tape.needed:7:3",
    });
    await recordEvent(hub.ctx, {
      kind: "drive.alert",
      text: "LTO-1 on host-a reports Clean now",
      driveId: 1,
    });
    await recordEvent(hub.ctx, { kind: "run.completed", text: "not subscribed" });
    await recordEvent(hub.ctx, {
      kind: "drive.alert",
      severity: "info",
      text: "below the channel's severity",
    });

    await tick();
    await Promise.all([smtp.waitForMails(2), bot.waitForMessages(2)]);
    await tick();
    expect(smtp.mails.map((m) => decodedParts(m.raw).subject)).toEqual([
      expect.stringContaining("Tape needed"),
      expect.stringContaining("Drive alert"),
    ]);
    expect(bot.messages).toHaveLength(2);
    expect(bot.messages[0]?.text).toContain("Insert a writable tape of pool Weekly into LTO-1.");
    expect(bot.messages[0]?.text).toContain("Nightly &lt;i&gt;share&lt;/i&gt;");
    expect(await hub.ctx.db.select().from(outbox)).toHaveLength(4);
  });

  it("sends one daily summary a day, naming what failed", async () => {
    await saveChannels(["summary.daily"]);
    // No tick yet, so the summary is the test's to record.
    await failedRun("Weekly <b>archive</b>");
    expect(await recordDailySummary(hub.ctx, 0)).toBe(true);
    expect(await recordDailySummary(hub.ctx, 0)).toBe(false);
    await tick();
    await tick();
    const [mail] = await smtp.waitForMails(1);
    await bot.waitForMessages(1);
    expect(smtp.mails).toHaveLength(1);
    expect(bot.messages).toHaveLength(1);
    const { text, html } = decodedParts(mail?.raw ?? "");
    expect(text).toContain("1 failed or interrupted");
    expect(text).toContain("Weekly <b>archive</b>");
    expect(html).toContain("Weekly &lt;b&gt;archive&lt;/b&gt;");
  });

  it("retries a Telegram 429 no sooner than retry_after and shows the error until it is sent", async () => {
    await saveChannels(["drive.alert"]);
    bot.script.push({ error: 429, description: "Too Many Requests: retry after 90", retryAfter: 90 });
    await recordEvent(hub.ctx, { kind: "drive.alert", text: "LTO-1 reports Clean now" });
    await tick();
    await smtp.waitForMails(1);
    expect(bot.messages).toHaveLength(0);
    const [row] = await hub.ctx.db.select().from(outbox).where(eq(outbox.state, "pending"));
    expect(row?.lastError).toContain("429");
    expect(row?.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(hub.ctx.now().getTime() + 89_000);

    const page = await (await hub.request("/settings", { token: await hub.tokenFor("admin") })).text();
    expect(page).toContain("Telegram 429: Too Many Requests: retry after 90");

    await tick();
    expect(bot.requests).toBe(1);
    hub.advanceClock(91_000);
    await tick();
    await bot.waitForMessages(1);
    expect(bot.requests).toBe(2);
    expect(smtp.mails).toHaveLength(1);
  });

  it("gives up on a permanent refusal at once and says so", async () => {
    await saveChannels(["drive.alert"]);
    bot.script.push({ error: 400, description: "Bad Request: chat not found" });
    await recordEvent(hub.ctx, { kind: "drive.alert", text: "LTO-1 reports Clean now" });
    await tick();
    const rows = await hub.ctx.db.select().from(outbox);
    expect(rows.map((r) => r.state).sort()).toEqual(["failed", "sent"]);
    const settings = await hub.requestJson<{ notifications: { kind: string; lastError: string | null }[] }>(
      "/api/v1/settings",
      { token: await hub.tokenFor("admin") },
    );
    expect(settings.notifications.find((c) => c.kind === "telegram")?.lastError).toMatch(
      /Telegram 400: Bad Request: chat not found \(gave up after 1 attempts\)/,
    );
  });

  it("sends each message once when two hub instances drain the outbox at the same moment", async () => {
    await saveChannels(["drive.alert"]);
    for (let i = 0; i < 10; i++) await recordEvent(hub.ctx, { kind: "drive.alert", text: `alert ${i}` });
    // Two instances route the same events at once: each (event, channel) row exists once.
    await Promise.all([routeEvents(hub.ctx), routeEvents(hub.ctx)]);
    expect(await hub.ctx.db.select().from(outbox)).toHaveLength(20);
    const drain = () =>
      deliverOutbox(hub.ctx, {
        masterKey: hub.deps.secrets.masterKey,
        senders,
        logger: hub.deps.logger,
        leaseMs: 60_000,
      });
    await Promise.all([drain(), drain(), drain()]);
    await Promise.all([smtp.waitForMails(10), bot.waitForMessages(10)]);
    expect(smtp.mails).toHaveLength(10);
    expect(bot.messages.map((m) => m.text.match(/alert \d/)?.[0]).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `alert ${i}`),
    );
  });

  it("re-sends a message whose sender stopped mid-send once its lease ran out, marked as a possible repeat", async () => {
    await saveChannels(["drive.alert"]);
    bot.script.push({ hold: true });
    await recordEvent(hub.ctx, { kind: "drive.alert", text: "LTO-1 reports Clean now" });
    const held = bot.held();
    // The first pass hangs on Telegram (a hub that stopped while sending); it is never awaited.
    const stuck = tick();
    await held;
    await smtp.waitForMails(1);
    await tick();
    expect(bot.requests).toBe(1);
    hub.advanceClock(61_000);
    await tick();
    const [message] = await bot.waitForMessages(1);
    expect(message?.text).toContain("may repeat");
    const [row] = await hub.ctx.db.select().from(outbox).where(eq(outbox.uncertain, true));
    expect(row?.state).toBe("sent");
    // The stalled sender wakes up to a network error: it lost its lease and records nothing.
    bot.dropHeld();
    await stuck;
    const [after] = await hub.ctx.db.select().from(outbox).where(eq(outbox.uncertain, true));
    expect(after?.state).toBe("sent");
    expect(after?.lastError).toBeNull();
  });

  it("a row claimed by a hub that stopped before sending is sent once after its lease, not marked a repeat", async () => {
    await saveChannels(["drive.alert"]);
    await recordEvent(hub.ctx, { kind: "drive.alert", text: "LTO-1 reports Clean now" });
    await routeEvents(hub.ctx);
    // What a hub leaves when it stops between the claim and the send: a live lease, no sending_at.
    const leaseUntil = new Date(hub.ctx.now().getTime() + 60_000);
    await hub.ctx.db.update(outbox).set({ leaseToken: "gone-hub", leaseUntil });
    await tick();
    expect(smtp.mails).toHaveLength(0);
    expect(bot.requests).toBe(0);
    hub.advanceClock(61_000);
    await tick();
    await Promise.all([smtp.waitForMails(1), bot.waitForMessages(1)]);
    await tick();
    expect(smtp.mails).toHaveLength(1);
    expect(bot.messages).toHaveLength(1);
    expect(bot.messages[0]?.text).not.toContain("may repeat");
    const rows = await hub.ctx.db.select().from(outbox);
    expect(rows.map((r) => [r.state, r.uncertain])).toEqual([
      ["sent", false],
      ["sent", false],
    ]);
  });

  it("the test button reports the server's answer, and its refusal", async () => {
    await saveChannels([]);
    const token = await hub.tokenFor("admin");
    const ok = await hub.requestJson<{ ok: boolean; answer: string }>(
      "/api/v1/settings/notifications/email/test",
      {
        method: "POST",
        token,
      },
    );
    expect(ok.ok).toBe(true);
    expect(ok.answer).toMatch(/^250 /);
    const tg = await hub.requestJson<{ ok: boolean; answer: string }>(
      "/api/v1/settings/notifications/telegram/test",
      { method: "POST", token },
    );
    expect(tg.ok).toBe(true);
    expect(tg.answer).toMatch(/^message \d+ in chat -100123$/);

    const put = await hub.request("/api/v1/settings/notifications/email", {
      method: "PUT",
      token,
      json: {
        enabled: true,
        host: "127.0.0.1",
        port: smtp.port,
        from: "tapes@example.com",
        to: ["ops@example.com"],
        username: SMTP_AUTH.user,
        password: "wrong password",
      },
    });
    expect(put.status).toBe(200);
    const refused = await hub.requestJson<{ ok: boolean; error: string }>(
      "/api/v1/settings/notifications/email/test",
      { method: "POST", token },
    );
    expect(refused.ok).toBe(false);
    expect(refused.error).toContain("535");
    expect(refused.error).not.toContain("wrong password");
    expect(JSON.stringify(hub.logs)).not.toContain("wrong password");
    expect(JSON.stringify(hub.logs)).not.toContain(BOT_TOKEN);
  });
});
