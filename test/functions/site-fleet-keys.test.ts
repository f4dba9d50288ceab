import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  agents,
  auditLogs,
  changers,
  drives,
  encryptionKeys,
  events,
  jobRuns,
  jobs,
  tapeMoves,
  tapes,
  userSiteRoles,
  workOrders,
} from "../../functions/db/schema/index.ts";
import { moveAgent } from "../../functions/services/agents/move-agent.ts";
import { nextRun } from "../../functions/services/jobs/job-input.ts";
import { createUser } from "../../functions/services/users/create-user.ts";
import { createTestHub, errorOf, type TestHub, USER_PASSWORD } from "../helpers/hub.ts";

/** Issue 20's fleet and key gaps: a host moved between sites, and keys under site scope. */
describe("sites: moving a host, and keys bound to a site", () => {
  let hub: TestHub;
  let admin: string;
  let east: number;
  let west: number;
  const api = async <T>(method: string, path: string, json?: unknown, token = admin) => {
    const res = await hub.request(path, { method, token, ...(json === undefined ? {} : { json }) });
    return { status: res.status, body: (await res.json()) as T };
  };
  const signIn = async (username: string, role: "operator" | "read-only", at: number[]) => {
    const user = await createUser(hub.ctx, { username, password: USER_PASSWORD, role, disabled: false }, 4);
    for (const siteId of at) await hub.ctx.db.insert(userSiteRoles).values({ userId: user.id, siteId, role });
    const res = await hub.request("/api/v1/auth/login", {
      method: "POST",
      json: { username, password: USER_PASSWORD },
    });
    return ((await res.json()) as { token: string }).token;
  };
  /** An agent at `siteId` with a drive and a changer, and a source over it. */
  const host = async (name: string, siteId: number) => {
    const agent = (await api<{ agent: { id: string } }>("POST", "/api/v1/agents", { name, siteId })).body
      .agent;
    const now = hub.ctx.now();
    const [drive] = await hub.ctx.db
      .insert(drives)
      .values({
        agentId: agent.id,
        name: `${name}-d0`,
        devicePath: "/dev/nst0",
        state: "idle",
        createdAt: now,
      })
      .returning();
    const [changer] = await hub.ctx.db
      .insert(changers)
      .values({
        agentId: agent.id,
        name: `${name}-lib`,
        devicePath: "/dev/sg3",
        slotCount: 8,
        createdAt: now,
      })
      .returning();
    const source = await api<{ id: number }>("POST", "/api/v1/sources", {
      name: `${name} files`,
      kind: "local",
      paths: ["/srv"],
      agentId: agent.id,
    });
    return {
      id: agent.id,
      drive: drive?.id as number,
      changer: changer?.id as number,
      source: source.body.id,
    };
  };
  const tape = async (barcode: string, siteId: number, where: { driveId?: number; changerId?: number }) => {
    const now = hub.ctx.now();
    const [row] = await hub.ctx.db
      .insert(tapes)
      .values({ barcode, siteId, ...where, slot: where.changerId ? 1 : null, createdAt: now, updatedAt: now })
      .returning();
    return row?.id as number;
  };

  beforeAll(async () => {
    hub = await createTestHub();
    admin = await hub.tokenFor("admin");
    east = (await api<{ id: number }>("POST", "/api/v1/sites", { name: "East", timeZone: "Asia/Tokyo" })).body
      .id;
    west = (await api<{ id: number }>("POST", "/api/v1/sites", { name: "<b>West</b>", timeZone: "UTC" })).body
      .id;
  });
  afterAll(() => hub.close());

  it("moves a host with its drives, changers and library tapes, records each tape's move, and lists its jobs", async () => {
    const tokyo = await host("tokyo", east);
    const inDrive = await tape("HST001L9", east, { driveId: tokyo.drive });
    const inSlot = await tape("HST002L9", east, { changerId: tokyo.changer });
    const onShelf = await tape("HST003L9", east, {});
    const pool = await api<{ id: number }>("POST", "/api/v1/pools", { name: "East pool", siteId: east });
    const job = await api<{ id: number }>("POST", "/api/v1/jobs", {
      name: "tokyo nightly",
      sourceId: tokyo.source,
      poolId: pool.body.id,
      schedule: "0 22 * * *",
    });
    expect(job.status, JSON.stringify(job.body)).toBe(201);

    const moved = await api<{
      tapes: { barcode: string }[];
      jobs: { name: string; warnings: string[] }[];
      from: { id: number };
      to: { id: number };
    }>("POST", `/api/v1/agents/${tokyo.id}/move`, { toSiteId: west, note: "office closed" });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.from.id).toBe(east);
    expect(moved.body.tapes.map((t) => t.barcode)).toEqual(["HST001L9", "HST002L9"]);
    expect(moved.body.jobs).toEqual([
      {
        id: job.body.id,
        name: "tokyo nightly",
        warnings: [expect.stringMatching(/pool East pool is bound to site East/)],
      },
    ]);

    // The drive and changer are where their agent is; the library's tapes went, the shelf's stayed.
    const westDrives = await hub.requestJson<{ items: { id: number }[] }>(`/api/v1/drives?site=${west}`, {
      token: admin,
    });
    expect(westDrives.items.map((d) => d.id)).toContain(tokyo.drive);
    const siteOfTape = async (id: number) =>
      (await hub.ctx.db.query.tapes.findFirst({ where: eq(tapes.id, id) }))?.siteId;
    expect([await siteOfTape(inDrive), await siteOfTape(inSlot), await siteOfTape(onShelf)]).toEqual([
      west,
      west,
      east,
    ]);
    const slotTape = await hub.ctx.db.query.tapes.findFirst({ where: eq(tapes.id, inSlot) });
    expect(slotTape).toMatchObject({ changerId: tokyo.changer, slot: 1 });
    expect(await hub.ctx.db.select().from(tapeMoves).where(eq(tapeMoves.tapeId, inSlot))).toEqual([
      expect.objectContaining({
        fromSiteId: east,
        toSiteId: west,
        actor: "admin",
        note: "host tokyo moved to site <b>West</b>: office closed",
      }),
    ]);
    expect(await hub.ctx.db.select().from(tapeMoves).where(eq(tapeMoves.tapeId, onShelf))).toEqual([]);
    // The tape page shows the move (escaped), as it shows a manual one.
    const page = await (await hub.request(`/tapes/${inSlot}`, { token: admin })).text();
    expect(page).toContain("host tokyo moved to site &lt;b&gt;West&lt;/b&gt;");

    // 22:00 is now read in the new site's zone (UTC), not Tokyo's, whatever time it is now.
    const row = await hub.ctx.db.query.jobs.findFirst({ where: eq(jobs.id, job.body.id) });
    expect(row?.nextRunAt?.getUTCHours()).toBe(22);
    expect(row?.nextRunAt).toEqual(nextRun("0 22 * * *", hub.ctx.now(), "UTC"));

    // Both sites' operators are told, and the audit row keeps both sites.
    const moveEvents = await hub.ctx.db.select().from(events).where(eq(events.kind, "agent.moved"));
    expect(moveEvents.map((e) => e.siteId).sort()).toEqual([east, west].sort());
    expect(moveEvents[0]?.text).toContain(
      "these jobs now run against a host at site <b>West</b>: tokyo nightly",
    );
    expect(moveEvents[0]).toMatchObject({ severity: "warning", agentId: tokyo.id });
    const audit = await hub.ctx.db.select().from(auditLogs).where(eq(auditLogs.action, "agent.move"));
    expect(audit.at(-1)).toMatchObject({
      outcome: "success",
      siteId: east,
      details: expect.objectContaining({ fromSiteId: east, toSiteId: west, tapes: ["HST001L9", "HST002L9"] }),
    });
  });

  it("refuses a move while a run of the host has not ended, and takes it once the run ended", async () => {
    const osaka = await host("osaka", east);
    const job = await api<{ id: number }>("POST", "/api/v1/jobs", {
      name: "osaka files",
      sourceId: osaka.source,
      poolId: (await api<{ id: number }>("POST", "/api/v1/pools", { name: "Any" })).body.id,
    });
    const [run] = await hub.ctx.db
      .insert(jobRuns)
      .values({
        jobId: job.body.id,
        kind: "backup",
        state: "running",
        triggeredBy: "test",
        agentId: osaka.id,
        queuedAt: hub.ctx.now(),
      })
      .returning();
    const refused = await hub.request(`/api/v1/agents/${osaka.id}/move`, {
      method: "POST",
      token: admin,
      json: { toSiteId: west },
    });
    expect(refused.status).toBe(409);
    expect((await errorOf(refused)).message).toMatch(
      new RegExp(
        `osaka has run #${run?.id} \\(osaka files, running\\) not ended; let it finish or cancel it`,
      ),
    );
    const agent = await hub.requestJson<{ siteId: number }>(`/api/v1/agents/${osaka.id}`, { token: admin });
    expect(agent.siteId).toBe(east);
    await hub.ctx.db
      .update(jobRuns)
      .set({ state: "completed" })
      .where(eq(jobRuns.id, run?.id as number));
    expect((await api("POST", `/api/v1/agents/${osaka.id}/move`, { toSiteId: west })).status).toBe(200);
    expect((await api("POST", `/api/v1/agents/${osaka.id}/move`, { toSiteId: west })).status).toBe(409);
  });

  it("refuses a move while a label or detect order of the host is open, naming it, and takes it once done", async () => {
    const sendai = await host("sendai", east);
    const order = async (id: string, kind: string) =>
      hub.ctx.db.insert(workOrders).values({
        id,
        agentId: sendai.id,
        kind,
        state: kind === "label" ? "acknowledged" : "pending",
        payload: { kind, runId: null },
        createdAt: hub.ctx.now(),
        expiresAt: new Date(hub.ctx.now().getTime() + 3_600_000),
      });
    await order("order-label-1", "label");
    await order("order-detect-1", "detect");
    const refused = await api<{ error: { message: string } }>("POST", `/api/v1/agents/${sendai.id}/move`, {
      toSiteId: west,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(
      /sendai has (label order order-label-1 \(acknowledged\), detect order order-detect-1 \(pending\)|detect order order-detect-1 \(pending\), label order order-label-1 \(acknowledged\)) not ended/,
    );
    expect(
      (await hub.requestJson<{ siteId: number }>(`/api/v1/agents/${sendai.id}`, { token: admin })).siteId,
    ).toBe(east);
    await hub.ctx.db.update(workOrders).set({ state: "done" }).where(eq(workOrders.agentId, sendai.id));
    expect((await api("POST", `/api/v1/agents/${sendai.id}/move`, { toSiteId: west })).status).toBe(200);
  });

  it("writes nothing of a move when an order is queued between its check and its write", async () => {
    const sapporo = await host("sapporo", east);
    const inSlot = await tape("HST009L9", east, { changerId: sapporo.changer });
    const db = hub.ctx.db;
    // An eject queued for the host while the move is being worked out: just before its batch.
    const racing = new Proxy(db, {
      get(target, key) {
        if (key !== "batch") {
          const value = Reflect.get(target, key, target);
          return typeof value === "function" ? value.bind(target) : value;
        }
        return async (statements: Parameters<typeof db.batch>[0]) => {
          await db.insert(workOrders).values({
            id: "order-eject-race",
            agentId: sapporo.id,
            kind: "eject",
            payload: { kind: "eject", runId: null },
            createdAt: hub.ctx.now(),
            expiresAt: new Date(hub.ctx.now().getTime() + 3_600_000),
          });
          return db.batch(statements);
        };
      },
    });
    const eventsBefore = (await db.select().from(events).where(eq(events.agentId, sapporo.id))).length;
    await expect(
      moveAgent({ ...hub.ctx, db: racing }, sapporo.id, { toSiteId: west }, "admin"),
    ).rejects.toThrow(/sapporo has eject order order-eject-race \(pending\) not ended/);
    expect((await db.query.agents.findFirst({ where: eq(agents.id, sapporo.id) }))?.siteId).toBe(east);
    expect((await db.query.tapes.findFirst({ where: eq(tapes.id, inSlot) }))?.siteId).toBe(east);
    expect(await db.select().from(tapeMoves).where(eq(tapeMoves.tapeId, inSlot))).toEqual([]);
    expect((await db.select().from(events).where(eq(events.agentId, sapporo.id))).length).toBe(eventsBefore);
  });

  it("lets only an admin move a host: an operator of site B, or of both sites, is refused", async () => {
    const kyoto = await host("kyoto", east);
    const operatorB = await signIn("ops-west", "operator", [west]);
    const operatorBoth = await signIn("ops-both", "operator", [east, west]);
    for (const token of [operatorB, operatorBoth]) {
      const res = await hub.request(`/api/v1/agents/${kyoto.id}/move`, {
        method: "POST",
        token,
        json: { toSiteId: west },
      });
      expect(res.status).toBe(403);
      const form = await hub.postForm(`/agents/${kyoto.id}/move`, { toSiteId: String(west) }, token);
      expect(form.status).toBe(403);
    }
    const agent = await hub.requestJson<{ siteId: number }>(`/api/v1/agents/${kyoto.id}`, { token: admin });
    expect(agent.siteId).toBe(east);
    expect(await (await hub.request("/agents", { token: operatorBoth })).text()).not.toContain("move-hosts");
    await api("POST", "/api/v1/jobs", {
      name: "kyoto <i>docs</i>",
      sourceId: kyoto.source,
      poolId: (await api<{ id: number }>("POST", "/api/v1/pools", { name: "Kyoto pool" })).body.id,
    });
    // The agents page offers the move to an admin, and the form moves it, words escaped.
    const page = await (await hub.request("/agents", { token: admin })).text();
    expect(page).toContain(`hx-post="/agents/${kyoto.id}/move"`);
    expect(page).not.toContain("<b>West</b>");
    const done = await hub.postForm(`/agents/${kyoto.id}/move`, { toSiteId: String(west) }, admin);
    expect(done.status).toBe(200);
    const words = await done.text();
    expect(words).toContain("Moved kyoto to site &lt;b&gt;West&lt;/b&gt; with 0 tape(s)");
    expect(words).toContain(
      "These jobs now run against a host at site &lt;b&gt;West&lt;/b&gt;: kyoto &lt;i&gt;docs&lt;/i&gt;.",
    );
  });

  it("shows a site-B user only their sites' keys and unbound ones, and refuses them a site-A key", async () => {
    const key = async (name: string, siteId: number | null) =>
      (await api<{ id: number; siteId: number | null }>("POST", "/api/v1/encryption-keys", { name, siteId }))
        .body;
    const eastKey = await key("east key", east);
    const westKey = await key("west key", west);
    const shared = await key("shared key", null);
    expect(eastKey.siteId).toBe(east);
    const reader = await signIn("reader-west", "read-only", [west]);
    const operator = await signIn("ops-west-keys", "operator", [west]);

    const listed = await hub.requestJson<{ items: { id: number }[] }>("/api/v1/encryption-keys", {
      token: reader,
    });
    expect(listed.items.map((k) => k.id).sort()).toEqual([westKey.id, shared.id].sort());
    expect((await hub.request(`/api/v1/encryption-keys/${eastKey.id}`, { token: reader })).status).toBe(404);
    expect((await hub.request(`/api/v1/encryption-keys/${shared.id}`, { token: reader })).status).toBe(200);
    const keysPage = await (await hub.request("/keys", { token: reader })).text();
    expect(keysPage).toContain("west key");
    expect(keysPage).not.toContain("east key");
    // The job form offers the same keys.
    const jobForm = await (await hub.request("/jobs/new", { token: operator })).text();
    expect(jobForm).toContain("shared key");
    expect(jobForm).not.toContain("east key");
    // Never any key material, to anyone.
    const adminList = await hub.requestJson<{ items: Record<string, unknown>[] }>("/api/v1/encryption-keys", {
      token: admin,
    });
    expect(adminList.items.length).toBe(3);
    for (const k of adminList.items) expect(k).not.toHaveProperty("wrappedKey");

    // A site-B job may not write with a site-A key: the one check refuses the operator...
    const nara = await host("nara", west);
    const anyPool = (await api<{ id: number }>("POST", "/api/v1/pools", { name: "Shared pool" })).body.id;
    const encrypted = (keyId: number) => ({
      name: `nara ${keyId}`,
      sourceId: nara.source,
      poolId: anyPool,
      encryption: "aes-256-gcm",
      encryptionKeyId: keyId,
    });
    expect((await api("POST", "/api/v1/jobs", encrypted(eastKey.id), operator)).status).toBe(403);
    expect((await api("POST", "/api/v1/jobs", encrypted(westKey.id), operator)).status).toBe(201);
    expect((await api("POST", "/api/v1/jobs", encrypted(shared.id), operator)).status).toBe(201);
    // ...and the rule holds for an admin too: another site's key writes no set here.
    const byAdmin = await api<{ error: { message: string } }>("POST", "/api/v1/jobs", encrypted(eastKey.id));
    expect(byAdmin.status).toBe(409);
    expect(byAdmin.body.error.message).toMatch(/Key east key is bound to site East; a job over nara files/);
  });

  it("rotates a site's pool to a key of that site only, and binds a key only where its writers are", async () => {
    const westPool = (
      await api<{ id: number }>("POST", "/api/v1/pools", { name: "West vault", siteId: west })
    ).body.id;
    const eastOnly = (
      await api<{ id: number }>("POST", "/api/v1/encryption-keys", { name: "east only", siteId: east })
    ).body.id;
    const refused = await api<{ error: { message: string } }>(
      "POST",
      `/api/v1/pools/${westPool}/rotate-key`,
      {
        keyId: eastOnly,
      },
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/bound to site East; pool West vault is at another site/);
    // A new key made by rotation is bound where the pool is.
    const rotated = await api<{ key: { id: number; siteId: number | null } }>(
      "POST",
      `/api/v1/pools/${westPool}/rotate-key`,
      {},
    );
    expect(rotated.body.key.siteId).toBe(west);
    // Nor may the pool go to East while it writes with a West key.
    const repointed = await api<{ error: { message: string } }>("PATCH", `/api/v1/pools/${westPool}`, {
      siteId: east,
    });
    expect(repointed.status).toBe(409);
    expect(repointed.body.error.message).toMatch(
      /bound to site <b>West<\/b>; pool West vault is at another site/,
    );
    // Binding that key to East would strand the West pool: refused, naming it; freeing it is fine.
    const bind = await api<{ error: { message: string } }>(
      "PUT",
      `/api/v1/encryption-keys/${rotated.body.key.id}/site`,
      { siteId: east },
    );
    expect(bind.status).toBe(409);
    expect(bind.body.error.message).toContain("pool West vault");
    const freed = await api<{ siteId: number | null }>(
      "PUT",
      `/api/v1/encryption-keys/${rotated.body.key.id}/site`,
      {
        siteId: null,
      },
    );
    expect(freed.body.siteId).toBeNull();
    const row = await hub.ctx.db.query.encryptionKeys.findFirst({
      where: eq(encryptionKeys.id, rotated.body.key.id),
    });
    expect(row?.siteId).toBeNull();
    // The Keys page binds it too, and shows where each key serves, names escaped.
    await hub.ctx.db
      .update(encryptionKeys)
      .set({ name: "<i>vault</i>" })
      .where(eq(encryptionKeys.id, rotated.body.key.id));
    const bound = await hub.postForm(`/keys/${rotated.body.key.id}/site`, { siteId: String(west) }, admin);
    expect(bound.status).toBe(200);
    expect(await bound.text()).toContain("&lt;i&gt;vault&lt;/i&gt; is bound to its site");
    const page = await (await hub.request("/keys", { token: admin })).text();
    expect(page).toMatch(/<td>&lt;i&gt;vault&lt;\/i&gt;<\/td>\s*<td>&lt;b&gt;West&lt;\/b&gt;<\/td>/);
    expect(page).not.toContain("<i>vault</i>");
  });
});
