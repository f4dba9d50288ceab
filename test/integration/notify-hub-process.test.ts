import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateCatalog, type NodeCatalog, openCatalog } from "../../functions/db/client-node.ts";
import { outbox } from "../../functions/db/schema/index.ts";
import { recordEvent } from "../../functions/services/events/record-event.ts";
import { type HubProcess, startHubOnCatalog, startHubProcess } from "../helpers/agent-process.ts";
import { type BotApi, startBotApi } from "../helpers/bot-api.ts";
import type { Spawned } from "../helpers/process.ts";

const BOT_TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789";

describe("the notifier in real hub processes", () => {
  let bot: BotApi;
  let hub: HubProcess;
  let catalog: NodeCatalog;
  let others: Spawned[];

  beforeEach(async () => {
    bot = await startBotApi(BOT_TOKEN);
    others = [];
    hub = await startHubProcess({
      env: hubEnv(/crash|stopped/.test(expect.getState().currentTestName ?? "") ? 2 : 60),
    });
    const url = `file:${join(hub.dir, "tapebackarr.db")}`;
    catalog = openCatalog(url);
    await migrateCatalog(catalog, url);
    const saved = await hub.api("PUT", "/api/v1/settings/notifications/telegram", {
      enabled: true,
      chatId: "-100123",
      botToken: BOT_TOKEN,
      events: ["drive.alert", "tape.needed"],
    });
    expect(saved.status).toBe(200);
  });
  afterEach(async () => {
    await Promise.all(others.map((p) => p.stop()));
    catalog.client.close();
    await hub.stop();
    await bot.close();
  });

  /** The crash test waits out the lease; elsewhere it outlives any send on a busy machine. */
  const hubEnv = (leaseSeconds = 60) => ({
    TELEGRAM_API_ROOT: bot.url,
    NOTIFY_INTERVAL_MS: "100",
    NOTIFY_LEASE_SECONDS: String(leaseSeconds),
  });
  const ctx = () => ({ db: catalog.db, now: () => new Date() });

  it("a hub stopped while sending, then restarted, delivers the message once", async () => {
    bot.script.push({ hold: true });
    const held = bot.held();
    await recordEvent(ctx(), { kind: "tape.needed", text: "Nightly (run #3) is waiting for a tape" });
    await held;
    // The hub claimed the row and is mid-send; it stops, and the server never answered.
    await hub.process.stop();
    bot.dropHeld();
    expect(bot.messages).toHaveLength(0);
    const [claimed] = await catalog.db.select().from(outbox);
    expect(claimed?.state).toBe("pending");
    expect(claimed?.leaseToken).not.toBeNull();

    await hub.restart();
    const [message] = await bot.waitForMessages(1);
    expect(message?.text).toContain("Nightly (run #3) is waiting for a tape");
    await hub.process.stop();
    expect(bot.messages).toHaveLength(1);
    expect(bot.requests).toBe(2);
    const [row] = await catalog.db.select().from(outbox);
    expect(row?.state).toBe("sent");
    expect(row?.uncertain).toBe(true);
  }, 120_000);

  it("two hub processes on one catalog send each message once", async () => {
    const second = await startHubOnCatalog(hub.dir, hubEnv());
    others.push(second.process);
    for (let i = 0; i < 12; i++)
      await recordEvent(ctx(), { kind: "drive.alert", text: `LTO-${i} reports Clean now` });
    await bot.waitForMessages(12);
    // Both stopped: nothing can be sent any more, so the count is final.
    await Promise.all([hub.process.stop(), second.process.stop()]);
    expect(bot.messages.map((m) => m.text.match(/LTO-\d+/)?.[0]).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `LTO-${i}`).sort(),
    );
    expect(new Set(bot.messages.map((m) => m.text)).size).toBe(12);
    expect(bot.requests).toBe(12);
    const rows = await catalog.db.select().from(outbox);
    expect(rows.map((r) => r.state)).toEqual(Array(12).fill("sent"));
    // Neither hub stumbled on the other's writes (busy catalog) on the way.
    expect(hub.process.stdout() + second.process.stdout()).not.toMatch(/notification tick failed/);
  }, 120_000);
});
