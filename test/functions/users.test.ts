import { describe, expect, it } from "vitest";
import { errorOf, hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";

describe("user administration", () => {
  let hub: TestHub;
  let admin: string;
  hubWithAdminForEachTest(
    { CORS_ORIGINS: "https://console.example" },
    (fixture) => ({ hub, admin } = fixture),
  );

  const createUser = (json: unknown) => hub.request("/api/v1/users", { method: "POST", token: admin, json });

  it("creates users with a normalised name and never returns a password hash", async () => {
    const res = await createUser({ username: "Alice", password: "long-enough-pw", role: "operator" });
    expect(res.status).toBe(201);
    const user = await res.json();
    expect(user).toMatchObject({ username: "alice", role: "operator", disabled: false });
    expect(JSON.stringify(user)).not.toMatch(/password/i);
    expect(
      (await createUser({ username: "alice", password: "long-enough-pw", role: "operator" })).status,
    ).toBe(409);
    expect((await createUser({ username: "bob", password: "short", role: "operator" })).status).toBe(400);
    expect((await createUser({ username: "bob", password: "long-enough-pw", role: "root" })).status).toBe(
      400,
    );
  });

  it("a new password ends the user's open sessions and the old password stops working", async () => {
    const created = (await (
      await createUser({ username: "carol", password: "first-password", role: "read-only" })
    ).json()) as { id: number };
    const login = async (password: string) =>
      hub.request("/api/v1/auth/login", { method: "POST", json: { username: "carol", password } });
    const { token } = (await (await login("first-password")).json()) as { token: string };
    await hub.request(`/api/v1/users/${created.id}`, {
      method: "PATCH",
      token: admin,
      json: { password: "second-password" },
    });
    expect((await hub.request("/api/v1/auth/me", { token })).status).toBe(401);
    expect((await login("first-password")).status).toBe(401);
    expect((await login("second-password")).status).toBe(200);
  });

  it("never leaves the hub without an active admin", async () => {
    const me = await hub.requestJson<{
      user: { id: number };
    }>("/api/v1/auth/me", { token: admin });
    const demote = await hub.request(`/api/v1/users/${me.user.id}`, {
      method: "PATCH",
      token: admin,
      json: { role: "operator" },
    });
    expect(demote.status).toBe(409);
    expect((await errorOf(demote)).message).toMatch(/last active admin/);
    const self = await hub.request(`/api/v1/users/${me.user.id}`, { method: "DELETE", token: admin });
    expect(self.status).toBe(409);
    const other = (await (
      await createUser({ username: "dave", password: "long-enough-pw", role: "admin" })
    ).json()) as { id: number };
    expect((await hub.request(`/api/v1/users/${other.id}`, { method: "DELETE", token: admin })).status).toBe(
      204,
    );
  });

  it("an operator's API key cannot exceed the operator, and an admin-role key of a demoted admin acts with the lower role", async () => {
    const dave = (await (
      await createUser({ username: "erin", password: "long-enough-pw", role: "admin" })
    ).json()) as { id: number };
    const erinLogin = await hub.requestJson<{ token: string }>("/api/v1/auth/login", {
      method: "POST",
      json: { username: "erin", password: "long-enough-pw" },
    });
    const { key } = await hub.requestJson<{ key: string }>("/api/v1/api-keys", {
      method: "POST",
      token: erinLogin.token,
      json: { name: "erin", role: "admin" },
    });
    expect((await hub.request("/api/v1/users", { token: key })).status).toBe(200);
    await hub.request(`/api/v1/users/${dave.id}`, {
      method: "PATCH",
      token: admin,
      json: { role: "operator" },
    });
    expect((await hub.request("/api/v1/users", { token: key })).status).toBe(403);
    expect(
      (await hub.request("/api/v1/pools", { method: "POST", token: key, json: { name: "still operator" } }))
        .status,
    ).toBe(201);
  });

  it("answers CORS only for configured origins", async () => {
    const allowed = await hub.request("/api/v1/health", { headers: { origin: "https://console.example" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://console.example");
    expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
    const other = await hub.request("/api/v1/health", { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await hub.request("/api/v1/pools", {
      method: "OPTIONS",
      headers: { origin: "https://console.example", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/X-CSRF-Token/i);
  });
});
