import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobLogs, jobRuns } from "../../functions/db/schema/index.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

const MARKUP = `cannot open "<img src=x onerror=alert(1)>": <script>alert("x")</script>`;

describe("logs pages", () => {
  let hub: TestHub;
  let ro: string;
  let nightly: number;
  let weekly: number;
  let nightlyRun: number;
  beforeAll(async () => {
    hub = await createTestHub();
    const admin = await hub.tokenFor("admin");
    ro = await hub.tokenFor("read-only");
    const post = async (path: string, json: unknown) =>
      await hub.requestJson<{ id: number }>(path, { method: "POST", token: admin, json });
    const pool = await post("/api/v1/pools", { name: "Weekly" });
    const source = await post("/api/v1/sources", { name: "Share", kind: "local", paths: ["/srv"] });
    nightly = (await post("/api/v1/jobs", { name: "Nightly <b>", sourceId: source.id, poolId: pool.id })).id;
    weekly = (await post("/api/v1/jobs", { name: "Weekly", sourceId: source.id, poolId: pool.id })).id;
    const runOf = async (jobId: number) =>
      (
        await hub.ctx.db
          .insert(jobRuns)
          .values({ jobId, kind: "backup", state: "completed", triggeredBy: "test", queuedAt: hub.ctx.now() })
          .returning()
      )[0]?.id as number;
    nightlyRun = await runOf(nightly);
    const weeklyRun = await runOf(weekly);
    const at = hub.ctx.now();
    const line = (
      runId: number,
      level: "info" | "warn" | "error",
      message: string,
      path: string | null = null,
    ) => ({
      runId,
      at,
      level,
      message,
      path,
    });
    await hub.ctx.db
      .insert(jobLogs)
      .values([
        ...Array.from({ length: 230 }, (_, i) => line(weeklyRun, "info", `weekly line ${i}`)),
        line(nightlyRun, "warn", MARKUP, "docs/<img src=y>.txt"),
        line(nightlyRun, "error", "100% of 50_files failed"),
        line(nightlyRun, "info", "nightly started"),
        line(weeklyRun, "error", "weekly tape full"),
      ]);
  });
  afterAll(() => hub.close());

  const html = async (path: string) => {
    const res = await hub.request(path, { token: ro });
    expect(res.status, path).toBe(200);
    return res.text();
  };
  const messages = (page: string) =>
    [...page.matchAll(/<td class="log-message"><div class="msg">([^<]*)/g)].map((m) => m[1] as string);

  it("filters by job and shows a line holding markup as text, never as markup", async () => {
    const page = await html(`/logs?jobId=${nightly}`);
    expect(messages(page)).toHaveLength(3);
    expect(page).not.toContain("<img src=x");
    expect(page).not.toContain("<script>alert");
    expect(page).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(page).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(page).toContain("docs/&lt;img src=y&gt;.txt");
    expect(page).toContain("Nightly &lt;b&gt;");
    expect(page).not.toContain("weekly line");
  });

  it("filters by least level, by run and by text taken literally", async () => {
    expect(messages(await html(`/logs?level=warn&jobId=${nightly}`))).toHaveLength(2);
    expect(messages(await html("/logs?level=error"))).toEqual([
      "weekly tape full",
      "100% of 50_files failed",
    ]);
    expect(messages(await html(`/logs?runId=${nightlyRun}&q=started`))).toEqual(["nightly started"]);
    // % and _ are text, not wildcards: "1%" matches only the line that has it.
    expect(messages(await html("/logs?q=0%25 of 50_"))).toEqual(["100% of 50_files failed"]);
    expect(messages(await html("/logs?q=onerror"))).toHaveLength(1);
    expect(await html("/logs?jobId=&runId=&level=&q=")).toContain("weekly tape full");
  });

  it("pages through many lines with a keyset cursor that keeps the filter", async () => {
    const seen: string[] = [];
    let path: string | undefined = `/logs?jobId=${weekly}`;
    let pages = 0;
    while (path) {
      const page = await html(path);
      seen.push(...messages(page));
      const older = page.match(/<a href="([^"]+)">Older<\/a>/)?.[1];
      path = older?.replace(/&amp;/g, "&");
      if (path) expect(path).toContain(`jobId=${weekly}`);
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(231);
    expect(new Set(seen).size).toBe(231);
    expect(seen[0]).toBe("weekly tape full");
    expect(seen.at(-1)).toBe("weekly line 0");
  });

  it("refuses a filter that is not one, in words", async () => {
    const res = await hub.request("/logs?level=loud", { token: ro });
    expect(res.status).toBe(400);
    // The field by its name in the filter form, not the parser's "body.level" (it is not even a body).
    expect(await res.text()).toMatch(/role="alert">Level: /);
  });

  it("the audit log sits beside it, filterable by user and action", async () => {
    const page = await html("/logs/audit?actor=admin&action=job.create");
    expect(page).toContain('aria-current="page">Audit log');
    expect([...page.matchAll(/<td>job\.create<\/td>/g)]).toHaveLength(2);
    expect(page).not.toContain("pool.create");
  });

  it("the same lines are in the API, filtered the same way", async () => {
    const res = await hub.request(`/api/v1/job-logs?jobId=${nightly}&level=error`, { token: ro });
    expect(await res.json()).toMatchObject({
      items: [{ message: "100% of 50_files failed", jobName: "Nightly <b>", runId: nightlyRun }],
      nextCursor: null,
    });
  });
});
