import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

describe("operation pages", () => {
  let hub: TestHub;
  let op: string;
  let ro: string;
  beforeAll(async () => {
    hub = await createTestHub();
    op = await hub.tokenFor("operator");
    ro = await hub.tokenFor("read-only");
    const post = (path: string, json: unknown) => hub.request(path, { method: "POST", token: op, json });
    await post("/api/v1/pools", { name: "Weekly <script>" });
    await post("/api/v1/tapes", { barcode: "L00001L9", poolId: 1 });
    await post("/api/v1/sources", {
      name: "Share",
      kind: "local",
      paths: ["/srv/<img src=x onerror=alert(1)>"],
    });
    await post("/api/v1/jobs", { name: "Nightly", sourceId: 1, poolId: 1 });
  });
  afterAll(() => hub.close());

  const page = async (path: string, token: string) => {
    const res = await hub.request(path, { token });
    expect(res.status, path).toBe(200);
    return res.text();
  };

  it("every page renders for an operator with its controls, and escapes names", async () => {
    for (const path of ["/", "/tapes", "/tapes/1", "/jobs", "/jobs/1", "/sources", "/agents", "/logs"]) {
      const html = await page(path, op);
      expect(html, path).not.toContain("<script>alert");
      expect(html, path).not.toContain("<img src=x");
    }
    expect(await page("/tapes", op)).toContain('hx-post="/tapes/1/label"');
    expect(await page("/jobs", op)).toContain('hx-post="/jobs/1/run"');
    expect(await page("/jobs", op)).toContain("Weekly &lt;script&gt;");
    expect(await page("/jobs", op)).toContain('href="/jobs/new"');
    expect(await page("/jobs", op)).not.toContain('hx-post="/sources"');
    const newJob = await page("/jobs/new", op);
    expect(newJob).toContain('hx-post="/jobs"');
    expect(newJob).toContain('hx-get="/partials/schedule-preview"');
    expect(await page("/sources", op)).toContain('hx-post="/sources"');
  });

  it("the new-job form is for operators: a read-only user is refused it and sees no link to it", async () => {
    expect((await hub.request("/jobs/new", { token: ro })).status).toBe(403);
    expect(await page("/jobs", ro)).not.toContain('href="/jobs/new"');
  });

  it("a read-only user sees no mutating control, and a post anyway is refused", async () => {
    for (const path of ["/", "/tapes", "/jobs", "/jobs/1", "/sources", "/agents", "/logs"]) {
      const html = await page(path, ro);
      expect(html, path).not.toMatch(/hx-post="\/(tapes|jobs|sources|pools|agents|runs)/);
    }
    const res = await hub.request("/jobs/1/run", {
      method: "POST",
      token: ro,
      headers: { "hx-request": "true" },
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/role="alert"/);
  });

  it("edits a job in place: its form shows what it has now, a bad schedule is named, a good edit is kept", async () => {
    const html = await page("/jobs/1", op);
    expect(html).toContain('hx-post="/jobs/1"');
    expect(html).toContain('<input name="name" type="text" value="Nightly"');
    expect(html).toMatch(/<option value="1" selected>Share<\/option>/);
    const edit = (body: string) => hub.postForm("/jobs/1", body, op);
    const bad = await edit(
      "name=Nightly&sourceId=1&poolId=1&backupType=full&schedule=every+night&enabled=on",
    );
    expect(bad.status).toBe(400);
    // In the operator's words: the field's label and how to write one, not "body.schedule".
    const message = await bad.text();
    expect(message).toMatch(/role="alert">Schedule is not a schedule .*e\.g\. &#39;0 22 \* \* \*&#39;/);
    expect(message).not.toContain("body.");
    const good = await edit(
      "name=Nightly+2&sourceId=1&poolId=1&backupType=incremental&compression=gzip&schedule=0+3+*+*+*",
    );
    expect(good.status).toBe(200);
    expect(await good.text()).toContain("Job Nightly 2 saved");
    const job = await hub.requestJson<Record<string, unknown>>("/api/v1/jobs/1", { token: op });
    expect(job).toMatchObject({
      name: "Nightly 2",
      backupType: "incremental",
      compression: "gzip",
      schedule: "0 3 * * *",
      enabled: false,
      encryption: "none",
    });
  });

  it("edits a source in place from the sources page and a pool from the pools page", async () => {
    const html = await page("/sources", op);
    expect(html).toContain('hx-post="/sources/1"');
    expect(await page("/pools", op)).toContain('hx-post="/pools/1"');
    expect(html).toContain('value="/srv/&lt;img src=x onerror=alert(1)&gt;"');
    const form = (path: string, body: string) => hub.postForm(path, body, op);
    const source = await form(
      "/sources/1",
      "name=Share&kind=nfs&paths=%2Fmnt%2Fa%2C+%2Fmnt%2Fb&exclude=*.tmp",
    );
    expect(await source.text()).toContain("Source Share saved");
    expect(await (await hub.request("/api/v1/sources/1", { token: op })).json()).toMatchObject({
      kind: "nfs",
      paths: ["/mnt/a", "/mnt/b"],
      exclude: ["*.tmp"],
    });
    const badPool = await form("/pools/1", "name=Weekly&retentionDays=-1");
    expect(badPool.status).toBe(400);
    expect(await badPool.text()).toMatch(/role="alert">Retention days: /);
    expect(await (await form("/pools/1", "name=Weekly&retentionDays=90")).text()).toContain(
      "Pool Weekly saved",
    );
    expect(await (await hub.request("/api/v1/pools/1", { token: op })).json()).toMatchObject({
      retentionDays: 90,
    });
  });

  it("a form with a bad value answers with an in-page message naming the field", async () => {
    const res = await hub.postForm("/pools", "name=&retentionDays=-5", op);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^<div class="alert error" role="alert">(Name|Retention days):? /);
  });

  it("run now from the jobs page queues a run and sends the browser to its page", async () => {
    const res = await hub.request("/jobs/1/run", {
      method: "POST",
      token: op,
      headers: { "hx-request": "true" },
    });
    expect(res.status).toBe(202);
    const target = res.headers.get("hx-redirect") as string;
    expect(target).toMatch(/^\/runs\/\d+$/);
    const html = await page(target, op);
    expect(html).toContain('hx-trigger="every 2s"');
    expect(html).toContain("queued");
  });

  it("admins manage users and API keys from pages; the key is shown once; others cannot reach them", async () => {
    const admin = await hub.tokenFor("admin");
    const post = (path: string, body: string, token = admin) => hub.postForm(path, body, token);
    expect((await post("/users", "username=dora&password=long-password-1&role=operator")).status).toBe(201);
    const users = await page("/users", admin);
    expect(users).toContain("dora");
    const created = await post("/api-keys", "name=ci&role=read-only");
    const shown = await created.text();
    const key = (shown.match(/tbk_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}/) ?? [])[0] as string;
    expect(key).toBeDefined();
    expect(created.headers.get("cache-control")).toBe("no-store");
    expect(await page("/api-keys", admin)).not.toContain(key);
    expect((await hub.request("/api/v1/pools", { token: key })).status).toBe(200);
    const id = (
      await hub.requestJson<{
        items: { id: number; name: string }[];
      }>("/api/v1/api-keys", { token: admin })
    ).items.find((k) => k.name === "ci")?.id;
    expect((await post(`/api-keys/${id}/revoke`, "")).status).toBe(200);
    expect((await hub.request("/api/v1/pools", { token: key })).status).toBe(401);
    expect((await hub.request("/users", { token: op })).status).toBe(403);
    expect(await page("/", op)).not.toContain('href="/users"');
  });

  it("an operator marks a tape offsite with its location from the tape's page; a read-only user gets no form", async () => {
    const res = await hub.postForm("/tapes/1", "poolId=1&state=offsite&location=Vault%20B", op);
    expect(res.status).toBe(200);
    const html = await page("/tapes/1", op);
    expect(html).toContain("offsite (Vault B)");
    expect(await page("/tapes/1", ro)).not.toContain('hx-post="/tapes/1"');
  });
});
