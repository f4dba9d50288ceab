import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { CatalogEntry } from "../../contracts/agent-protocol.ts";
import { CatalogDigest } from "../../contracts/catalog-digest.ts";
import { backupSets, jobLogs, jobRuns, jobs, workOrders } from "../../functions/db/schema/index.ts";
import { queueRun } from "../../functions/services/runs/queue-run.ts";
import { schedulerTick } from "../../functions/services/runs/scheduler-tick.ts";
import { segmentOn } from "../helpers/backup-order.ts";
import { agentWithActiveTape } from "../helpers/fake-agent.ts";
import { hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";
import { NO_PROGRESS } from "../helpers/progress.ts";

/** Issue 10, part 4 on the hub: a run says what happened, and a silent agent's run does not stay "running". */
describe("runs that tell the truth", () => {
  let hub: TestHub;
  let admin: string;
  hubWithAdminForEachTest(
    { POLL_INTERVAL_MS: "20", AGENT_SILENCE_MINUTES: "5" },
    (f) => ({ hub, admin } = f),
  );

  type Agent = Awaited<ReturnType<typeof agentWithActiveTape>>;
  const post = async <T = { id: number }>(path: string, json: unknown) =>
    hub.requestJson<T>(path, { method: "POST", token: admin, json });

  /** A pool with one labelled tape in the agent's drive, a source on that agent and a backup job. */
  async function setUp(job: Record<string, unknown> = {}) {
    const pool = await post("/api/v1/pools", { name: "Weekly" });
    const agent = await agentWithActiveTape(hub, "L00001L9", { poolId: pool.id, fileCount: 1 });
    const source = await post("/api/v1/sources", {
      name: "Share",
      kind: "local",
      paths: ["/srv/share"],
      agentId: agent.agentId,
    });
    const created = await post("/api/v1/jobs", {
      name: "Nightly",
      sourceId: source.id,
      poolId: pool.id,
      ...job,
    });
    return { agent, jobId: created.id };
  }

  /** What the real agent does first: take the order, check it, acknowledge it. */
  async function takeOrder(agent: Agent) {
    const res = await agent.call("GET", "/orders/next?wait=1");
    expect(res.status).toBe(200);
    const { claims } = await agent.verifyOrder(((await res.json()) as { order: string }).order);
    if (claims.body.kind !== "backup") throw new Error("not a backup order");
    expect((await agent.call("POST", `/orders/${claims.jti}/ack`)).status).toBe(204);
    return { orderId: claims.jti, body: claims.body };
  }

  const runOf = async (id: number) => {
    const run = await hub.ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, id) });
    if (!run) throw new Error(`no run ${id}`);
    return run;
  };
  const logsOf = async (id: number) =>
    (await hub.ctx.db.select().from(jobLogs).where(eq(jobLogs.runId, id))).map((l) => l.message);
  const tick = () =>
    schedulerTick(hub.ctx, hub.deps.logger, { agentSilenceMinutes: hub.deps.config.AGENT_SILENCE_MINUTES });
  const progress = (agent: Agent, orderId: string, seq: number, extra: Record<string, unknown> = {}) =>
    agent.call("POST", `/orders/${orderId}/progress`, {
      seq,
      state: "running",
      ...NO_PROGRESS,
      message: null,
      ...extra,
    });

  describe("figures", () => {
    it("stores the agent's estimate as one, and on completion the real totals from the result, not the estimate", async () => {
      const { agent, jobId } = await setUp();
      const run = await queueRun(hub.ctx, jobId, "admin");
      const { orderId, body } = await takeOrder(agent);
      expect(body).toMatchObject({ allowEmpty: false, expected: null });
      await progress(agent, orderId, 1, {
        bytesDone: 50_000_000,
        bytesTotal: 57_000_000,
        filesDone: 20,
        filesTotal: 25,
        totalsEstimated: true,
      });
      expect(await runOf(run.id)).toMatchObject({ bytesTotal: 57_000_000, totalsEstimated: true });
      const page = await (await hub.request(`/runs/${run.id}/live`, { token: admin })).text();
      expect(page).toContain("≈");
      expect(page).toContain("(estimate)");

      await agent.call("POST", `/orders/${orderId}/result`, {
        state: "completed",
        summary: { files: 60, sourceBytes: 120_000_000, tapeBytes: 90_000_000 },
      });
      expect(await runOf(run.id)).toMatchObject({
        state: "completed",
        bytesDone: 120_000_000,
        bytesTotal: 120_000_000,
        filesDone: 60,
        filesTotal: 60,
        totalsEstimated: false,
      });
      const done = await (await hub.request(`/runs/${run.id}/live`, { token: admin })).text();
      expect(done).not.toContain("≈");
      expect(done).toContain("120 MB of 120 MB");

      // The next run of the job starts with those figures as its estimate.
      await queueRun(hub.ctx, jobId, "admin");
      expect((await takeOrder(agent)).body.expected).toEqual({ files: 60, bytes: 120_000_000 });
    });

    it("keeps the estimated total of a failed run and records only what went to tape as done", async () => {
      const { agent, jobId } = await setUp();
      const run = await queueRun(hub.ctx, jobId, "admin");
      const { orderId } = await takeOrder(agent);
      await progress(agent, orderId, 1, { bytesDone: 10, bytesTotal: 1_000, totalsEstimated: true });
      await agent.call("POST", `/orders/${orderId}/result`, {
        state: "failed",
        error: "medium error",
        summary: { files: 2, sourceBytes: 300 },
      });
      expect(await runOf(run.id)).toMatchObject({
        state: "failed",
        bytesDone: 300,
        bytesTotal: 1_000,
        filesDone: 2,
        totalsEstimated: true,
      });
    });
  });

  describe("job settings", () => {
    it("takes allowEmpty and the retry policy from the API and from the job form, and the order carries allowEmpty", async () => {
      const { agent, jobId } = await setUp({ allowEmpty: true, retries: 3, retryDelayMinutes: 15 });
      expect(await hub.ctx.db.query.jobs.findFirst({ where: eq(jobs.id, jobId) })).toMatchObject({
        allowEmpty: true,
        retries: 3,
        retryDelayMinutes: 15,
      });
      await queueRun(hub.ctx, jobId, "admin");
      expect((await takeOrder(agent)).body.allowEmpty).toBe(true);
      const job = await hub.ctx.db.query.jobs.findFirst({ where: eq(jobs.id, jobId) });
      if (!job) throw new Error("no job");

      const form = await hub.postForm(
        `/jobs/${jobId}`,
        {
          name: "Nightly",
          sourceId: String(job.sourceId),
          poolId: String(job.poolId),
          backupType: "full",
          retries: "0",
          retryDelayMinutes: "5",
        },
        admin,
      );
      expect(form.status, await form.clone().text()).toBe(200);
      expect(await hub.ctx.db.query.jobs.findFirst({ where: eq(jobs.id, jobId) })).toMatchObject({
        allowEmpty: false,
        retries: 0,
        retryDelayMinutes: 5,
      });
      const page = await (await hub.request(`/jobs/${jobId}`, { token: admin })).text();
      expect(page).toContain('name="allowEmpty"');
      expect(page).toContain('name="retries"');
      expect(page).toContain("no automatic retry");

      const doc = await hub.requestJson<{ paths: Record<string, { post?: unknown }> }>(
        "/api/v1/openapi.json",
      );
      const jobBody = JSON.stringify(doc.paths["/api/v1/jobs"]?.post);
      for (const field of ["allowEmpty", "retries", "retryDelayMinutes"]) expect(jobBody).toContain(field);
    });
  });

  describe("an agent that falls silent", () => {
    it("leaves a run alone while its agent reports, and marks it interrupted once silent, naming the agent and when it was last heard", async () => {
      const { agent, jobId } = await setUp();
      const run = await queueRun(hub.ctx, jobId, "admin");
      const { orderId } = await takeOrder(agent);
      await progress(agent, orderId, 1, { bytesDone: 10 });
      hub.advanceClock(4 * 60_000);
      expect((await tick()).interrupted).toEqual([]);
      await progress(agent, orderId, 2, { bytesDone: 20 });
      const lastHeard = hub.ctx.now();
      hub.advanceClock(4 * 60_000);
      expect((await tick()).interrupted).toEqual([]);
      expect((await runOf(run.id)).state).toBe("running");

      hub.advanceClock(2 * 60_000);
      expect((await tick()).interrupted).toEqual([run.id]);
      const interrupted = await runOf(run.id);
      expect(interrupted.state).toBe("interrupted");
      expect(interrupted.finishedAt).not.toBeNull();
      expect(interrupted.error).toContain(
        `Agent host was last heard from at ${lastHeard.toISOString().slice(0, 16)}`,
      );
      expect(interrupted.error).toContain("for more than 5 min");
      expect(interrupted.error).toContain("Check that the agent is running and can reach the hub");
      expect(await logsOf(run.id)).toContainEqual(interrupted.error);
      const order = await hub.ctx.db.query.workOrders.findFirst({ where: eq(workOrders.id, orderId) });
      expect(order?.state).toBe("expired");
      const set = await hub.ctx.db.query.backupSets.findFirst({
        where: eq(backupSets.id, interrupted.setId ?? 0),
      });
      expect(set?.state).toBe("incomplete");
      // A later tick does nothing more; a manual run is not retried automatically.
      expect((await tick()).interrupted).toEqual([]);
      expect((await runOf(run.id)).retryAt).toBeNull();
    });

    it("records what the agent reports when it comes back: late chunks and segments, and its result on the run and the set", async () => {
      const { agent, jobId } = await setUp();
      const run = await queueRun(hub.ctx, jobId, "admin");
      const { orderId, body } = await takeOrder(agent);
      await progress(agent, orderId, 1, { bytesDone: 10 });
      hub.advanceClock(6 * 60_000);
      await tick();
      expect((await runOf(run.id)).state).toBe("interrupted");

      // Back: a progress report changes nothing on an ended run, the rest is kept.
      await progress(agent, orderId, 2, { bytesDone: 99 });
      expect((await runOf(run.id)).bytesDone).toBe(10);
      const entry = [
        "srv/share/a.txt",
        "file",
        10,
        0o644,
        0,
        0,
        1700000000,
        null,
        "a".repeat(64),
        0,
        0,
        0,
        false,
      ];
      const chunk = await agent.call("POST", `/orders/${orderId}/catalog`, {
        setUuid: body.set.uuid,
        seq: 0,
        entries: [entry],
      });
      expect(chunk.status).toBe(200);
      const segment = await agent.call("POST", `/orders/${orderId}/segments`, segmentOn(body.set.uuid));
      expect(segment.status).toBe(204);
      const digest = new CatalogDigest();
      digest.add(entry as CatalogEntry);
      const result = await agent.call("POST", `/orders/${orderId}/result`, {
        state: "completed",
        summary: { files: 1, sourceBytes: 10, tapeBytes: 4096 },
        catalog: [{ sequence: 0, entries: 1, digest: digest.hex() }],
      });
      expect(result.status).toBe(204);

      const late = await runOf(run.id);
      expect(late).toMatchObject({ state: "completed", bytesDone: 10, filesDone: 1, error: null });
      expect(await logsOf(run.id)).toContainEqual(
        "the agent reported this run late, after the hub had marked it interrupted: completed (1 files, 10 bytes)",
      );
      const set = await hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, late.setId ?? 0) });
      expect(set).toMatchObject({ state: "complete", fileCount: 1 });
    });
  });

  describe("automatic retries", () => {
    async function failRun(agent: Agent, result: Record<string, unknown>) {
      const { orderId } = await takeOrder(agent);
      await agent.call("POST", `/orders/${orderId}/result`, result);
    }
    const retryable = { state: "failed", error: "drive busy", retryable: true };

    it("retries a scheduled run that failed retryably after the job's delay, as often as the job says, and says so in the log", async () => {
      const { agent, jobId } = await setUp({ retries: 2, retryDelayMinutes: 10 });
      const first = await queueRun(hub.ctx, jobId, "scheduler");
      await failRun(agent, retryable);
      expect(await logsOf(first.id)).toContainEqual(expect.stringMatching(/^retry 1 of 2 in 10 min \(at /));

      hub.advanceClock(9 * 60_000);
      await agent.call("POST", "/heartbeat", { version: "t", drives: agent.driveReports });
      await tick();
      expect(await hub.ctx.db.select().from(jobRuns)).toHaveLength(1);

      hub.advanceClock(60_000);
      await agent.call("POST", "/heartbeat", { version: "t", drives: agent.driveReports });
      const { queued } = await tick();
      expect(queued).toHaveLength(1);
      const second = await runOf(queued[0] as number);
      expect(second).toMatchObject({ retryOf: first.id, triggeredBy: "scheduler", kind: "backup" });
      expect(await logsOf(first.id)).toContainEqual(`retry queued as run ${second.id}`);
      // Ticking again queues nothing more for that failure.
      expect((await tick()).queued).toEqual([]);

      await failRun(agent, { state: "interrupted" });
      expect(await logsOf(second.id)).toContainEqual(expect.stringMatching(/^retry 2 of 2 in 10 min/));
      hub.advanceClock(10 * 60_000);
      await agent.call("POST", "/heartbeat", { version: "t", drives: agent.driveReports });
      const third = (await tick()).queued[0] as number;
      expect((await runOf(third)).retryOf).toBe(second.id);
      await failRun(agent, retryable);
      expect(await logsOf(third)).toContainEqual("no automatic retry left: all 2 were used");
      expect((await runOf(third)).retryAt).toBeNull();
    });

    it("retries neither a manual run, nor a failure an operator must fix, nor a job without retries", async () => {
      const { agent, jobId } = await setUp({ retries: 2 });
      const manual = await queueRun(hub.ctx, jobId, "admin");
      await failRun(agent, retryable);
      const operatorMustAct = await queueRun(hub.ctx, jobId, "scheduler");
      await failRun(agent, {
        state: "failed",
        error: "source path /srv/share does not exist",
        retryable: false,
      });
      await hub.ctx.db.update(jobs).set({ retries: 0 }).where(eq(jobs.id, jobId));
      const none = await queueRun(hub.ctx, jobId, "scheduler");
      await failRun(agent, retryable);
      for (const run of [manual, operatorMustAct, none]) {
        expect((await runOf(run.id)).retryAt).toBeNull();
        expect((await logsOf(run.id)).filter((m) => m.includes("retry"))).toEqual([]);
      }
      hub.advanceClock(60 * 60_000);
      await agent.call("POST", "/heartbeat", { version: "t", drives: agent.driveReports });
      expect((await tick()).queued).toEqual([]);
    });

    it("calls off a planned retry when the silent agent comes back and reports the run completed", async () => {
      const { agent, jobId } = await setUp({ retries: 1, retryDelayMinutes: 30 });
      const run = await queueRun(hub.ctx, jobId, "scheduler");
      const { orderId } = await takeOrder(agent);
      hub.advanceClock(6 * 60_000);
      await tick();
      expect((await runOf(run.id)).retryAt).not.toBeNull();
      expect(await logsOf(run.id)).toContainEqual(expect.stringMatching(/^retry 1 of 1 in 30 min/));
      await agent.call("POST", `/orders/${orderId}/result`, {
        state: "completed",
        summary: { files: 0, sourceBytes: 0 },
      });
      expect((await runOf(run.id)).retryAt).toBeNull();
      expect(await logsOf(run.id)).toContainEqual(
        "automatic retry called off: the agent reported the run completed",
      );
    });
  });
});
