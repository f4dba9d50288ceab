import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { agents, events, jobs, outbox, pools, sites, tapes } from "../../functions/db/schema/index.ts";
import type { Senders } from "../../functions/deps.ts";
import { recordDailySummary } from "../../functions/services/events/record-daily-summary.ts";
import { recordEvent } from "../../functions/services/events/record-event.ts";
import { notifyTick } from "../../functions/services/notify/notify-tick.ts";
import { localMinutes } from "../../functions/services/notify/quiet-hours.ts";
import { sendDigests } from "../../functions/services/notify/send-digests.ts";
import type { BotApi } from "../helpers/bot-api.ts";
import type { TestHub } from "../helpers/hub.ts";
import { clockIn, notifyPeersForEachTest, tickNotifier } from "../helpers/notify-peers.ts";
import { decodedParts, type SmtpPeer } from "../helpers/smtp-peer.ts";

const BOT_TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789";
const SMTP_AUTH = { user: "tapes", pass: "smtp pass" };
const LEASE_MS = 60_000;
/** A zone with a half-hour offset and no DST, so "in the channel's zone" is really tested. */
const ZONE = "Asia/Kolkata";

describe("quiet hours, digests and routing by site and pool, through a real SMTP peer and a Bot-API server", () => {
  let smtp: SmtpPeer;
  let bot: BotApi;
  let hub: TestHub;
  let senders: Senders;

  notifyPeersForEachTest({ smtpAuth: SMTP_AUTH, botToken: BOT_TOKEN }, (fixture) => {
    ({ smtp, bot, hub, senders } = fixture);
  });

  const tick = () => tickNotifier(hub, senders, { leaseMs: LEASE_MS, summaryHour: 24 });

  async function saveTelegram(extra: Record<string, unknown>) {
    const res = await hub.request("/api/v1/settings/notifications/telegram", {
      method: "PUT",
      token: await hub.tokenFor("admin"),
      json: {
        enabled: true,
        chatId: "-100123",
        botToken: BOT_TOKEN,
        events: ["run.failed", "tape.needed", "drive.alert", "agent.offline"],
        ...extra,
      },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    return res.json();
  }

  async function saveEmail(extra: Record<string, unknown>) {
    const res = await hub.request("/api/v1/settings/notifications/email", {
      method: "PUT",
      token: await hub.tokenFor("admin"),
      json: {
        enabled: true,
        host: "127.0.0.1",
        port: smtp.port,
        security: "starttls",
        from: "tapes@example.com",
        to: ["ops@example.com"],
        username: SMTP_AUTH.user,
        password: SMTP_AUTH.pass,
        events: ["run.failed", "tape.needed", "drive.alert", "agent.offline"],
        ...extra,
      },
    });
    expect(res.status, await res.clone().text()).toBe(200);
  }

  /** Quiet hours that began an hour ago and end an hour from now on the hub's clock, in ZONE. */
  function quietNow() {
    const now = hub.ctx.now().getTime();
    return {
      start: clockIn(new Date(now - 3600_000), ZONE),
      end: clockIn(new Date(now + 3600_000), ZONE),
      timeZone: ZONE,
      holdBelow: "critical",
    };
  }

  async function states() {
    return (await hub.ctx.db.select().from(outbox).orderBy(outbox.id)).map((r) => r.state);
  }

  it("holds events below critical in quiet hours, sends critical ones at once, and sends one digest when they end", async () => {
    await saveTelegram({ quietHours: quietNow() });
    await recordEvent(hub.ctx, { kind: "tape.needed", text: "Nightly <i>share</i> waits for a tape" });
    await recordEvent(hub.ctx, { kind: "run.failed", text: "Weekly (run #4) failed: medium error" });
    await recordEvent(hub.ctx, { kind: "drive.alert", severity: "critical", text: "LTO-1 hardware failure" });

    await tick();
    await bot.waitForMessages(1);
    await tick();
    expect(bot.requests).toBe(1);
    expect(bot.messages[0]?.text).toContain("LTO-1 hardware failure");
    expect(await states()).toEqual(["held", "held", "sent"]);
    const settings = await (await hub.request("/settings", { token: await hub.tokenFor("admin") })).text();
    expect(settings).toContain("2 held for the digest");

    // Still inside the quiet hours: nothing more leaves.
    hub.advanceClock(50 * 60_000);
    await tick();
    expect(bot.requests).toBe(1);

    // Past their end: one digest with both held events, then nothing more.
    hub.advanceClock(12 * 60_000);
    await tick();
    await bot.waitForMessages(2);
    await tick();
    await tick();
    expect(bot.requests).toBe(2);
    const digest = bot.messages[1]?.text ?? "";
    expect(digest).toContain("Digest of the quiet hours");
    expect(digest).toContain("2 events held during quiet hours");
    expect(digest).toContain("Nightly &lt;i&gt;share&lt;/i&gt; waits for a tape");
    expect(digest).toContain("Weekly (run #4) failed: medium error");
    expect(digest).not.toContain("<i>share");
    expect(await states()).toEqual(["digested", "digested", "sent", "sent"]);
    // The digest is the channel's own message: not on the event list of the pages.
    const list = await hub.requestJson<unknown>("/api/v1/events", { token: await hub.tokenFor("admin") });
    expect(JSON.stringify(list)).not.toContain("Digest of the quiet hours");
  });

  it("keeps a long digest within one Telegram message and counts the events it does not list", async () => {
    await saveTelegram({ quietHours: quietNow() });
    for (let i = 1; i <= 30; i++)
      await recordEvent(hub.ctx, { kind: "tape.needed", text: `E${i} ${"waiting for a tape ".repeat(10)}` });
    await tick();
    hub.advanceClock(62 * 60_000);
    await tick();
    const [digest] = await bot.waitForMessages(1);
    await tick();
    expect(bot.requests).toBe(1);
    const text = digest?.text ?? "";
    expect(text.length).toBeLessThan(4096);
    expect(text).toContain("30 events held during quiet hours");
    const listed = text.match(/- \d\d:\d\d Tape needed: E\d+/g) ?? [];
    expect(listed.length).toBeGreaterThan(5);
    expect(text).toContain(`…and ${30 - listed.length} more in the event list.`);
    expect(await states()).toEqual([...Array(30).fill("digested"), "sent"]);
  });

  it("makes one digest when two hubs end the quiet hours at once, and a claim left by a stopped hub waits for its lease", async () => {
    await saveEmail({ quietHours: { ...quietNow(), holdBelow: "error" } });
    await recordEvent(hub.ctx, { kind: "tape.needed", text: "a tape is needed" });
    await recordEvent(hub.ctx, { kind: "run.failed", text: "errors are not held below error" });
    await tick();
    await smtp.waitForMails(1);
    expect(await states()).toEqual(["held", "sent"]);

    // A hub claimed the held row and stopped before it wrote the digest.
    const now = hub.ctx.now();
    await hub.ctx.db
      .update(outbox)
      .set({ leaseToken: "stopped-hub", leaseUntil: new Date(now.getTime() + 2 * 3600_000) })
      .where(eq(outbox.state, "held"));
    hub.advanceClock(3600_000 + 60_000);
    await tick();
    expect(await states()).toEqual(["held", "sent"]);

    // Once the stopped hub's lease ran out, two hubs at once make one digest.
    hub.advanceClock(3600_000);
    const made = await Promise.all([sendDigests(hub.ctx, LEASE_MS), sendDigests(hub.ctx, LEASE_MS)]);
    expect(made.sort()).toEqual([0, 1]);
    await tick();
    await smtp.waitForMails(2);
    await tick();
    expect(smtp.mails).toHaveLength(2);
    const parts = decodedParts(smtp.mails[1]?.raw ?? "");
    expect(parts.subject).toContain("Digest of the quiet hours");
    expect(parts.text).toContain("1 event held during quiet hours");
    expect(parts.text).toContain("a tape is needed");
    expect(await states()).toEqual(["digested", "sent", "sent"]);
  });

  it("sends an event only to channels whose sites and pools include it; an event naming none goes to all", async () => {
    const now = hub.ctx.now();
    const [north, south] = await hub.ctx.db
      .insert(sites)
      .values([
        { name: "North", createdAt: now },
        { name: "South", createdAt: now },
      ])
      .returning();
    const [weekly, monthly] = await hub.ctx.db
      .insert(pools)
      .values([
        { name: "Weekly", createdAt: now, updatedAt: now },
        { name: "Monthly", createdAt: now, updatedAt: now },
      ] as never)
      .returning();
    if (!north || !south || !weekly || !monthly) throw new Error("no rows");
    await hub.ctx.db.insert(agents).values([
      { id: "agent-n", name: "north-host", siteId: north.id, createdAt: now, updatedAt: now },
      { id: "agent-s", name: "south-host", siteId: south.id, createdAt: now, updatedAt: now },
    ] as never);
    const [weeklyJob, monthlyJob] = await hub.ctx.db
      .insert(jobs)
      .values([
        { name: "weekly-job", poolId: weekly.id, createdAt: now, updatedAt: now },
        { name: "monthly-job", poolId: monthly.id, createdAt: now, updatedAt: now },
      ])
      .returning();
    const [monthlyTape] = await hub.ctx.db
      .insert(tapes)
      .values({ barcode: "TB0001L9", poolId: monthly.id, createdAt: now, updatedAt: now } as never)
      .returning();
    await saveEmail({ poolIds: [weekly.id] });
    await saveTelegram({ siteIds: [north.id] });

    // The producers name only a job, a tape or an agent: routing reads the pool and site from them.
    await recordEvent(hub.ctx, { kind: "run.failed", text: "E1 weekly job failed", jobId: weeklyJob?.id });
    await recordEvent(hub.ctx, { kind: "run.failed", text: "E2 monthly job failed", jobId: monthlyJob?.id });
    await recordEvent(hub.ctx, {
      kind: "tape.needed",
      text: "E3 monthly tape at the south site",
      tapeId: monthlyTape?.id,
      agentId: "agent-s",
    });
    await recordEvent(hub.ctx, { kind: "agent.offline", text: "E4 north agent silent", agentId: "agent-n" });
    await recordEvent(hub.ctx, { kind: "drive.alert", text: "E5 names no site or pool" });

    await tick();
    await Promise.all([smtp.waitForMails(3), bot.waitForMessages(4)]);
    await tick();
    const mailed = smtp.mails.map((m) => decodedParts(m.raw).text.slice(0, 2));
    expect(mailed).toEqual(["E1", "E4", "E5"]);
    const told = bot.messages.map((m) => /E\d/.exec(m.text)?.[0]);
    expect(told).toEqual(["E1", "E2", "E4", "E5"]);
  });

  it("tells the other channel once that the e-mail channel gave messages up, and never feeds a failing channel its own failure", async () => {
    await saveEmail({ password: "wrong password", events: ["run.failed", "notify.failed"] });
    await saveTelegram({ events: ["notify.failed"] });
    await recordEvent(hub.ctx, { kind: "run.failed", text: "first failure" });
    await recordEvent(hub.ctx, { kind: "run.failed", text: "second failure" });
    await tick();
    await tick();
    await bot.waitForMessages(1);
    await tick();
    await tick();
    expect(smtp.mails).toHaveLength(0);
    expect(bot.requests).toBe(1);
    expect(bot.messages[0]?.text).toContain(
      "The e-mail channel could not send a message and gave it up: SMTP",
    );
    const failed = await hub.ctx.db.select().from(events).where(eq(events.kind, "notify.failed"));
    expect(failed).toHaveLength(1);
    expect(await states()).toEqual(["failed", "failed", "failed", "sent"]);
  });

  it("on a hub that cannot send e-mail (workerd), fails the e-mail row with that reason and tells Telegram once", async () => {
    await saveEmail({ events: ["run.failed"] });
    await saveTelegram({ events: ["notify.failed"] });
    await recordEvent(hub.ctx, { kind: "run.failed", text: "first" });
    await recordEvent(hub.ctx, { kind: "run.failed", text: "second" });
    const workerSenders: Senders = {
      telegram: senders.telegram,
      unavailable: { email: "This hub runs on Cloudflare Workers and does not send e-mail" },
    };
    const workerTick = () =>
      notifyTick(hub.ctx, {
        masterKey: hub.deps.secrets.masterKey,
        senders: workerSenders,
        logger: hub.deps.logger,
        leaseMs: LEASE_MS,
        summaryHour: 24,
      });
    await workerTick();
    await workerTick();
    await bot.waitForMessages(1);
    await workerTick();
    expect(bot.requests).toBe(1);
    expect(bot.messages[0]?.text).toContain("does not send e-mail");
    const rows = await hub.ctx.db.select().from(outbox).orderBy(outbox.id);
    expect(rows.map((r) => [r.state, r.lastError])).toEqual([
      ["failed", "Not sent: This hub runs on Cloudflare Workers and does not send e-mail"],
      ["failed", "Not sent: This hub runs on Cloudflare Workers and does not send e-mail"],
      ["sent", null],
    ]);
  });

  it("edits quiet hours and the site and pool limits on the settings page, every name escaped", async () => {
    const now = hub.ctx.now();
    const [site] = await hub.ctx.db
      .insert(sites)
      .values({ name: "<script>site</script>", createdAt: now })
      .returning();
    const [pool] = await hub.ctx.db
      .insert(pools)
      .values({ name: "Pool <b>A</b>", createdAt: now, updatedAt: now } as never)
      .returning();
    if (!site || !pool) throw new Error("no rows");
    const admin = await hub.tokenFor("admin");
    const body = new URLSearchParams([
      ["enabled", "on"],
      ["chatId", "-100123"],
      ["botToken", BOT_TOKEN],
      ["events", "run.failed"],
      ["quietStart", "22:30"],
      ["quietEnd", "06:15"],
      ["quietZone", "Europe/Berlin"],
      ["holdBelow", "error"],
      ["siteIds", String(site.id)],
      ["poolIds", String(pool.id)],
    ]);
    const saved = await hub.postForm("/settings/notifications/telegram", body.toString(), admin);
    expect(saved.status, await saved.clone().text()).toBe(200);
    const [row] = await hub.ctx.db.query.notificationChannels.findMany();
    expect(row).toMatchObject({
      quietHours: { start: "22:30", end: "06:15", timeZone: "Europe/Berlin", holdBelow: "error" },
      siteIds: [site.id],
      poolIds: [pool.id],
    });
    const page = await (await hub.request("/settings", { token: admin })).text();
    expect(page).toContain('name="quietStart" type="text" value="22:30"');
    expect(page).toContain("&lt;script&gt;site&lt;/script&gt;");
    expect(page).not.toContain("<script>site");
    expect(page).toContain("Pool &lt;b&gt;A&lt;/b&gt;");
    expect(page).toMatch(new RegExp(`name="siteIds" value="${site.id}" checked`));

    const bad = await hub.postForm(
      "/settings/notifications/telegram",
      "enabled=on&chatId=-100123&quietStart=25:00&quietEnd=06:00",
      admin,
    );
    expect(await bad.text()).toContain("is a time of day as HH:MM");
    // Cleared on the page: no quiet hours, all sites and pools.
    await hub.postForm(
      "/settings/notifications/telegram",
      "enabled=on&chatId=-100123&events=run.failed",
      admin,
    );
    const [cleared] = await hub.ctx.db.query.notificationChannels.findMany();
    expect(cleared).toMatchObject({ quietHours: null, siteIds: null, poolIds: null });
  });

  it("records the daily summary once a day after its hour in the hub's time zone", async () => {
    const token = await hub.tokenFor("admin");
    const zone = await hub.request("/api/v1/settings/time-zone", {
      method: "PUT",
      token,
      json: { timeZone: ZONE },
    });
    expect(zone.status).toBe(200);
    // To the next 06:30 in ZONE on the hub's clock, whatever the time of day the test runs at.
    const minutes = localMinutes(hub.ctx.now(), ZONE);
    hub.advanceClock((((6 * 60 + 30 - minutes + 1440) % 1440) + 1) * 60_000);
    expect(await recordDailySummary(hub.ctx, 7)).toBe(false);
    hub.advanceClock(3600_000);
    expect(await recordDailySummary(hub.ctx, 7)).toBe(true);
    expect(await recordDailySummary(hub.ctx, 7)).toBe(false);
    hub.advanceClock(12 * 3600_000);
    expect(await recordDailySummary(hub.ctx, 7)).toBe(false);
    hub.advanceClock(12 * 3600_000);
    expect(await recordDailySummary(hub.ctx, 7)).toBe(true);
    const keys = (await hub.ctx.db.select().from(events).where(eq(events.kind, "summary.daily"))).map(
      (e) => e.dedupeKey,
    );
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(
      `summary.daily:${new Intl.DateTimeFormat("en-CA", { timeZone: ZONE }).format(new Date(hub.ctx.now().getTime() - 24 * 3600_000))}`,
    );
  });

  it("refuses a channel limited to a pool that does not exist, and a quiet window that starts where it ends", async () => {
    const token = await hub.tokenFor("admin");
    const base = { enabled: true, chatId: "-100123", botToken: BOT_TOKEN, events: ["run.failed"] };
    const unknown = await hub.request("/api/v1/settings/notifications/telegram", {
      method: "PUT",
      token,
      json: { ...base, poolIds: [999] },
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain("No pool with id 999");
    const empty = await hub.request("/api/v1/settings/notifications/telegram", {
      method: "PUT",
      token,
      json: { ...base, quietHours: { start: "22:00", end: "22:00" } },
    });
    expect(empty.status).toBe(400);
    const badZone = await hub.request("/api/v1/settings/notifications/telegram", {
      method: "PUT",
      token,
      json: { ...base, quietHours: { start: "22:00", end: "07:00", timeZone: "Mars/Olympus" } },
    });
    expect(badZone.status).toBe(400);
  });
});
