import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { backupSets, jobRuns } from "../../functions/db/schema/index.ts";
import { insertSet } from "../helpers/catalog-rows.ts";
import { agentWithActiveTape } from "../helpers/fake-agent.ts";
import { hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";

describe("incremental and differential jobs on the hub", () => {
  let hub: TestHub;
  let admin: string;
  hubWithAdminForEachTest({ POLL_INTERVAL_MS: "20" }, (f) => ({ hub, admin } = f));

  const post = async <T = { id: number }>(path: string, json?: unknown) =>
    hub.requestJson<T>(path, { method: "POST", token: admin, json });

  /** A job of `backupType` with a complete full (Monday) and a complete incremental (Tuesday) behind it. */
  async function jobWithChain(backupType: string) {
    const pool = await post("/api/v1/pools", { name: "Weekly" });
    const agent = await agentWithActiveTape(hub, "L00001L9", { poolId: pool.id, fileCount: 1 });
    const source = await post("/api/v1/sources", {
      name: "Share",
      kind: "local",
      paths: ["/srv/share"],
      agentId: agent.agentId,
    });
    const job = await post("/api/v1/jobs", {
      name: "Nightly",
      sourceId: source.id,
      poolId: pool.id,
      backupType,
    });
    const full = await insertSet(hub, { jobId: job.id, startedAt: new Date(Date.UTC(2026, 10, 2)) });
    const incremental = await insertSet(hub, {
      jobId: job.id,
      backupType: "incremental",
      baseSetId: full,
      startedAt: new Date(Date.UTC(2026, 10, 3)),
    });
    const uuidOf = async (id: number) =>
      (await hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, id) }))?.uuid;
    return { agent, jobId: job.id, full: await uuidOf(full), incremental: await uuidOf(incremental) };
  }

  async function takeOrder(agent: Awaited<ReturnType<typeof agentWithActiveTape>>) {
    const res = await agent.call("GET", "/orders/next?wait=1");
    expect(res.status).toBe(200);
    const { claims } = await agent.verifyOrder(((await res.json()) as { order: string }).order);
    if (claims.body.kind !== "backup") throw new Error("not a backup order");
    return { orderId: claims.jti, body: claims.body };
  }

  it("a differential compares with the job's last full, an incremental with its last set", async () => {
    const diff = await jobWithChain("differential");
    await post(`/api/v1/jobs/${diff.jobId}/run`);
    const { body } = await takeOrder(diff.agent);
    expect(body.set).toMatchObject({ backupType: "differential", baseSetUuid: diff.full });
  });

  it("an incremental's order names the job's newest complete set as its base", async () => {
    const inc = await jobWithChain("incremental");
    await post(`/api/v1/jobs/${inc.jobId}/run`);
    const { body } = await takeOrder(inc.agent);
    expect(body.set).toMatchObject({ backupType: "incremental", baseSetUuid: inc.incremental });
  });

  it("records the set and the run as a full when the agent wrote the differential as one", async () => {
    const diff = await jobWithChain("differential");
    const run = await post(`/api/v1/jobs/${diff.jobId}/run`);
    const { orderId, body } = await takeOrder(diff.agent);
    expect((await diff.agent.call("POST", `/orders/${orderId}/ack`)).status).toBe(204);
    const result = await diff.agent.call("POST", `/orders/${orderId}/result`, {
      state: "completed",
      writtenAs: "full",
      catalog: [],
    });
    expect(result.status).toBeLessThan(300);
    const set = await hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.uuid, body.set.uuid) });
    expect(set).toMatchObject({ backupType: "full", baseSetId: null });
    const row = await hub.ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, run.id) });
    expect(row?.backupType).toBe("full");
  });
});
