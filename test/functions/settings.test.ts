import { eq, like } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs, jobs, settings } from "../../functions/db/schema/index.ts";
import { ADMIN_PASSWORD, errorOf, hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";

const PASSWORD = "smtp-Pa55word-never-shown";
const BOT_TOKEN = "123456789:AAH-bot-token-never-shown_0123456789ab";

describe("hub settings", () => {
  let hub: TestHub;
  let admin: string;
  hubWithAdminForEachTest({}, (fixture) => ({ hub, admin } = fixture));

  const put = (path: string, json: unknown) =>
    hub.request(`/api/v1/settings${path}`, { method: "PUT", token: admin, json });
  const email = {
    enabled: true,
    host: "smtp.example.com",
    port: 587,
    from: "tapes@example.com",
    to: ["ops@example.com"],
    username: "tapes",
    events: ["run.failed"],
  };
  const form = (fields: Record<string, string | string[]>) => {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
    return {
      method: "POST",
      token: admin,
      headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
      body: body.toString(),
    };
  };
  /** Everything the hub could leak a secret through: answers, pages, logs, audit rows, stored rows. */
  async function leaks(secret: string, answers: string[]) {
    const page = await (await hub.request("/settings", { token: admin })).text();
    const api = await (await hub.request("/api/v1/settings", { token: admin })).text();
    const stored = await hub.catalog.client.execute("select * from notification_channels");
    const audit = await hub.ctx.db.query.auditLogs.findMany();
    return [
      ...answers,
      page,
      api,
      JSON.stringify(hub.logs),
      JSON.stringify(stored.rows),
      JSON.stringify(audit),
    ]
      .filter((text) => text.includes(secret))
      .map((text) => text.slice(0, 80));
  }

  it("stores the SMTP password write-only: shown as set, never returned, logged or stored in clear", async () => {
    const res = await put("/notifications/email", { ...email, password: PASSWORD });
    expect(res.status).toBe(200);
    const answer = await res.text();
    expect(JSON.parse(answer)).toMatchObject({ kind: "email", enabled: true, secretSet: true });
    expect(await leaks(PASSWORD, [answer])).toEqual([]);
    expect(await (await hub.request("/settings", { token: admin })).text()).toContain(
      '<span id="email-secret-state" class="secret-state">set</span>',
    );
  });

  it("keeps the stored secret when a save leaves it out, and removes it only when told", async () => {
    await put("/notifications/email", { ...email, password: PASSWORD });
    const kept = await put("/notifications/email", { ...email, port: 465 });
    expect(await kept.json()).toMatchObject({ secretSet: true, config: { port: 465 } });
    const cleared = await put("/notifications/email", { ...email, username: null, clearPassword: true });
    expect(await cleared.json()).toMatchObject({ secretSet: false });
  });

  it("refuses a channel that would need a secret it does not have, and bad addresses, naming the field", async () => {
    const noToken = await put("/notifications/telegram", { enabled: true, chatId: "-1001234567890" });
    expect(noToken.status).toBe(400);
    expect((await errorOf(noToken)).message).toBe("Give the bot token; none is stored yet");
    const noPassword = await put("/notifications/email", email);
    expect((await errorOf(noPassword)).message).toBe(
      "Give the SMTP password of the user; none is stored yet",
    );
    const badFrom = await put("/notifications/email", { ...email, from: "not an address", password: "x" });
    expect((await errorOf(badFrom)).message).toBe("Invalid body.from: is not an e-mail address");
    const badToken = await put("/notifications/telegram", { chatId: "42", botToken: "nope" });
    expect((await errorOf(badToken)).message).toMatch(
      /^Invalid body.botToken: does not look like a bot token/,
    );
    expect(await hub.ctx.db.query.notificationChannels.findMany()).toEqual([]);
  });

  it("saves the Telegram channel from the page: message and state in place, the token not echoed", async () => {
    const res = await hub.request(
      "/settings/notifications/telegram",
      form({
        enabled: "on",
        chatId: "-1001234567890",
        botToken: BOT_TOKEN,
        events: ["run.failed", "tape.needed"],
      }),
    );
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Telegram channel saved (on); bot token set");
    expect(html).toContain(
      '<span id="telegram-secret-state" class="secret-state" hx-swap-oob="true">set</span>',
    );
    expect(html).toMatch(
      /<input id="telegram-secret" name="botToken" type="password"[^>]*hx-swap-oob="true">/,
    );
    expect(await leaks(BOT_TOKEN, [html])).toEqual([]);
    const [row] = await hub.ctx.db.query.notificationChannels.findMany();
    expect(row).toMatchObject({
      kind: "telegram",
      config: { chatId: "-1001234567890" },
      events: ["run.failed", "tape.needed"],
    });
    const audit = await hub.ctx.db.query.auditLogs.findFirst({
      where: eq(auditLogs.action, "settings.notifications"),
    });
    expect(audit).toMatchObject({ outcome: "success", target: "telegram" });
    expect(audit?.details).toEqual({ fields: ["enabled", "chatId", "botToken", "events", "minSeverity"] });
  });

  it("answers a bad page form with an in-place message and saves nothing", async () => {
    const res = await hub.request(
      "/settings/notifications/email",
      form({ host: "smtp example", from: "a@b.c", to: "x@y.z" }),
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^<div class="alert error" role="alert">Host is a host name/);
    expect(await hub.ctx.db.query.notificationChannels.findMany()).toEqual([]);
  });

  it("needs the CSRF token for a save from a signed-in browser", async () => {
    const login = await hub.request("/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
      body: new URLSearchParams({ username: "admin", password: ADMIN_PASSWORD }).toString(),
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const res = await hub.request("/settings/job-defaults", {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
      body: "compression=gzip&blockSize=262144",
    });
    expect(res.status).toBe(403);
    const denied = await hub.ctx.db.query.auditLogs.findFirst({
      where: eq(auditLogs.action, "settings.job_defaults"),
    });
    expect(denied?.outcome).toBe("denied");
  });

  it("defaults for new jobs: a job created without compression gets the hub's default", async () => {
    const saved = await put("/job-defaults", { compression: "gzip", blockSize: 256 * 1024 });
    expect(await saved.json()).toEqual({ compression: "gzip", blockSize: 262144 });
    const post = async (path: string, json: unknown) =>
      await hub.requestJson<{ id: number }>(path, { method: "POST", token: admin, json });
    const pool = await post("/api/v1/pools", { name: "Weekly" });
    const source = await post("/api/v1/sources", { name: "Share", kind: "local", paths: ["/srv"] });
    const job = await post("/api/v1/jobs", { name: "Nightly", sourceId: source.id, poolId: pool.id });
    expect((await hub.ctx.db.query.jobs.findFirst({ where: eq(jobs.id, job.id) }))?.compression).toBe("gzip");
    const odd = await put("/job-defaults", { compression: "zstd", blockSize: 100_000 });
    expect((await errorOf(odd)).message).toBe("Invalid body.blockSize: must be a multiple of 512 bytes");
  });

  it("never shows or touches the hub's own secret rows", async () => {
    const before = await hub.ctx.db.query.settings.findMany({ where: like(settings.key, "hub.%") });
    expect(before.length).toBeGreaterThanOrEqual(2);
    await put("/job-defaults", { compression: "none", blockSize: 65536 });
    await put("/notifications/email", { ...email, password: PASSWORD });
    const after = await hub.ctx.db.query.settings.findMany({ where: like(settings.key, "hub.%") });
    expect(after).toEqual(before);
    const view = await (await hub.request("/api/v1/settings", { token: admin })).text();
    const page = await (await hub.request("/settings", { token: admin })).text();
    for (const row of before) {
      const value = JSON.stringify(row.value);
      for (const piece of value.match(/[A-Za-z0-9_-]{20,}/g) ?? []) {
        expect(view).not.toContain(piece);
        expect(page).not.toContain(piece);
      }
    }
    const facts = (JSON.parse(view) as { facts: Record<string, string> }).facts;
    expect(facts).toMatchObject({
      version: expect.any(String),
      orderKeyFingerprint: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
  });

  it("is for admins only: an operator is refused the page and the API", async () => {
    const op = await hub.tokenFor("operator");
    expect((await hub.request("/settings", { token: op })).status).toBe(403);
    expect((await hub.request("/api/v1/settings", { token: op })).status).toBe(403);
    expect(await (await hub.request("/", { token: op })).text()).not.toContain('href="/settings"');
  });
});
