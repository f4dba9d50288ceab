import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jobRuns, jobs } from "../../functions/db/schema/index.ts";
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
  });
});
