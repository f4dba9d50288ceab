import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { jobRuns, workOrders } from "../../functions/db/schema/index.ts";
import { ACK_TIMEOUT_MS } from "../../functions/services/orders/reclaim-unacknowledged.ts";
import { ORDER_TTL_SECONDS } from "../../functions/services/orders/sign-order.ts";
import { schedulerTick } from "../../functions/services/runs/scheduler-tick.ts";
import { type fakeAgent, hubWithDriveAgentForEachTest } from "../helpers/fake-agent.ts";
import type { TestHub } from "../helpers/hub.ts";

/** A run planned for one drive never sits queued for ever when its agent does not take the order. */
describe("orders an agent never takes", () => {
  let hub: TestHub;
  let admin: string;
  let agent: Awaited<ReturnType<typeof fakeAgent>>;
  let driveId: number;
  hubWithDriveAgentForEachTest((fixture) => ({ hub, admin, agent, driveId } = fixture));

  async function queueScan(): Promise<number> {
    const res = await hub.request(`/api/v1/drives/${driveId}/scan`, {
      method: "POST",
      token: admin,
      json: {},
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: number }).id;
  }
  const runOf = async (id: number) => hub.ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, id) });

  it("fails a run whose order expired uncollected, naming the agent, and a later tick leaves it alone", async () => {
    const runId = await queueScan();
    await schedulerTick(hub.ctx, hub.deps.logger);
    expect((await runOf(runId))?.state).toBe("queued");

    hub.advanceClock(ORDER_TTL_SECONDS * 1000 + 1000);
    await schedulerTick(hub.ctx, hub.deps.logger);
    const run = await runOf(runId);
    expect(run?.state).toBe("failed");
    expect(run?.finishedAt).not.toBeNull();
    expect(run?.error).toContain("Agent tapehost did not collect the scan order in time");
    expect(run?.error).toContain("Nothing was read or written");
    const order = await hub.ctx.db.query.workOrders.findFirst({ where: eq(workOrders.runId, runId) });
    expect(order?.state).toBe("expired");
    // The expired order is never handed out afterwards.
    expect((await agent.call("GET", "/orders/next?wait=0")).status).toBe(204);
    // Retrying would aim at the drives of that moment (and a scan's job is no backup): refused in words.
    const retry = await hub.request(`/api/v1/runs/${runId}/retry`, {
      method: "POST",
      token: admin,
      json: {},
    });
    expect(retry.status).toBe(409);
    expect(((await retry.json()) as { error: { message: string } }).error.message).toContain(
      "is a scan; start it again from where it was started",
    );
    expect(await hub.ctx.db.select().from(jobRuns)).toHaveLength(1);
  });

  it("fails a run whose order was delivered but never acknowledged", async () => {
    const runId = await queueScan();
    expect((await agent.call("GET", "/orders/next?wait=0")).status).toBe(200);
    hub.advanceClock(ACK_TIMEOUT_MS + 1000);
    // The next poll of that agent takes the order back.
    expect((await agent.call("GET", "/orders/next?wait=0")).status).toBe(204);
    const run = await runOf(runId);
    expect(run?.state).toBe("failed");
    expect(run?.error).toContain("Agent tapehost did not acknowledge the scan order in time");
  });

  it("leaves a run alone while its order is still fresh", async () => {
    const runId = await queueScan();
    hub.advanceClock(ORDER_TTL_SECONDS * 1000 - 60_000);
    await schedulerTick(hub.ctx, hub.deps.logger);
    expect((await runOf(runId))?.state).toBe("queued");
    expect((await agent.call("GET", "/orders/next?wait=0")).status).toBe(200);
  });
});
