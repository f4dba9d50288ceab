import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, createTestHub, type TestHub } from "../helpers/hub.ts";

describe("login and dashboard pages", () => {
  let hub: TestHub;
  beforeEach(async () => {
    hub = await createTestHub();
  });
  afterEach(() => hub.close());

  const form = (fields: Record<string, string>) => ({
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
    body: new URLSearchParams(fields).toString(),
  });

  it("send a signed-out visitor to the login page, remembering where they were going", async () => {
    const res = await hub.request("/");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/login?next=%2F");
  });

  it("sign in from the form: cookie set, htmx told where to go (never off-site)", async () => {
    const res = await hub.request(
      "/login",
      form({ username: "admin", password: ADMIN_PASSWORD, next: "//evil.example/x" }),
    );
    expect(res.status).toBe(204);
    expect(res.headers.get("hx-redirect")).toBe("/");
    const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const page = await hub.request("/", { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("<h1>Dashboard</h1>");
    expect(html).toMatch(/hx-headers:inherited="\{&quot;X-CSRF-Token&quot;:&quot;[0-9a-f]{64}&quot;\}"/);
  });

  it("a failed sign-in comes back as an in-page alert partial, not a page or a stack", async () => {
    const res = await hub.request("/login", form({ username: "admin<script>", password: "wrong" }));
    expect(res.status).toBe(401);
    const html = await res.text();
    expect(html).toMatch(/^<div class="alert error" role="alert">Wrong username or password/);
    expect(html).not.toContain("<html");
  });

  it("signing out from the page needs the CSRF token and ends the session", async () => {
    const login = await hub.request("/login", form({ username: "admin", password: ADMIN_PASSWORD }));
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const html = await (await hub.request("/", { headers: { cookie } })).text();
    const token = (html.match(/X-CSRF-Token&quot;:&quot;([0-9a-f]{64})/) ?? [])[1] as string;
    const refused = await hub.request("/logout", {
      method: "POST",
      headers: { cookie, "hx-request": "true" },
    });
    expect(refused.status).toBe(403);
    const ok = await hub.request("/logout", {
      method: "POST",
      headers: { cookie, "hx-request": "true", "x-csrf-token": token },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get("hx-redirect")).toBe("/login");
    expect((await hub.request("/", { headers: { cookie } })).status).toBe(302);
  });

  it("pages carry a strict Content-Security-Policy and no inline script", async () => {
    const res = await hub.request("/login");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await res.text()).not.toMatch(/<script>(?!<\/script>)/);
  });
});
