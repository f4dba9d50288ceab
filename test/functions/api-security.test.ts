import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { apiKeys, auditLogs } from "../../functions/db/schema/index.ts";
import { ADMIN_PASSWORD, createTestHub, errorOf, type TestHub } from "../helpers/hub.ts";

describe("API keys", () => {
  let hub: TestHub;
  beforeEach(async () => {
    hub = await createTestHub();
  });
  afterEach(() => hub.close());

  async function createKey(role: string, token?: string) {
    const res = await hub.request("/api/v1/api-keys", {
      method: "POST",
      token: token ?? (await hub.tokenFor("admin")),
      json: { name: `ci ${role}`, role },
    });
    return { res, body: (await res.json()) as { key: string; apiKey: Record<string, unknown> } };
  }

  it("are shown once, stored only as a hash, and authenticate as Bearer with their own role", async () => {
    const { res, body } = await createKey("read-only");
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(body.key).toMatch(/^tbk_[A-Za-z0-9]{8}_/);
    expect(body.apiKey).not.toHaveProperty("keyHash");

    const [row] = await hub.ctx.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.id, body.apiKey.id as number));
    expect(row?.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(body.key);

    const list = await hub.request("/api/v1/api-keys", { token: await hub.tokenFor("admin") });
    expect(await list.text()).not.toContain(body.key.slice("tbk_12345678_".length));

    const me = await hub.request("/api/v1/auth/me", { token: body.key });
    expect(await me.json()).toMatchObject({ user: { username: "admin", role: "read-only" }, via: "api-key" });
    expect((await hub.request("/api/v1/pools", { token: body.key })).status).toBe(200);
    expect(
      (await hub.request("/api/v1/pools", { method: "POST", token: body.key, json: { name: "x" } })).status,
    ).toBe(403);
  });

  it("stop working when revoked, and a forged key with a real prefix is refused", async () => {
    const { body } = await createKey("operator");
    const forged = `${body.key.slice(0, 13)}${"A".repeat(43)}`;
    expect((await hub.request("/api/v1/pools", { token: forged })).status).toBe(401);
    const revoke = await hub.request(`/api/v1/api-keys/${body.apiKey.id}`, {
      method: "DELETE",
      token: await hub.tokenFor("admin"),
    });
    expect(revoke.status).toBe(204);
    expect((await hub.request("/api/v1/pools", { token: body.key })).status).toBe(401);
  });

  it("an expired key is refused", async () => {
    const res = await hub.request("/api/v1/api-keys", {
      method: "POST",
      token: await hub.tokenFor("admin"),
      json: { name: "short", role: "read-only", expiresInDays: 1 },
    });
    const { key } = (await res.json()) as { key: string };
    expect((await hub.request("/api/v1/pools", { token: key })).status).toBe(200);
    hub.advanceClock(2 * 86_400_000);
    expect((await hub.request("/api/v1/pools", { token: key })).status).toBe(401);
  });
});

describe("CSRF protection", () => {
  let hub: TestHub;
  beforeEach(async () => {
    hub = await createTestHub();
  });
  afterEach(() => hub.close());

  async function cookieSession() {
    const res = await hub.request("/api/v1/auth/login", {
      method: "POST",
      json: { username: "admin", password: ADMIN_PASSWORD },
    });
    const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const me = (await (await hub.request("/api/v1/auth/me", { headers: { cookie } })).json()) as {
      csrfToken: string;
    };
    return { cookie, csrfToken: me.csrfToken };
  }

  it("refuses a cookie-authenticated mutation without the token, and with another session's token", async () => {
    const { cookie } = await cookieSession();
    const other = await cookieSession();
    const missing = await hub.request("/api/v1/pools", {
      method: "POST",
      headers: { cookie },
      json: { name: "Weekly" },
    });
    expect(missing.status).toBe(403);
    expect((await errorOf(missing)).code).toBe("csrf_failed");
    const wrong = await hub.request("/api/v1/pools", {
      method: "POST",
      headers: { cookie, "x-csrf-token": other.csrfToken },
      json: { name: "Weekly" },
    });
    expect(wrong.status).toBe(403);
    expect((await hub.request("/api/v1/pools", { headers: { cookie } })).status).toBe(200);
  });

  it("accepts the session's own token, and bearer tokens need none", async () => {
    const { cookie, csrfToken } = await cookieSession();
    expect(csrfToken).toMatch(/^[0-9a-f]{64}$/);
    const ok = await hub.request("/api/v1/pools", {
      method: "POST",
      headers: { cookie, "x-csrf-token": csrfToken },
      json: { name: "Weekly" },
    });
    expect(ok.status).toBe(201);
    const bearer = await hub.request("/api/v1/pools", {
      method: "POST",
      token: await hub.tokenFor("admin"),
      json: { name: "Daily" },
    });
    expect(bearer.status).toBe(201);
  });

  it("refuses a cross-origin sign-in form post", async () => {
    const res = await hub.request("/login", {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" },
      body: `username=admin&password=${ADMIN_PASSWORD}`,
    });
    expect(res.status).toBe(403);
  });
});

describe("audit log", () => {
  let hub: TestHub;
  beforeEach(async () => {
    hub = await createTestHub();
  });
  afterEach(() => hub.close());

  const rows = () => hub.ctx.db.select().from(auditLogs).orderBy(auditLogs.id);

  it("records every login attempt with who, outcome and address, never the password", async () => {
    await hub.request("/api/v1/auth/login", {
      method: "POST",
      json: { username: "admin", password: "wrong-password" },
    });
    await hub.request("/api/v1/auth/login", {
      method: "POST",
      json: { username: "admin", password: ADMIN_PASSWORD },
    });
    const logins = (await rows()).filter((r) => r.action === "auth.login");
    expect(logins.map((r) => [r.actor, r.outcome, r.ip])).toEqual([
      ["admin", "failure", "127.0.0.1"],
      ["admin", "success", "127.0.0.1"],
    ]);
    expect(JSON.stringify(await rows())).not.toContain(ADMIN_PASSWORD);
    expect(JSON.stringify(hub.logs)).not.toContain(ADMIN_PASSWORD);
  });

  it("records each mutation with actor, action, target and request id, and refused attempts as denied", async () => {
    const admin = await hub.tokenFor("admin");
    const created = await hub.request("/api/v1/pools", {
      method: "POST",
      token: admin,
      json: { name: "Monthly" },
    });
    const pool = (await created.json()) as { id: number };
    await hub.request(`/api/v1/pools/${pool.id}`, {
      method: "PATCH",
      token: admin,
      json: { retentionDays: 90 },
    });
    const ro = await hub.tokenFor("read-only");
    await hub.request(`/api/v1/pools/${pool.id}`, { method: "DELETE", token: ro });
    await hub.request("/api/v1/pools", { method: "POST", token: admin, json: { name: "Monthly" } });

    const mutations = (await rows()).filter((r) => r.action.startsWith("pool."));
    expect(mutations.map((r) => [r.action, r.actor, r.target, r.outcome])).toEqual([
      ["pool.create", "admin", String(pool.id), "success"],
      ["pool.update", "admin", String(pool.id), "success"],
      ["pool.delete", "readonly-user", String(pool.id), "denied"],
      ["pool.create", "admin", null, "failure"],
    ]);
    expect(mutations[0]?.requestId).toBe(created.headers.get("x-request-id"));
    expect(mutations[3]?.details).toEqual({ error: "conflict" });
  });

  it("is readable by read-only users, newest first, filterable and paginated", async () => {
    for (let i = 0; i < 3; i++) {
      await hub.request("/api/v1/auth/login", {
        method: "POST",
        json: { username: "ghost", password: "wrong-password" },
      });
    }
    const ro = await hub.tokenFor("read-only");
    const page1 = (await (
      await hub.request("/api/v1/audit-logs?action=auth.login&outcome=failure&limit=2", { token: ro })
    ).json()) as {
      items: { id: number; actor: string }[];
      nextCursor: number | null;
    };
    expect(page1.items).toHaveLength(2);
    expect(page1.items[0]?.id).toBeGreaterThan(page1.items[1]?.id ?? 0);
    const page2 = (await (
      await hub.request(
        `/api/v1/audit-logs?action=auth.login&outcome=failure&limit=2&cursor=${page1.nextCursor}`,
        { token: ro },
      )
    ).json()) as {
      items: { actor: string }[];
      nextCursor: number | null;
    };
    expect(page2.items).toHaveLength(1);
    expect(page2.nextCursor).toBeNull();
  });
});
