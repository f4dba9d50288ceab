import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import type { Senders } from "../../functions/deps.ts";
import { smtpSender } from "../../functions/senders/smtp-node.ts";
import { telegrafSender } from "../../functions/senders/telegram-telegraf.ts";
import { notifyTick } from "../../functions/services/notify/notify-tick.ts";
import { type BotApi, startBotApi } from "./bot-api.ts";
import { createTestHub, type TestHub } from "./hub.ts";
import { type SmtpPeer, startSmtpPeer } from "./smtp-peer.ts";

export type NotifyFixture = { smtp: SmtpPeer; bot: BotApi; hub: TestHub; senders: Senders };

/**
 * A real SMTP peer (with `smtpAuth`) and a Bot-API server (for `botToken`) for the describe block,
 * and for each test a fresh hub sending through them, the peers emptied of what earlier tests
 * sent; handed to `use` before the test. The hub is closed after each test, the peers after all.
 */
export function notifyPeersForEachTest(
  opts: { smtpAuth: { user: string; pass: string }; botToken: string },
  use: (fixture: NotifyFixture) => void,
): void {
  let smtp: SmtpPeer;
  let bot: BotApi;
  let senders: Senders;
  let hub: TestHub | undefined;
  beforeAll(async () => {
    [smtp, bot] = await Promise.all([startSmtpPeer(opts.smtpAuth), startBotApi(opts.botToken)]);
    senders = { email: smtpSender({ ca: smtp.cert }), telegram: telegrafSender(bot.url) };
  });
  afterAll(async () => {
    await Promise.all([smtp?.close(), bot?.close()]);
  });
  beforeEach(async () => {
    hub = await createTestHub();
    hub.deps.senders = senders;
    smtp.mails.length = 0;
    bot.messages.length = 0;
    bot.requests = 0;
    bot.script.length = 0;
    use({ smtp, bot, hub, senders });
  });
  afterEach(async () => {
    await hub?.close();
  });
}

/** One notifier tick, as the scheduler runs it, on `hub` through `senders`. */
export function tickNotifier(hub: TestHub, senders: Senders, opts: { leaseMs: number; summaryHour: number }) {
  return notifyTick(hub.ctx, {
    masterKey: hub.deps.secrets.masterKey,
    senders,
    logger: hub.deps.logger,
    ...opts,
  });
}

/** HH:MM of `at` in `zone`: quiet hours are stated relative to the hub's clock, never the time of day. */
export function clockIn(at: Date, zone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    hourCycle: "h23",
    hour: "2-digit",
    minute: "2-digit",
  }).format(at);
}
