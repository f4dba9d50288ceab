import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  backupSetSegments,
  backupSets,
  catalogEntries,
  jobs,
  tapes,
} from "../../functions/db/schema/index.ts";
import { fileEntry, insertSet } from "../helpers/catalog-rows.ts";
import { agentWithActiveTape } from "../helpers/fake-agent.ts";
import { hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";

describe("restore work orders on the hub", () => {
  let hub: TestHub;
  let admin: string;
  hubWithAdminForEachTest({ POLL_INTERVAL_MS: "20" }, (fixture) => ({ hub, admin } = fixture));

  /** A complete set of three files on L00001L9, which is active in the drive of the agent "host". */
  async function setWithTape(encrypted: { keyId: number; fingerprint: string } | null) {
    const agent = await agentWithActiveTape(hub, "L00001L9");
    const now = new Date();
    const [job] = await hub.ctx.db
      .insert(jobs)
      .values({ name: "J", createdAt: now, updatedAt: now })
      .returning();
    const tape = await hub.ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, "L00001L9") });
    const setId = await insertSet(hub, {
      jobId: job?.id,
      compression: "zstd",
      encryption: encrypted ? "aes-256-gcm" : "none",
      encryptionKeyFingerprint: encrypted?.fingerprint ?? null,
      startedAt: now,
    });
    await hub.ctx.db.insert(backupSetSegments).values({
      setId,
      sequence: 0,
      tapeId: tape?.id as number,
      fileNumber: 1,
      complete: true,
      createdAt: now,
    });
    const entry = (dir: string, name: string, offset: number) => fileEntry(setId, dir, name, { offset });
    await hub.ctx.db
      .insert(catalogEntries)
      .values([
        entry("srv/a", "one.txt", 0),
        entry("srv/a", "two.txt", 1536),
        entry("srv/b", "three.txt", 3072),
      ]);
    return { agent, setId };
  }

  it("turns a selection into a signed restore order for the drive holding the tape, records per-file results, and fails a restore with a file not restored", async () => {
    const key = await hub.requestJson<{ id: number; fingerprint: string }>("/api/v1/encryption-keys", {
      method: "POST",
      token: admin,
      json: { name: "k" },
    });
    const { agent, setId } = await setWithTape({ keyId: key.id, fingerprint: key.fingerprint });

    expect(
      (
        await hub.request("/api/v1/restores", {
          method: "POST",
          token: admin,
          json: { setId, paths: ["srv/a"], destination: "relative/dir" },
        })
      ).status,
    ).toBe(400);
    const started = await hub.request("/api/v1/restores", {
      method: "POST",
      token: admin,
      json: { setId, paths: ["/srv/a/"], destination: "/restore/here", overwrite: "rename" },
    });
    expect(started.status).toBe(202);
    const { run } = (await started.json()) as { run: { id: number } };

    const { order } = (await (await agent.call("GET", "/orders/next?wait=1")).json()) as { order: string };
    const { claims } = await agent.verifyOrder(order);
    if (claims.body.kind !== "restore") throw new Error(`expected a restore order, got ${claims.body.kind}`);
    expect(claims.body.files.map((f) => f.path)).toEqual(["srv/a/one.txt", "srv/a/two.txt"]);
    expect(claims.body).toMatchObject({
      destination: "/restore/here",
      overwrite: "rename",
      tapes: [{ barcode: "L00001L9", label: "L00001L9", fileNumber: 1 }],
    });
    expect(await agent.openDataKey(claims.body.set.encryption.dataKeyJwe as string)).toHaveLength(32);

    await agent.call("POST", `/orders/${claims.jti}/ack`);
    const results = await agent.call("POST", `/orders/${claims.jti}/restore-files`, {
      files: [
        { path: "srv/a/one.txt", outcome: "restored", writtenTo: "/restore/here/srv/a/one.txt" },
        { path: "srv/a/two.txt", outcome: "failed", error: "sha256 mismatch: tape damaged near block 3" },
      ],
    });
    expect(results.status).toBe(204);
    // A batch re-sent after a lost answer is not logged twice.
    await agent.call("POST", `/orders/${claims.jti}/restore-files`, {
      files: [
        { path: "srv/a/two.txt", outcome: "failed", error: "sha256 mismatch: tape damaged near block 3" },
      ],
    });
    await agent.call("POST", `/orders/${claims.jti}/result`, {
      state: "completed-with-warnings",
      error: "1 file failed",
    });
    const logs = await hub.requestJson<{
      items: { level: string; path: string; message: string }[];
    }>(`/api/v1/runs/${run.id}/logs`, { token: admin });
    expect(logs.items.filter((l) => l.level === "error")).toHaveLength(1);
    expect(logs.items.find((l) => l.level === "error")).toMatchObject({
      path: "srv/a/two.txt",
      message: "restore failed: sha256 mismatch: tape damaged near block 3",
    });
    const done = await hub.requestJson<{
      state: string;
      kind: string;
      error: string;
    }>(`/api/v1/runs/${run.id}`, { token: admin });
    // An agent calling it completed-with-warnings does not make it so: a file was not restored.
    expect(done).toMatchObject({
      state: "failed",
      kind: "restore",
      error: "1 file was not restored (the run's log names each): 1 file failed",
    });
    expect((await hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, setId) }))?.state).toBe(
      "complete",
    );
  });

  it("walks the restore wizard: sets, a browsable tree with markup names as text, the plan, and start", async () => {
    const { setId } = await setWithTape(null);
    const now = new Date();
    await hub.ctx.db.insert(catalogEntries).values(
      fileEntry(setId, "srv/a", "<img src=x onerror=alert(1)>.txt", {
        size: 1,
        sha256: null,
        offset: 9000,
      }),
    );
    void now;
    const op = await hub.tokenFor("operator");
    const ro = await hub.tokenFor("read-only");
    const html = async (path: string, token: string) => (await hub.request(path, { token })).text();

    expect(await html("/restore", op)).toContain(`href="/restore/sets/${setId}"`);
    const tree = await html(`/restore/sets/${setId}?dir=srv/a`, op);
    expect(tree).toContain("&lt;img src=x onerror=alert(1)&gt;.txt");
    // Inside a quoted attribute the markup is inert; anywhere else it must not appear.
    expect(tree.replace(/="[^"]*"/g, '=""')).not.toContain("<img src=x");
    expect(tree).toContain('name="paths" value="srv/a/one.txt"');

    const form = (fields: [string, string][]) => ({
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
      body: new URLSearchParams(fields).toString(),
    });
    const plan = await hub.request(`/restore/sets/${setId}/plan`, {
      ...form([
        ["paths", "srv/a/one.txt"],
        ["paths", "srv/b"],
      ]),
      token: op,
    });
    const planHtml = await plan.text();
    expect(plan.status).toBe(200);
    expect(planHtml).toContain("2 files");
    expect(planHtml).toContain("L00001L9</strong> — L00001L9 is already in Drive 0 on host");
    expect(planHtml).toContain(`hx-post="/restore/sets/${setId}/start"`);
    const roPlan = await (
      await hub.request(`/restore/sets/${setId}/plan`, { ...form([["paths", "srv/a/one.txt"]]), token: ro })
    ).text();
    expect(roPlan).not.toContain("/start");
    expect(
      (
        await hub.request(`/restore/sets/${setId}/start`, {
          ...form([
            ["paths", "srv/a/one.txt"],
            ["destination", "/r"],
          ]),
          token: ro,
        })
      ).status,
    ).toBe(403);

    const start = await hub.request(`/restore/sets/${setId}/start`, {
      ...form([
        ["paths", "srv/a/one.txt"],
        ["destination", "/srv/restore"],
        ["overwrite", "rename"],
      ]),
      token: op,
    });
    expect(start.status).toBe(202);
    expect(start.headers.get("hx-redirect")).toMatch(/^\/runs\/\d+$/);
  });
});
