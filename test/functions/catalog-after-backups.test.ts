import { asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { jobLogs, jobRuns } from "../../functions/db/schema/index.ts";
import { schedulerTick } from "../../functions/services/runs/scheduler-tick.ts";
import { insertRunningBackup, insertSet } from "../helpers/catalog-rows.ts";
import { agentWithActiveTape } from "../helpers/fake-agent.ts";
import { hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";

type Agent = Awaited<ReturnType<typeof agentWithActiveTape>>;

describe("a catalog job that runs after every backup job", () => {
  let hub: TestHub;
  let admin: string;
  hubWithAdminForEachTest({ POLL_INTERVAL_MS: "20" }, (f) => ({ hub, admin } = f));

  const post = async <T = { id: number }>(path: string, json?: unknown) =>
    hub.requestJson<T>(path, { method: "POST", token: admin, json });
  const runsOf = (jobId: number) =>
    hub.ctx.db.query.jobRuns.findMany({ where: eq(jobRuns.jobId, jobId), orderBy: asc(jobRuns.id) });

  /** The agent's next order, acknowledged, then ended as completed; the order's body. */
  async function runOrder(agent: Agent, before?: () => Promise<void>) {
    const res = await agent.call("GET", "/orders/next?wait=1");
    expect(res.status).toBe(200);
    const { claims } = await agent.verifyOrder(((await res.json()) as { order: string }).order);
    expect((await agent.call("POST", `/orders/${claims.jti}/ack`)).status).toBe(204);
    await before?.();
    const done = await agent.call("POST", `/orders/${claims.jti}/result`, {
      state: "completed",
      catalog: [],
    });
    expect(done.status).toBeLessThan(300);
    return claims.body as { kind: string; catalogSnapshot?: boolean };
  }

  async function setUp() {
    const pool = await post("/api/v1/pools", { name: "Vault" });
    const agent = await agentWithActiveTape(hub, "L00001L9", { poolId: pool.id });
    const source = await post("/api/v1/sources", {
      name: "Share",
      kind: "local",
      paths: ["/srv/share"],
      agentId: agent.agentId,
    });
    const backup = await post("/api/v1/jobs", { name: "Nightly", sourceId: source.id, poolId: pool.id });
    const catalog = await post<{ id: number; afterBackups: boolean }>("/api/v1/jobs", {
      name: "Catalog",
      kind: "catalog",
      poolId: pool.id,
      afterBackups: true,
    });
    expect(catalog.afterBackups).toBe(true);
    return { agent, backupJob: backup.id, catalogJob: catalog.id, poolId: pool.id, sourceId: source.id };
  }

  it("is queued when a backup run ends, says why in its log, and does not queue itself again", async () => {
    const { agent, backupJob, catalogJob } = await setUp();
    expect(await runsOf(catalogJob)).toEqual([]);
    const backupRun = await post(`/api/v1/jobs/${backupJob}/run`);
    expect((await runOrder(agent)).catalogSnapshot).toBeFalsy();

    const [queued] = await runsOf(catalogJob);
    expect(queued).toMatchObject({ triggeredBy: "scheduler", kind: "backup" });
    const logs = await hub.ctx.db.query.jobLogs.findMany({ where: eq(jobLogs.runId, queued?.id as number) });
    expect(logs.map((l) => l.message)).toContainEqual(
      `queued because backup run ${backupRun.id} of job Nightly ended (this catalog job runs after every backup job)`,
    );
    // The catalog run is the catalog backup; its own end queues nothing, and neither does a tick.
    expect((await runOrder(agent)).catalogSnapshot).toBe(true);
    expect((await schedulerTick(hub.ctx, hub.deps.logger)).queued).toEqual([]);
    expect(await runsOf(catalogJob)).toHaveLength(1);

    // The next backup brings the next catalog backup.
    await post(`/api/v1/jobs/${backupJob}/run`);
    await runOrder(agent);
    expect(await runsOf(catalogJob)).toHaveLength(2);
  });

  it("a backup that ends while the catalog backup runs gets a catalog backup of its own afterwards", async () => {
    const { agent, backupJob, catalogJob } = await setUp();
    await post(`/api/v1/jobs/${backupJob}/run`);
    await runOrder(agent);
    await runOrder(agent, async () => {
      // Another host's backup ends after the catalog run began (its snapshot may predate it).
      const [started] = await runsOf(catalogJob);
      if (!started?.startedAt) throw new Error("the catalog run has not started");
      const ended = new Date(started.startedAt.getTime() + 1);
      await insertRunningBackup(hub.ctx.db, {
        jobId: backupJob,
        queuedAt: ended,
        state: "completed",
        setId: await insertSet(hub),
        finishedAt: ended,
      });
    });
    const runs = await runsOf(catalogJob);
    expect(runs).toHaveLength(2);
    expect(runs[1]?.state).not.toBe("completed");
  });

  it("a catalog job without the option is not queued, and only a catalog job takes the option", async () => {
    const { agent, backupJob, catalogJob, poolId, sourceId } = await setUp();
    await hub.requestJson(`/api/v1/jobs/${catalogJob}`, {
      method: "PATCH",
      token: admin,
      json: { afterBackups: false },
    });
    await post(`/api/v1/jobs/${backupJob}/run`);
    await runOrder(agent);
    expect((await schedulerTick(hub.ctx, hub.deps.logger)).queued).toEqual([]);
    expect(await runsOf(catalogJob)).toEqual([]);

    const refused = await hub.request("/api/v1/jobs", {
      method: "POST",
      token: admin,
      json: { name: "Other", sourceId, poolId, afterBackups: true },
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("only a catalog job runs after every backup job");
    const patched = await hub.request(`/api/v1/jobs/${backupJob}`, {
      method: "PATCH",
      token: admin,
      json: { afterBackups: true },
    });
    expect(patched.status).toBe(400);
  });

  it("the job form sets and clears the option, and the job's page says it", async () => {
    const pool = await post("/api/v1/pools", { name: "Vault" });
    const created = await hub.postForm(
      "/jobs",
      {
        name: "Catalog",
        kind: "catalog",
        poolId: String(pool.id),
        afterBackupsOffered: "1",
        afterBackups: "on",
      },
      admin,
    );
    expect(created.status, await created.clone().text()).toBe(201);
    const [job] = await hub.ctx.db.query.jobs.findMany();
    expect(job?.afterBackups).toBe(true);
    expect(await (await hub.request(`/jobs/${job?.id}`, { token: admin })).text()).toContain(
      "also after every backup job",
    );
    const saved = await hub.postForm(
      `/jobs/${job?.id}`,
      { name: "Catalog", poolId: String(pool.id), afterBackupsOffered: "1", enabled: "on" },
      admin,
    );
    expect(saved.status, await saved.clone().text()).toBe(200);
    expect((await hub.ctx.db.query.jobs.findFirst())?.afterBackups).toBe(false);
  });
});
