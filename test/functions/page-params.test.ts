import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { pathParams } from "../../functions/routes/pages/router.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

/**
 * Every page route with a path parameter, taken from the page router itself (a new route is
 * walked without being listed here), with ids that are not ids and ids of nothing.
 */
const NOT_IDS = ["abc", "-1", "1.5", "0", "99999999999999999999", "1e400", "%3Cscript%3Ex"];
const NO_SUCH = ["999999", "9007199254740991"];

const NAV = '<nav aria-label="Main">';

describe("page routes with an id in the address", () => {
  let hub: TestHub;
  let admin: string;
  let routes: { method: string; path: string }[];
  beforeAll(async () => {
    hub = await createTestHub();
    admin = await hub.tokenFor("admin");
    // Routes whose address carries ids; /docs/:name takes a document's name (checked below).
    routes = hub.pages.specs.filter((s) => pathParams(s.path).some((p) => p === "id" || p.endsWith("Id")));
  });
  afterAll(() => hub.close());

  const visit = (method: string, path: string, htmx = false) =>
    hub.request(path, {
      method,
      token: admin,
      headers: {
        ...(htmx ? { "hx-request": "true" } : {}),
        ...(method === "POST" ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      ...(method === "POST" ? { body: "" } : {}),
    });
  const at = (path: string, id: string) => path.replaceAll(/:\w+/g, id);

  it("finds every page route that takes an id, the ones issue 10 names among them", () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        "GET /tapes/:id",
        "GET /runs/:id",
        "GET /restore/sets/:id",
        "POST /users/:id",
        "GET /runs/:id/live",
        "POST /restore/sets/:id/start",
      ]),
    );
    expect(routes.length).toBeGreaterThanOrEqual(20);
  });

  it("answers a bad id with a 400 page inside the layout, the value escaped", async () => {
    for (const { method, path } of routes) {
      for (const id of NOT_IDS) {
        const res = await visit(method, at(path, id));
        const html = await res.text();
        const where = `${method} ${at(path, id)} → ${res.status}`;
        expect(res.status, where).toBe(400);
        expect(html, where).toMatch(/^<!doctype html>/);
        expect(html, where).toContain(NAV);
        expect(html, where).toContain("<h1>Bad request</h1>");
        expect(html, where).toContain('<div class="alert error" role="alert">');
        expect(html, where).not.toContain("<script>x");
      }
    }
  });

  it("answers an id of nothing with a 404 page inside the layout (or 400 when the form is empty first)", async () => {
    for (const { method, path } of routes) {
      for (const id of NO_SUCH) {
        const res = await visit(method, at(path, id));
        const html = await res.text();
        const where = `${method} ${at(path, id)} → ${res.status}`;
        // A GET has nothing else to check; a POST may first refuse its empty form.
        if (method === "GET") expect(res.status, where).toBe(404);
        else expect([400, 404], where).toContain(res.status);
        expect(html, where).toContain(NAV);
        expect(html, where).toMatch(/<h1>(Not found|Bad request)<\/h1>/);
      }
    }
  });

  it("answers a missing id with a 404 or 400 page inside the layout, never a 500", async () => {
    for (const { method, path } of routes) {
      const res = await visit(method, at(path, ""));
      const where = `${method} ${at(path, "")} → ${res.status}`;
      expect([400, 404], where).toContain(res.status);
      expect(await res.text(), where).toContain(NAV);
    }
  });

  it("answers a bad number in a page's query (cursor, after) with a 400 page, never a 500", async () => {
    const withQuery = hub.pages.specs.filter((s) => s.query instanceof z.ZodObject);
    expect(withQuery.map((s) => s.path)).toEqual(
      expect.arrayContaining(["/tapes", "/logs", "/runs/:id/log"]),
    );
    for (const spec of withQuery) {
      const shape = (spec.query as z.ZodObject).shape as Record<string, z.ZodType>;
      // The numeric keys (cursor, after, limit); a text filter (the audit export's action) takes "abc".
      for (const key of Object.keys(shape).filter((k) => !shape[k]?.safeParse("abc").success)) {
        const path = `${at(spec.path, "1")}?${key}=abc`;
        const res = await visit(spec.method, path);
        expect(res.status, `${spec.method} ${path}`).toBe(400);
        expect(await res.text(), path).toContain(NAV);
      }
    }
  });

  it("gives htmx the error partial, not a whole page", async () => {
    for (const { method, path } of routes) {
      const res = await visit(method, at(path, "abc"), true);
      const html = await res.text();
      expect(res.status).toBe(400);
      expect(html, `${method} ${path}`).toMatch(
        /^<div class="alert error" role="alert">&quot;abc&quot; is not a valid id for this page</,
      );
      expect(html).not.toContain("<html");
    }
  });
});

describe("the documents at /docs/:name", () => {
  let hub: TestHub;
  let admin: string;
  beforeAll(async () => {
    hub = await createTestHub();
    admin = await hub.tokenFor("admin");
  });
  afterAll(() => hub.close());

  it("answers a name that is no document with a 400 page inside the layout, the name escaped", async () => {
    for (const name of ["999999", "%3Cscript%3E"]) {
      const res = await hub.request(`/docs/${name}`, { token: admin });
      const html = await res.text();
      expect(res.status, name).toBe(400);
      expect(html).toContain(NAV);
      expect(html).not.toContain("<script>");
    }
  });
});

describe("the hub's own not-found and error pages", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
    hub.pages.route({ method: "GET", path: "/test-fault", permission: "read", summary: "A fault" }, () => {
      throw new Error("secret detail <b>");
    });
  });
  afterAll(() => hub.close());

  it("shows an unknown address as a 404 page with the navigation when signed in", async () => {
    const res = await hub.request("/no/such/page", { token: await hub.tokenFor("read-only") });
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain(NAV);
    expect(html).toContain("<h1>Not found</h1>");
    expect(html).toContain("Nothing at GET /no/such/page");
  });

  it("shows an unknown address to a visitor as a 404 page without the navigation", async () => {
    const res = await hub.request("/no/such/<page>");
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain("<h1>Not found</h1>");
    expect(html).not.toContain(NAV);
    expect(html).not.toContain("<page>");
  });

  it("shows a fault as a 500 page in the layout with the request id, never the fault's words", async () => {
    const res = await hub.request("/test-fault", {
      token: await hub.tokenFor("read-only"),
      headers: { "x-request-id": "fault-0001" },
    });
    expect(res.status).toBe(500);
    const html = await res.text();
    expect(html).toContain(NAV);
    expect(html).toContain("<h1>Something went wrong</h1>");
    expect(html).toContain("(request fault-0001)");
    expect(html).not.toContain("secret detail");
    const partial = await hub.request("/test-fault", {
      token: await hub.tokenFor("read-only"),
      headers: { "hx-request": "true" },
    });
    expect(await partial.text()).toMatch(/^<div class="alert error" role="alert">Internal error/);
  });
});

describe("an error page when the catalog cannot give the layout", () => {
  it("is still a styled 500 page, without the menu, and the layout's failure is logged", async () => {
    const hub = await createTestHub();
    try {
      const token = await hub.tokenFor("read-only");
      // Every page's layout reads the hub's time zone from the settings table.
      await hub.catalog.client.execute("drop table settings");
      const res = await hub.request("/tapes", { token });
      expect(res.status).toBe(500);
      const html = await res.text();
      expect(html).toContain("<h1>Something went wrong</h1>");
      expect(html).not.toContain('<nav aria-label="Main">');
      expect(hub.logs.some((l) => l.msg === "error page rendered without its layout")).toBe(true);
    } finally {
      await hub.close();
    }
  });
});

describe("the page router", () => {
  it("refuses a route whose path has an id but no schema for it", async () => {
    const hub = await createTestHub();
    try {
      expect(() =>
        hub.pages.route(
          { method: "GET", path: "/widgets/:id", permission: "read", summary: "Widgets" },
          (c) => c.text(c.req.param("id") ?? ""),
        ),
      ).toThrow("page route GET /widgets/:id declares no params schema for :id");
    } finally {
      await hub.close();
    }
  });
});
