import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { events, jobRuns, jobs } from "../../functions/db/schema/index.ts";
import { schedulerTick } from "../../functions/services/runs/scheduler-tick.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

describe("scheduler tick", () => {
  let hub: TestHub;
  beforeEach(async () => {
    hub = await createTestHub();
  });
  afterEach(() => hub.close());

  it("queues a due job once, moves its next run forward, and skips a slot while the last run is still active", async () => {
    const token = await hub.tokenFor("operator");
    const post = async (path: string, json: unknown) =>
      (await (await hub.request(path, { method: "POST", token, json })).json()) as { id: number };
    const pool = await post("/api/v1/pools", { name: "P" });
    const source = await post("/api/v1/sources", { name: "S", kind: "local", paths: ["/data"] });
    const job = await post("/api/v1/jobs", {
      name: "Hourly",
      sourceId: source.id,
      poolId: pool.id,
      schedule: "0 * * * *",
    });
    const before = await hub.ctx.db.query.jobs.findFirst({ where: eq(jobs.id, job.id) });

    expect((await schedulerTick(hub.ctx, hub.deps.logger)).queued).toEqual([]);
    hub.advanceClock(3600_000);
    const first = await schedulerTick(hub.ctx, hub.deps.logger);
    expect(first.queued).toHaveLength(1);
    // A second hub instance ticking at the same moment finds nothing left to queue.
    expect((await schedulerTick(hub.ctx, hub.deps.logger)).queued).toEqual([]);
    const after = await hub.ctx.db.query.jobs.findFirst({ where: eq(jobs.id, job.id) });
    expect(after?.nextRunAt?.getTime()).toBeGreaterThan(before?.nextRunAt?.getTime() ?? 0);

    hub.advanceClock(3600_000);
    expect((await schedulerTick(hub.ctx, hub.deps.logger)).queued).toEqual([]);
    expect(await hub.ctx.db.select().from(jobRuns)).toHaveLength(1);
    // The skipped slot is not silent: one event the notifier routes, naming the job.
    const skipped = (await hub.ctx.db.select().from(events)).filter((e) => e.kind === "run.skipped");
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ jobId: job.id, severity: "warning" });
    expect(skipped[0]?.text).toMatch(/^The run of job Hourly scheduled for .* was skipped: /);
  });

  it("reads schedules in the hub's time zone: the job's next run, the preview and the tick agree, and a new zone moves them", async () => {
    const admin = await hub.tokenFor("admin");
    const token = await hub.tokenFor("operator");
    const send = async (method: string, path: string, json: unknown, as = token) =>
      hub.request(path, { method, token: as, json });
    const refused = await send("PUT", "/api/v1/settings/time-zone", { timeZone: "Mars/Olympus_Mons" }, admin);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain(
      'is not a time zone this hub knows (\\"Mars/Olympus_Mons\\"): give an IANA name such as Europe/Berlin',
    );
    expect((await send("PUT", "/api/v1/settings/time-zone", { timeZone: "Asia/Tokyo" }, admin)).status).toBe(
      200,
    );
    const pool = (await (await send("POST", "/api/v1/pools", { name: "P" })).json()) as { id: number };
    const source = (await (
      await send("POST", "/api/v1/sources", { name: "S", kind: "local", paths: ["/data"] })
    ).json()) as { id: number };
    const job = (await (
      await send("POST", "/api/v1/jobs", {
        name: "Nightly",
        sourceId: source.id,
        poolId: pool.id,
        schedule: "0 22 * * *",
      })
    ).json()) as { id: number };
    const stored = async () =>
      (await hub.ctx.db.query.jobs.findFirst({ where: eq(jobs.id, job.id) }))?.nextRunAt;
    // 22:00 in Tokyo is 13:00 UTC.
    expect((await stored())?.toISOString()).toMatch(/T13:00:00\.000Z$/);
    const preview = await (
      await hub.request("/partials/schedule-preview?schedule=0+22+*+*+*", { token })
    ).text();
    expect(preview).toMatch(/every day at 22:00, next: \w{3} \d+ \w{3} 22:00 Asia\/Tokyo/);
    expect(await (await hub.request("/jobs", { token })).text()).toContain("0 22 * * * (Asia/Tokyo)");
    expect(await (await hub.request(`/jobs/${job.id}`, { token })).text()).toContain(
      "schedule 0 22 * * * in Asia/Tokyo, next <time",
    );

    const first = (await stored()) as Date;
    hub.advanceClock(first.getTime() - hub.ctx.now().getTime() + 1000);
    expect((await schedulerTick(hub.ctx, hub.deps.logger)).queued).toHaveLength(1);
    expect((await stored())?.getTime()).toBe(first.getTime() + 24 * 3600_000);

    // Up to a day has passed on the hub's clock: the first session may have expired by now.
    const later = await hub.freshTokenFor("admin");
    expect(
      (await send("PUT", "/api/v1/settings/time-zone", { timeZone: "Europe/Berlin" }, later)).status,
    ).toBe(200);
    expect((await stored())?.toISOString()).toMatch(/T21:00:00\.000Z$/);
  });
});
