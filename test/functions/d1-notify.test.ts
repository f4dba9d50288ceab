import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbFromD1 } from "../../functions/db/client.ts";
import { events, jobs, outbox, pools } from "../../functions/db/schema/index.ts";
import { fetchTelegramSender } from "../../functions/senders/telegram-fetch.ts";
import { recordEvent } from "../../functions/services/events/record-event.ts";
import { notifyTick } from "../../functions/services/notify/notify-tick.ts";
import { schedulerTick } from "../../functions/services/runs/scheduler-tick.ts";
import { type BotApi, startBotApi } from "../helpers/bot-api.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";
import { clockIn } from "../helpers/notify-peers.ts";
import { type LocalD1, startLocalD1 } from "../helpers/wrangler.ts";

const BOT_TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789";

/**
 * The notifier's SQL on a real D1 (workerd's, through wrangler's platform proxy), as the Worker's
 * cron trigger runs it: routing by pool, quiet hours and their digest, conditions told once.
 */
describe("quiet hours, routing and conditions on D1", () => {
  let d1: LocalD1 | undefined;
  let hub: TestHub;
  let bot: BotApi;

  beforeAll(async () => {
    d1 = await startLocalD1("tb-d1-notify-");
    hub = await createTestHub({}, { db: dbFromD1(d1.DB) });
    bot = await startBotApi(BOT_TOKEN);
  }, 200_000);

  afterAll(async () => {
    await bot?.close();
    await hub?.close();
    await d1?.close();
  });

  it("holds, digests once, routes by pool and tells a condition once", async () => {
    const tick = () =>
      notifyTick(hub.ctx, {
        masterKey: hub.deps.secrets.masterKey,
        senders: { telegram: fetchTelegramSender(bot.url) },
        logger: hub.deps.logger,
        leaseMs: 60_000,
        summaryHour: 24,
      });
    const now = hub.ctx.now();
    const [weekly, monthly] = await hub.ctx.db
      .insert(pools)
      .values([
        { name: "Weekly", createdAt: now, updatedAt: now },
        { name: "Monthly", createdAt: now, updatedAt: now },
      ] as never)
      .returning();
    if (!weekly || !monthly) throw new Error("no pools");
    const [weeklyJob, monthlyJob] = await hub.ctx.db
      .insert(jobs)
      .values([
        { name: "weekly-job", poolId: weekly.id, createdAt: now, updatedAt: now },
        { name: "monthly-job", poolId: monthly.id, createdAt: now, updatedAt: now },
      ])
      .returning();
    const saved = await hub.request("/api/v1/settings/notifications/telegram", {
      method: "PUT",
      token: await hub.tokenFor("admin"),
      json: {
        enabled: true,
        chatId: "-100123",
        botToken: BOT_TOKEN,
        events: ["run.failed", "drive.alert"],
        poolIds: [weekly.id],
        quietHours: {
          start: clockIn(new Date(now.getTime() - 3600_000), "UTC"),
          end: clockIn(new Date(now.getTime() + 3600_000), "UTC"),
          timeZone: "UTC",
        },
      },
    });
    expect(saved.status, await saved.clone().text()).toBe(200);
    await recordEvent(hub.ctx, { kind: "run.failed", text: "W1 weekly failed", jobId: weeklyJob?.id });
    await recordEvent(hub.ctx, { kind: "run.failed", text: "M1 monthly failed", jobId: monthlyJob?.id });
    await recordEvent(hub.ctx, { kind: "drive.alert", severity: "critical", text: "C1 drive broke" });
    await tick();
    await bot.waitForMessages(1);
    expect(bot.messages.map((m) => /[WMC]1/.exec(m.text)?.[0])).toEqual(["C1"]);
    hub.advanceClock(62 * 60_000);
    await tick();
    await bot.waitForMessages(2);
    await tick();
    expect(bot.requests).toBe(2);
    expect(bot.messages[1]?.text).toContain("1 event held during quiet hours");
    expect(bot.messages[1]?.text).toContain("W1 weekly failed");
    expect(bot.messages[1]?.text).not.toContain("M1");
    const states = (await hub.ctx.db.select().from(outbox).orderBy(outbox.id)).map((r) => r.state);
    expect(states).toEqual(["digested", "sent", "sent"]);

    // A pool whose retention is shorter than its job's full cycle: told once over two ticks.
    await hub.ctx.db.insert(jobs).values({
      name: "incr",
      poolId: weekly.id,
      backupType: "incremental",
      fullSchedule: "0 2 * * 0",
      enabled: false,
      createdAt: now,
      updatedAt: now,
    });
    await hub.ctx.db.update(pools).set({ retentionDays: 3 });
    await schedulerTick(hub.ctx, hub.deps.logger);
    await schedulerTick(hub.ctx, hub.deps.logger);
    const raised = await hub.ctx.db
      .select()
      .from(events)
      .where(inArray(events.kind, ["retention.warning"]));
    expect(raised).toHaveLength(1);
    expect(raised[0]?.poolId).toBe(weekly.id);
  });
});
