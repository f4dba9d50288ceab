import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, createTestHub, errorOf, type TestHub } from "../helpers/hub.ts";

describe("sign-in", () => {
  let hub: TestHub;
  beforeEach(async () => {
    hub = await createTestHub({
      LOGIN_MAX_FAILURES_PER_USER: "3",
      LOGIN_MAX_FAILURES_PER_IP: "5",
      LOGIN_WINDOW_MINUTES: "15",
      TRUST_PROXY: "true",
    });
  });
  afterEach(() => hub.close());

  const login = (username: string, password: string, ip = "10.9.0.1") =>
    hub.request("/api/v1/auth/login", {
      method: "POST",
      json: { username, password },
      headers: { "x-forwarded-for": ip },
    });

  it("returns a token and the user, and sets an HttpOnly SameSite=Strict session cookie", async () => {
    const res = await login("admin", ADMIN_PASSWORD);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; user: Record<string, unknown> };
    expect(body.token.split(".")).toHaveLength(3);
    expect(body.user).toMatchObject({ username: "admin", role: "admin" });
    expect(body.user).not.toHaveProperty("passwordHash");
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^tb_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);

    const me = await hub.request("/api/v1/auth/me", { token: body.token });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { username: "admin" }, via: "bearer", csrfToken: null });
  });

  it("refuses a wrong password and an unknown user with the same 401", async () => {
    const wrong = await login("admin", "not-the-password");
    const unknown = await login("nobody", "whatever-password");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect((await errorOf(wrong)).message).toBe((await errorOf(unknown)).message);
    expect(wrong.headers.get("set-cookie")).toBeNull();
  });

  it("answers 429 with Retry-After once a user has too many recent failures, even with the right password", async () => {
    for (let i = 0; i < 3; i++) expect((await login("admin", "wrong", `10.0.0.${i}`)).status).toBe(401);
    const limited = await login("admin", ADMIN_PASSWORD, "10.0.0.99");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await errorOf(limited)).code).toBe("rate_limited");

    hub.advanceClock(16 * 60_000);
    expect((await login("admin", ADMIN_PASSWORD, "10.0.0.99")).status).toBe(200);
  });

  it("limits one address that tries many usernames", async () => {
    for (let i = 0; i < 5; i++) expect((await login(`user${i}`, "wrong", "10.7.7.7")).status).toBe(401);
    expect((await login("admin", ADMIN_PASSWORD, "10.7.7.7")).status).toBe(429);
    expect((await login("admin", ADMIN_PASSWORD, "10.7.7.8")).status).toBe(200);
  });

  it("ignores X-Forwarded-For unless TRUST_PROXY is set, so a client cannot pick its own address", async () => {
    const direct = await createTestHub({ LOGIN_MAX_FAILURES_PER_IP: "2", LOGIN_MAX_FAILURES_PER_USER: "50" });
    try {
      for (const ip of ["10.1.1.1", "10.1.1.2"]) {
        const res = await direct.request("/api/v1/auth/login", {
          method: "POST",
          json: { username: "x", password: "y" },
          ip,
        });
        expect(res.status).toBe(401);
      }
      const res = await direct.request("/api/v1/auth/login", {
        method: "POST",
        json: { username: "admin", password: ADMIN_PASSWORD },
        ip: "10.1.1.3",
      });
      expect(res.status).toBe(429);
    } finally {
      await direct.close();
    }
  });

  it("counts failures in the catalog, so a second hub instance on the same catalog enforces the same limit", async () => {
    for (let i = 0; i < 3; i++) await login("admin", "wrong");
    const { createApp } = await import("../../functions/app.ts");
    const other = createApp(hub.deps);
    const res = await other.app.request("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
    });
    expect(res.status).toBe(429);
  });

  it("logout revokes the session token", async () => {
    const { token } = (await (await login("admin", ADMIN_PASSWORD)).json()) as { token: string };
    expect((await hub.request("/api/v1/auth/logout", { method: "POST", token })).status).toBe(204);
    expect((await hub.request("/api/v1/auth/me", { token })).status).toBe(401);
  });

  it("a disabled user cannot sign in and loses open sessions", async () => {
    const adminToken = await hub.tokenFor("admin");
    const opToken = await hub.tokenFor("operator");
    const users = (await (await hub.request("/api/v1/users", { token: adminToken })).json()) as {
      items: { id: number; username: string }[];
    };
    const op = users.items.find((u) => u.username === "operator-user");
    const res = await hub.request(`/api/v1/users/${op?.id}`, {
      method: "PATCH",
      token: adminToken,
      json: { disabled: true },
    });
    expect(res.status).toBe(200);
    expect((await hub.request("/api/v1/auth/me", { token: opToken })).status).toBe(401);
  });

  it("rejects an expired session token", async () => {
    const token = await hub.tokenFor("admin");
    hub.advanceClock(13 * 3600_000);
    expect((await hub.request("/api/v1/auth/me", { token })).status).toBe(401);
  });
});
