import { eq } from "drizzle-orm";
import { compactVerify, generateKeyPair, importJWK } from "jose";
import { describe, expect, it } from "vitest";
import { type CatalogEntry, TAPE_OFFER_TYPE } from "../../contracts/agent-protocol.ts";
import { CatalogDigest } from "../../contracts/catalog-digest.ts";
import { backupSets, catalogEntries, jobRuns, tapes } from "../../functions/db/schema/index.ts";
import { segmentOn } from "../helpers/backup-order.ts";
import { fakeAgent } from "../helpers/fake-agent.ts";
import { errorOf, hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";
import { NO_PROGRESS } from "../helpers/progress.ts";

describe("drive-agent protocol on the hub", () => {
  let hub: TestHub;
  let admin: string;
  hubWithAdminForEachTest({ POLL_INTERVAL_MS: "20" }, (fixture) => ({ hub, admin } = fixture));

  const newAgent = async (name = "tapehost") => {
    const res = await hub.request("/api/v1/agents", {
      method: "POST",
      token: admin,
      json: { name, site: "Main" },
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { agent: { id: string }; enrollmentToken: string };
  };

  /** A pool, a labelled tape in the agent's drive, a source and a job. */
  async function backupSetup(
    agentId: string,
    drivePath = "/vtl/drive0",
    extra: Record<string, unknown> = {},
  ) {
    const post = async (path: string, json: unknown) =>
      (await hub.request(path, { method: "POST", token: admin, json })).json() as Promise<{ id: number }>;
    const pool = await post("/api/v1/pools", { name: "Weekly" });
    // The agent may have reported the cartridge already (it is then registered as blank).
    const known = await hub.requestJson<{
      items: { id: number }[];
    }>("/api/v1/tapes?barcode=L00001L9", { token: admin });
    const tape = known.items[0]
      ? await hub.requestJson<{ id: number }>(`/api/v1/tapes/${known.items[0].id}`, {
          method: "PATCH",
          token: admin,
          json: { poolId: pool.id },
        })
      : await post("/api/v1/tapes", { barcode: "L00001L9", poolId: pool.id });
    await hub.ctx.db
      .update(tapes)
      .set({ label: "L00001L9", uuid: crypto.randomUUID(), state: "active", fileCount: 1 })
      .where(eq(tapes.id, tape.id));
    const source = await post("/api/v1/sources", {
      name: "Share",
      kind: "local",
      paths: ["/srv/share"],
      agentId,
    });
    const job = await post("/api/v1/jobs", {
      name: "Nightly",
      sourceId: source.id,
      poolId: pool.id,
      compression: "zstd",
      ...extra,
    });
    return { pool, tape, source, job, drivePath };
  }

  it("enrolls once per token; the token cannot be reused and is never stored in clear", async () => {
    const { enrollmentToken } = await newAgent();
    // Never starting with "-", which `drive-agent enroll --token …` would read as an option.
    expect(enrollmentToken).toMatch(/^tbenroll_[A-Za-z0-9_-]{43}$/);
    const agent = await fakeAgent(hub, enrollmentToken);
    expect(agent.hubSigningKey).toMatchObject({ kty: "OKP", crv: "Ed25519" });
    await expect(fakeAgent(hub, enrollmentToken)).rejects.toThrow(/enroll failed: 401/);
    const raw = await hub.catalog.client.execute("select * from agents");
    expect(JSON.stringify(raw.rows)).not.toContain(enrollmentToken);
    const listed = await (await hub.request(`/api/v1/agents/${agent.agentId}`, { token: admin })).json();
    expect(listed).toMatchObject({
      state: "online",
      enrolled: true,
      drives: [{ devicePath: "/vtl/drive0" }],
    });
  });

  it("fills a tape's capacity from the first report that knows it, and a report that does not know it keeps it", async () => {
    const { enrollmentToken } = await newAgent();
    const agent = await fakeAgent(hub, enrollmentToken, [
      { loadedBarcode: "L00001L9", loadedCapacityBytes: 5_000_000 },
    ]);
    const beat = (drive: Record<string, unknown>, slots: Record<string, unknown>[]) =>
      agent.call("POST", "/heartbeat", {
        version: "t",
        drives: [{ ...agent.driveReports[0], ...drive }],
        changers: [{ devicePath: "/vtl/changer", name: "Changer", slots }],
      });
    const capacity = async (barcode: string) =>
      (await hub.ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, barcode) }))?.capacityBytes;
    expect(await capacity("L00001L9")).toBe(5_000_000);
    expect(
      (
        await beat({ loadedBarcode: "L00001L9", loadedCapacityBytes: null }, [
          { slot: 1, barcode: "L00002L9", capacityBytes: 7_000_000 },
          { slot: 2, barcode: "L00003L9", capacityBytes: null },
        ])
      ).status,
    ).toBe(204);
    expect(await capacity("L00001L9")).toBe(5_000_000);
    expect(await capacity("L00002L9")).toBe(7_000_000);
    expect(await capacity("L00003L9")).toBeNull();
    await beat({ loadedBarcode: null }, [{ slot: 1, barcode: "L00002L9", capacityBytes: null }]);
    expect(await capacity("L00002L9")).toBe(7_000_000);
  });

  it("accepts only tokens signed by the agent's own key, for the hub audience, not expired", async () => {
    const { enrollmentToken } = await newAgent();
    const agent = await fakeAgent(hub, enrollmentToken);
    expect(
      (await agent.call("POST", "/heartbeat", { version: "t", drives: agent.driveReports })).status,
    ).toBe(204);
    const stranger = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const forged = await agent.token({ key: stranger.privateKey });
    expect((await agent.call("POST", "/heartbeat", { version: "t", drives: [] }, forged)).status).toBe(401);
    const expired = await agent.token({ expSeconds: -120 });
    expect((await agent.call("POST", "/heartbeat", { version: "t", drives: [] }, expired)).status).toBe(401);
    const userToken = await hub.tokenFor("admin");
    expect((await agent.call("POST", "/heartbeat", { version: "t", drives: [] }, userToken)).status).toBe(
      401,
    );
  });

  it("hands a queued run to the agent as a JWS signed by the hub, addressed to that agent, with the data key sealed to it", async () => {
    const { agent: record, enrollmentToken } = await newAgent();
    const agent = await fakeAgent(hub, enrollmentToken, [{ loadedBarcode: "L00001L9" }]);
    const key = await hub.requestJson<{ id: number; fingerprint: string }>("/api/v1/encryption-keys", {
      method: "POST",
      token: admin,
      json: { name: "vault" },
    });
    const { job } = await backupSetup(record.id, "/vtl/drive0", {
      encryption: "aes-256-gcm",
      encryptionKeyId: key.id,
    });
    await agent.call("POST", "/heartbeat", { version: "t", drives: agent.driveReports });
    const queued = await hub.request(`/api/v1/jobs/${job.id}/run`, { method: "POST", token: admin });
    expect(queued.status).toBe(202);

    const polled = await agent.call("GET", "/orders/next?wait=1");
    expect(polled.status).toBe(200);
    const { order } = (await polled.json()) as { order: string };
    const { claims, protectedHeader } = await agent.verifyOrder(order);
    expect(protectedHeader).toMatchObject({ alg: "EdDSA", typ: "tapebackarr-order+jws" });
    expect(claims.aud).toBe(agent.agentId);
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(600);
    expect(claims.body).toMatchObject({
      kind: "backup",
      tape: { barcode: "L00001L9", nextFile: 1 },
      compression: "zstd",
    });
    if (claims.body.kind !== "backup") throw new Error("not a backup order");
    expect(claims.body.encryption.keyFingerprint).toBe(key.fingerprint);
    const dataKey = await agent.openDataKey(claims.body.encryption.dataKeyJwe as string);
    expect(dataKey).toHaveLength(32);
    expect(order).not.toContain(Buffer.from(dataKey).toString("base64url"));

    // Delivered once: the next poll finds nothing.
    expect((await agent.call("GET", "/orders/next?wait=0")).status).toBe(204);
  });

  it("runs an order through ack, progress, logs, catalog chunks, a segment and the result", async () => {
    const { agent: record, enrollmentToken } = await newAgent();
    const agent = await fakeAgent(hub, enrollmentToken, [{ loadedBarcode: "L00001L9" }]);
    const { job } = await backupSetup(record.id);
    await agent.call("POST", "/heartbeat", { version: "t", drives: agent.driveReports });
    const run = await hub.requestJson<{ id: number }>(`/api/v1/jobs/${job.id}/run`, {
      method: "POST",
      token: admin,
    });
    const { order } = (await (await agent.call("GET", "/orders/next?wait=1")).json()) as { order: string };
    const { claims } = await agent.verifyOrder(order);
    if (claims.body.kind !== "backup") throw new Error("not a backup order");
    const orderId = claims.jti;
    const setUuid = claims.body.set.uuid;

    expect((await agent.call("POST", `/orders/${orderId}/ack`)).status).toBe(204);
    const progress = (seq: number, bytesDone: number) =>
      agent.call("POST", `/orders/${orderId}/progress`, {
        seq,
        state: "running",
        bytesDone,
        bytesTotal: 1000,
        filesDone: 1,
        filesTotal: 2,
        currentPath: "a/<b>.txt",
        rateBytesPerSec: 100,
        etaSeconds: 5,
        tapeBarcode: "L00001L9",
        message: null,
      });
    expect(await (await progress(2, 500)).json()).toEqual({ control: "continue" });
    await progress(1, 100); // late and older: ignored
    expect(await (await hub.request(`/api/v1/runs/${run.id}`, { token: admin })).json()).toMatchObject({
      state: "running",
      bytesDone: 500,
    });

    const warning = {
      seq: 3,
      lines: [
        {
          at: new Date().toISOString(),
          level: "warn",
          message: "cannot open: Permission denied",
          path: "secret.txt",
        },
      ],
    };
    // A batch sent twice is logged (and counted as a warning) once.
    expect((await agent.call("POST", `/orders/${orderId}/logs`, warning)).status).toBe(204);
    expect((await agent.call("POST", `/orders/${orderId}/logs`, warning)).status).toBe(204);
    const entry = (path: string, offset: number) => [
      path,
      "file",
      10,
      0o644,
      0,
      0,
      1700000000,
      null,
      "a".repeat(64),
      offset,
      0,
      0,
      false,
    ];
    const chunk = { setUuid, seq: 0, entries: [entry("a/one.txt", 0), entry("a/<b>.txt", 1024)] };
    expect(await (await agent.call("POST", `/orders/${orderId}/catalog`, chunk)).json()).toEqual({
      duplicate: false,
      entries: 2,
    });
    expect(await (await agent.call("POST", `/orders/${orderId}/catalog`, chunk)).json()).toEqual({
      duplicate: true,
      entries: 2,
    });
    expect((await hub.ctx.db.select().from(catalogEntries)).map((e) => [e.dir, e.name])).toEqual([
      ["a", "one.txt"],
      ["a", "<b>.txt"],
    ]);

    const segment = segmentOn(setUuid);
    expect((await agent.call("POST", `/orders/${orderId}/segments`, { ...segment, seq: 7 })).status).toBe(
      204,
    );
    // Sent again (the agent could not tell the first try arrived): the tape's bytes are counted once.
    expect((await agent.call("POST", `/orders/${orderId}/segments`, { ...segment, seq: 7 })).status).toBe(
      204,
    );
    const digest = new CatalogDigest();
    for (const e of chunk.entries) digest.add(e as CatalogEntry);
    expect(
      (
        await agent.call("POST", `/orders/${orderId}/result`, {
          state: "completed",
          summary: { files: 2, tapeBytes: 4096 },
          catalog: [{ sequence: 0, entries: 2, digest: digest.hex() }],
        })
      ).status,
    ).toBe(204);

    const done = await hub.requestJson<{
      state: string;
      warnings: number;
    }>(`/api/v1/runs/${run.id}`, { token: admin });
    expect(done).toMatchObject({ state: "completed-with-warnings", warnings: 1 });
    const [set] = await hub.ctx.db.select().from(backupSets);
    expect(set).toMatchObject({ state: "complete", fileCount: 2, tapeBytes: 4096 });
    const [tape] = await hub.ctx.db.select().from(tapes);
    expect(tape).toMatchObject({ fileCount: 3, usedBytes: 4096, state: "active" });
  });

  it("tells the agent to cancel through the progress answer, and an interrupted set is never complete", async () => {
    const { agent: record, enrollmentToken } = await newAgent();
    const agent = await fakeAgent(hub, enrollmentToken, [{ loadedBarcode: "L00001L9" }]);
    const { job } = await backupSetup(record.id);
    await agent.call("POST", "/heartbeat", { version: "t", drives: agent.driveReports });
    const run = await hub.requestJson<{ id: number }>(`/api/v1/jobs/${job.id}/run`, {
      method: "POST",
      token: admin,
    });
    const { order } = (await (await agent.call("GET", "/orders/next?wait=1")).json()) as { order: string };
    const orderId = (await agent.verifyOrder(order)).claims.jti;
    await agent.call("POST", `/orders/${orderId}/ack`);
    expect(
      (await hub.request(`/api/v1/runs/${run.id}/cancel`, { method: "POST", token: admin })).status,
    ).toBe(200);
    const answer = await agent.call("POST", `/orders/${orderId}/progress`, {
      seq: 1,
      state: "running",
      ...NO_PROGRESS,
      bytesDone: 1,
      message: null,
    });
    expect(await answer.json()).toEqual({ control: "cancel" });
    await agent.call("POST", `/orders/${orderId}/result`, { state: "cancelled" });
    expect((await hub.ctx.db.select().from(jobRuns))[0]?.state).toBe("cancelled");
    expect((await hub.ctx.db.select().from(backupSets))[0]?.state).toBe("incomplete");
    const retry = await hub.request(`/api/v1/runs/${run.id}/retry`, { method: "POST", token: admin });
    expect(retry.status).toBe(202);
  });

  it("offers a run waiting for a tape the pool's tapes labelled since, and only while it waits", async () => {
    const { agent: record, enrollmentToken } = await newAgent();
    const agent = await fakeAgent(hub, enrollmentToken, [{ loadedBarcode: "L00001L9" }]);
    const { job, pool } = await backupSetup(record.id);
    await agent.call("POST", "/heartbeat", { version: "t", drives: agent.driveReports });
    await hub.requestJson(`/api/v1/jobs/${job.id}/run`, { method: "POST", token: admin });
    const { order } = (await (await agent.call("GET", "/orders/next?wait=1")).json()) as { order: string };
    const { claims } = await agent.verifyOrder(order);
    await agent.call("POST", `/orders/${claims.jti}/ack`);
    const report = async (seq: number, state: "running" | "waiting-for-tape") =>
      (
        await agent.call("POST", `/orders/${claims.jti}/progress`, {
          seq,
          state,
          ...NO_PROGRESS,
          message: state === "running" ? null : "label a new tape",
        })
      ).json();
    const tape = async (barcode: string, fields: Partial<typeof tapes.$inferInsert>) => {
      const now = new Date();
      await hub.ctx.db
        .insert(tapes)
        .values({ barcode, poolId: pool.id, createdAt: now, updatedAt: now, ...fields });
    };
    expect(await report(1, "running")).toEqual({ control: "continue" });
    // The first tape filled up; the set goes on only onto a tape that is labelled and free.
    await hub.ctx.db.update(tapes).set({ state: "full" }).where(eq(tapes.barcode, "L00001L9"));
    expect(await report(2, "waiting-for-tape")).toEqual({ control: "continue" });
    const uuid = crypto.randomUUID();
    await tape("L00002L9", { label: "Weekly 2", uuid, state: "active", fileCount: 1 });
    await tape("L00003L9", { state: "blank" });
    await tape("L00004L9", {
      label: "Locked",
      uuid: crypto.randomUUID(),
      state: "active",
      writeProtected: true,
    });
    const answer = (await report(3, "waiting-for-tape")) as { control: string; tapeOffer: string };
    expect(answer.control).toBe("continue");
    // Signed like an order, for this agent and this order: the agent verifies it with the pinned key.
    const key = await importJWK({ ...agent.hubSigningKey, alg: "EdDSA" }, "EdDSA");
    const offer = await compactVerify(answer.tapeOffer, key);
    expect(offer.protectedHeader.typ).toBe(TAPE_OFFER_TYPE);
    expect(JSON.parse(new TextDecoder().decode(offer.payload))).toMatchObject({
      aud: record.id,
      sub: claims.jti,
      tapes: [{ barcode: "L00002L9", label: "Weekly 2", uuid, nextFile: 1 }],
    });
    expect(await report(4, "running")).toEqual({ control: "continue" });
  });

  it("keeps a run queued with the words an operator needs when no tape of the pool is reachable", async () => {
    const { agent: record, enrollmentToken } = await newAgent();
    await fakeAgent(hub, enrollmentToken, [{ loadedBarcode: null }]);
    const { job } = await backupSetup(record.id);
    const run = await hub.requestJson<{ state: string; operatorMessage: string }>(
      `/api/v1/jobs/${job.id}/run`,
      { method: "POST", token: admin },
    );
    expect(run.state).toBe("queued");
    expect(run.operatorMessage).toMatch(/insert L00001L9/);
    const again = await hub.request(`/api/v1/jobs/${job.id}/run`, { method: "POST", token: admin });
    expect(again.status).toBe(409);
  });

  it("never lets one agent touch another agent's order", async () => {
    const a = await newAgent("host-a");
    const b = await newAgent("host-b");
    const agentA = await fakeAgent(hub, a.enrollmentToken, [{ loadedBarcode: "L00001L9" }]);
    const agentB = await fakeAgent(hub, b.enrollmentToken);
    const { job } = await backupSetup(a.agent.id);
    await agentA.call("POST", "/heartbeat", { version: "t", drives: agentA.driveReports });
    await hub.request(`/api/v1/jobs/${job.id}/run`, { method: "POST", token: admin });
    const { order } = (await (await agentA.call("GET", "/orders/next?wait=1")).json()) as { order: string };
    const orderId = (await agentA.verifyOrder(order)).claims.jti;
    const res = await agentB.call("POST", `/orders/${orderId}/ack`);
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("not_found");
    expect((await agentB.call("GET", "/orders/next?wait=0")).status).toBe(204);
  });
});
