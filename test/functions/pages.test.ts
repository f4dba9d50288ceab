import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
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

describe("where the sign-in form sends the browser next", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(() => hub.close());

  /** The login page's own form, posted with the `next` its hidden field carries. */
  async function signInVia(next: string, htmx: boolean) {
    const page = await (await hub.request(`/login?next=${encodeURIComponent(next)}`)).text();
    const hidden = (page.match(/name="next" value="([^"]*)"/) ?? [])[1];
    expect(hidden, "the login page carries a next field").toBeDefined();
    const res = await hub.request("/login", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...(htmx ? { "hx-request": "true" } : {}),
      },
      // The raw `next`, not the page's: a forged form must get no further than the page's own.
      body: new URLSearchParams({ username: "admin", password: ADMIN_PASSWORD, next }).toString(),
    });
    return { res, hidden: (hidden as string).replaceAll("&amp;", "&") };
  }

  const offSite = {
    "a tab hiding a second slash": "/\t/evil.example/",
    "a protocol-relative URL": "//evil.example",
    "a backslash read as a slash": "/\\evil.example",
    "an absolute URL": "https://evil.example",
    "a javascript: URL": "javascript:alert(1)",
  };
  for (const [what, next] of Object.entries(offSite)) {
    it(`goes home, never off-site, for ${what}`, async () => {
      for (const htmx of [false, true]) {
        const { res, hidden } = await signInVia(next, htmx);
        expect(res.status).toBe(htmx ? 204 : 303);
        expect(res.headers.get(htmx ? "hx-redirect" : "location")).toBe("/");
        expect(hidden).toBe("/");
      }
    });
  }

  const oddButLocal = {
    "CR/LF": ["/runs\r\nSet-Cookie: evil=1", "/runsSet-Cookie:%20evil=1"],
    "non-Latin-1 letters": ["/ünïcødé", "/%C3%BCn%C3%AFc%C3%B8d%C3%A9"],
    "an encoded line separator": ["/%E2%80%A8", "/%E2%80%A8"],
    "a raw line separator": ["/a\u2028b", "/a%E2%80%A8b"],
  };
  for (const [what, [next, expected]] of Object.entries(oddButLocal)) {
    it(`answers a normal redirect to a plain-ASCII local path for ${what}`, async () => {
      for (const htmx of [false, true]) {
        const { res } = await signInVia(next as string, htmx);
        expect(res.status).toBe(htmx ? 204 : 303);
        const target = res.headers.get(htmx ? "hx-redirect" : "location") as string;
        expect(target).toBe(expected);
        expect(new URL(target, "http://hub.invalid").origin).toBe("http://hub.invalid");
        expect(res.headers.get("set-cookie")).not.toContain("evil");
      }
    });
  }

  it("keeps a good next with its query and follows it to the page", async () => {
    for (const htmx of [false, true]) {
      const { res, hidden } = await signInVia("/runs/3?x=1#log", htmx);
      expect(res.headers.get(htmx ? "hx-redirect" : "location")).toBe("/runs/3?x=1#log");
      expect(hidden).toBe("/runs/3?x=1#log");
    }
  });

  it("remembers the query of the page a signed-out visitor asked for", async () => {
    const res = await hub.request("/tapes?state=blank");
    expect(res.headers.get("location")).toBe(`/login?next=${encodeURIComponent("/tapes?state=blank")}`);
  });
});
