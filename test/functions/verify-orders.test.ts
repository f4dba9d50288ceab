import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import {
  backupSetSegments,
  backupSets,
  catalogEntries,
  pools,
  tapes,
} from "../../functions/db/schema/index.ts";
import { fileEntry, insertSet } from "../helpers/catalog-rows.ts";
import { agentWithActiveTape, type fakeAgent } from "../helpers/fake-agent.ts";
import { hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";

describe("verify work orders on the hub", () => {
  let hub: TestHub;
  let admin: string;
  let agent: Awaited<ReturnType<typeof fakeAgent>>;
  let poolId: number;
  hubWithAdminForEachTest({ POLL_INTERVAL_MS: "20" }, (fixture) => ({ hub, admin } = fixture));
  beforeEach(async () => {
    const now = new Date();
    const [pool] = await hub.ctx.db
      .insert(pools)
      .values({ name: "Weekly", createdAt: now, updatedAt: now })
      .returning();
    poolId = pool?.id as number;
    agent = await agentWithActiveTape(hub, "L00001L9", { poolId });
  });

  /** A verify job of the pool, through the API. */
  const verifyJob = () =>
    hub.requestJson<{ id: number; kind: string; sourceId: number | null }>("/api/v1/jobs", {
      method: "POST",
      token: admin,
      json: { name: "V", kind: "verify", poolId },
    });

  async function completeSet(jobId: number | null, startedAt: Date, verifiedAt: Date | null = null) {
    const tape = await hub.ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, "L00001L9") });
    const setId = await insertSet(hub, {
      jobId,
      poolId,
      compression: "zstd",
      startedAt,
      verifiedAt,
      verifyResult: verifiedAt ? "passed" : null,
    });
    await hub.ctx.db.insert(backupSetSegments).values({
      setId,
      sequence: 0,
      tapeId: tape?.id as number,
      fileNumber: 1,
      complete: true,
      createdAt: startedAt,
    });
    await hub.ctx.db.insert(catalogEntries).values(fileEntry(setId, "srv", "a.txt"));
    return setId;
  }

  async function nextOrder() {
    const answer = await agent.call("GET", "/orders/next?wait=1");
    expect(answer.status).toBe(200);
    const { order } = (await answer.json()) as { order: string };
    const { claims } = await agent.verifyOrder(order);
    if (claims.body.kind !== "verify") throw new Error(`expected a verify order, got ${claims.body.kind}`);
    return { jti: claims.jti, body: claims.body };
  }

  const getSet = async (id: number) =>
    await hub.requestJson<{
      verifiedAt: string | null;
      verifyResult: string | null;
    }>(`/api/v1/sets/${id}`, { token: admin });

  it("queues a signed verify order for the agent holding the tape and records passed and damage on the set", async () => {
    const job = await verifyJob();
    expect(job).toMatchObject({ kind: "verify", sourceId: null });
    const setId = await completeSet(job.id, new Date("2026-01-01T00:00:00Z"));

    const ro = await hub.tokenFor("read-only");
    expect((await hub.request(`/api/v1/sets/${setId}/verify`, { method: "POST", token: ro })).status).toBe(
      403,
    );
    const started = await hub.request(`/api/v1/sets/${setId}/verify`, { method: "POST", token: admin });
    expect(started.status).toBe(202);
    const { run } = (await started.json()) as { run: { id: number; kind: string } };
    expect(run.kind).toBe("verify");
    // A second verify of the same set while one is queued is refused, not queued twice.
    expect((await hub.request(`/api/v1/sets/${setId}/verify`, { method: "POST", token: admin })).status).toBe(
      409,
    );

    const order = await nextOrder();
    expect(order.body).toMatchObject({
      runId: run.id,
      set: { compression: "zstd", encryption: { algorithm: "none" }, blockSize: 65536 },
      tapes: [{ barcode: "L00001L9", label: "L00001L9", uuid: "u-1", sequence: 0, fileNumber: 1 }],
      drive: { devicePath: "/vtl/drive0" },
    });
    await agent.call("POST", `/orders/${order.jti}/ack`);
    await agent.call("POST", `/orders/${order.jti}/result`, { state: "completed" });
    const passed = await getSet(setId);
    expect(passed.verifyResult).toBe("passed");
    expect(passed.verifiedAt).not.toBeNull();

    const again = await hub.request(`/api/v1/sets/${setId}/verify`, { method: "POST", token: admin });
    const second = await nextOrder();
    await agent.call("POST", `/orders/${second.jti}/ack`);
    await agent.call("POST", `/orders/${second.jti}/logs`, {
      lines: [
        {
          at: new Date().toISOString(),
          level: "error",
          message: "damaged on tape L00001L9: srv/a.txt: sha256 mismatch",
          path: "srv/a.txt",
        },
      ],
    });
    await agent.call("POST", `/orders/${second.jti}/result`, {
      state: "failed",
      error: "1 file damaged: srv/a.txt (tape L00001L9)",
    });
    expect((await getSet(setId)).verifyResult).toBe("1 file damaged: srv/a.txt (tape L00001L9)");
    const secondRun = ((await again.json()) as { run: { id: number } }).run.id;
    const runAfter = await hub.requestJson<{
      state: string;
    }>(`/api/v1/runs/${secondRun}`, { token: admin });
    expect(runAfter.state).toBe("failed");
    // Retrying the failed verify verifies the same set again, not a backup of the set's job.
    const retried = await hub.request(`/api/v1/runs/${secondRun}/retry`, { method: "POST", token: admin });
    expect(retried.status).toBe(202);
    expect(await retried.json()).toMatchObject({ kind: "verify", setId, retryOf: secondRun });
    const listed = await hub.requestJson<{
      items: { id: number; verifyResult: string | null; verifiedAt: string | null }[];
    }>("/api/v1/sets", { token: admin });
    expect(listed.items.find((s) => s.id === setId)).toMatchObject({
      verifyResult: "1 file damaged: srv/a.txt (tape L00001L9)",
    });
  });

  it("rolls through a pool: each run of a verify job takes the set verified longest ago, never-verified first", async () => {
    const job = await verifyJob();
    const recent = await completeSet(
      job.id,
      new Date("2026-01-03T00:00:00Z"),
      new Date("2026-02-02T00:00:00Z"),
    );
    const older = await completeSet(
      job.id,
      new Date("2026-01-02T00:00:00Z"),
      new Date("2026-02-01T00:00:00Z"),
    );
    const never = await completeSet(job.id, new Date("2026-01-04T00:00:00Z"));
    const setOfOrder = async () => {
      const order = await nextOrder();
      const set = await hub.ctx.db.query.backupSets.findFirst({
        where: eq(backupSets.uuid, order.body.set.uuid),
      });
      await agent.call("POST", `/orders/${order.jti}/ack`);
      await agent.call("POST", `/orders/${order.jti}/result`, { state: "completed" });
      return set?.id;
    };
    const picked: (number | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      const queued = await hub.request(`/api/v1/jobs/${job.id}/run`, { method: "POST", token: admin });
      expect(queued.status).toBe(202);
      picked.push(await setOfOrder());
    }
    expect(picked).toEqual([never, older, recent]);
  });

  it("shows each set's last verification on the restore page, file names in it as text", async () => {
    const setId = await completeSet(null, new Date());
    await hub.ctx.db
      .update(backupSets)
      .set({
        verifiedAt: new Date(),
        verifyResult: "1 file damaged: srv/<script>alert(1)</script>.txt (tape L00001L9)",
      })
      .where(eq(backupSets.id, setId));
    const passed = await completeSet(null, new Date(), new Date());
    const html = await (await hub.request("/restore", { token: await hub.tokenFor("read-only") })).text();
    expect(html).not.toContain("<script>alert(1)");
    expect(html).toContain("1 file damaged: srv/&lt;script&gt;alert(1)&lt;/script&gt;.txt (tape L00001L9)");
    expect(html).toMatch(/state-failed"[^>]*>\s*damaged/);
    expect(html).toMatch(/state-completed"[^>]*>\s*passed/);
    void passed;
  });

  it("seals an encrypted set's data key to the agent in the verify order", async () => {
    const key = await hub.requestJson<{ fingerprint: string }>("/api/v1/encryption-keys", {
      method: "POST",
      token: admin,
      json: { name: "k" },
    });
    const setId = await completeSet(null, new Date());
    const job = await verifyJob();
    await hub.ctx.db
      .update(backupSets)
      .set({ jobId: job.id, encryption: "aes-256-gcm", encryptionKeyFingerprint: key.fingerprint })
      .where(eq(backupSets.id, setId));
    expect((await hub.request(`/api/v1/sets/${setId}/verify`, { method: "POST", token: admin })).status).toBe(
      202,
    );
    const order = await nextOrder();
    expect(order.body.set.encryption).toMatchObject({
      algorithm: "aes-256-gcm",
      keyFingerprint: key.fingerprint,
    });
    expect(await agent.openDataKey(order.body.set.encryption.dataKeyJwe as string)).toHaveLength(32);
  });

  it("creates a verify job from the jobs page form with no source, and lists it as verifying its pool", async () => {
    const op = await hub.tokenFor("operator");
    const created = await hub.postForm(
      "/jobs",
      { name: "Verify weekly", kind: "verify", poolId: String(poolId), sourceId: "" },
      op,
    );
    expect(created.status).toBe(201);
    const jobs = await hub.requestJson<{
      items: { name: string; kind: string; sourceId: number | null; poolId: number }[];
    }>("/api/v1/jobs", { token: admin });
    expect(jobs.items.find((j) => j.name === "Verify weekly")).toMatchObject({
      kind: "verify",
      sourceId: null,
      poolId,
    });
    const page = await (await hub.request("/jobs", { token: op })).text();
    expect(page).toContain("verify sets of Weekly");
  });

  it("refuses a backup job without a source and a verify of a set that is not complete", async () => {
    const noSource = await hub.request("/api/v1/jobs", {
      method: "POST",
      token: admin,
      json: { name: "B", poolId },
    });
    expect(noSource.status).toBe(400);
    const setId = await completeSet(null, new Date());
    const orphan = await hub.request(`/api/v1/sets/${setId}/verify`, { method: "POST", token: admin });
    expect(orphan.status).toBe(409);
    await hub.ctx.db.update(backupSets).set({ state: "writing" }).where(eq(backupSets.id, setId));
    const writing = await hub.request(`/api/v1/sets/${setId}/verify`, { method: "POST", token: admin });
    expect(writing.status).toBe(409);
    expect(await writing.text()).toContain("only a complete set");
  });
});
