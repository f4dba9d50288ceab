import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  initLibrary,
  insertCartridge,
  readLibrary,
  removeCartridge,
} from "../../drive-agent/drives/vtl/library.ts";
import { events, jobRuns, tapes, workOrders } from "../../functions/db/schema/index.ts";
import { schedulerTick } from "../../functions/services/runs/scheduler-tick.ts";
import { enrollAndStartVtlAgent, tearDown } from "../helpers/e2e.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";
import type { Spawned } from "../helpers/process.ts";

/**
 * Issue 15's waits at the hub level, on the real hub app over loopback and the real agent
 * process on a vtl with one drive, a changer and one mail slot: the pre-flight item appears on
 * the attention strip and GET /jobs/:id/preflight when no tape can be had and clears when one is
 * inserted; the pool's rotation asks the closed media set out; exported, it is never written;
 * a restore of it waits, visibly, and runs once the cartridge is back in the library.
 */

const WAIT = { timeout: 60_000, interval: 100 };

type Preflight = { ready: boolean; problem: string | null; tapes: { barcode: string; ready: boolean }[] };
type Run = {
  id: number;
  state: string;
  setId: number | null;
  operatorMessage: string | null;
  error: string | null;
};

describe("media waits end to end: pre-flight, offsite rotation and a restore waiting for its tape", () => {
  let root: string;
  let lib: string;
  let src: string;
  let hub: TestHub;
  let server: ReturnType<typeof serve>;
  let agent: Spawned | undefined;
  let jobId: number;
  let changerId: number;

  /** A session on the hub's clock as it is now. */
  const token = () => hub.freshTokenFor("admin");
  const api = async <T>(method: string, path: string, json?: unknown) => {
    const res = await hub.request(path, { method, token: await token(), ...(json ? { json } : {}) });
    const text = await res.text();
    expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
    return (text ? JSON.parse(text) : null) as T;
  };
  const tick = () => schedulerTick(hub.ctx, hub.deps.logger, { agentSilenceMinutes: 60 });
  const tape = async (barcode: string) =>
    (await hub.ctx.db.query.tapes.findFirst({
      where: eq(tapes.barcode, barcode),
    })) as typeof tapes.$inferSelect;
  const strip = async () => (await hub.request("/partials/attention", { token: await token() })).text();
  const finished = (runId: number) =>
    vi.waitFor(async () => {
      const run = await api<Run>("GET", `/api/v1/runs/${runId}`);
      if (!["completed", "failed", "cancelled", "interrupted"].includes(run.state))
        throw new Error(`run ${runId} is ${run.state}: ${run.operatorMessage}`);
      return run;
    }, WAIT);
  const orderDone = (orderId: string) =>
    vi.waitFor(async () => {
      const order = await hub.ctx.db.query.workOrders.findFirst({ where: eq(workOrders.id, orderId) });
      if (!order || !["done", "failed"].includes(order.state)) throw new Error(`order is ${order?.state}`);
      return order;
    }, WAIT);
  /** Changer orders wait for an idle drive: the heartbeat after a run says it is idle again. */
  const driveIdle = () =>
    vi.waitFor(async () => {
      const drive = await hub.ctx.db.query.drives.findFirst();
      if (drive?.state !== "idle") throw new Error(`drive is ${drive?.state}`);
    }, WAIT);
  const sha = async (path: string) =>
    createHash("sha256")
      .update(await readFile(path))
      .digest("hex");

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-media-waits-"));
    lib = join(root, "vtl");
    src = join(root, "src");
    await mkdir(src, { recursive: true });
    await writeFile(join(src, "a.txt"), "first version\n".repeat(100));
    await initLibrary({
      dir: lib,
      drives: 1,
      slots: 4,
      importExportSlots: 1,
      cartridges: 1,
      capacityBytes: 32 << 20,
      earlyWarningBytes: 2 << 20,
    });
    hub = await createTestHub({ POLL_INTERVAL_MS: "50" });
    server = serve({ fetch: hub.app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const created = await api<{ agent: { id: string }; enrollmentToken: string }>("POST", "/api/v1/agents", {
      name: "vault-host",
    });
    agent = await enrollAndStartVtlAgent({
      hubUrl: url,
      token: created.enrollmentToken,
      stateDir: join(root, "agent"),
      lib,
      env: { TAPEBACKARR_AGENT_HEARTBEAT_MS: "200" },
    });
    await vi.waitFor(async () => {
      if (!(await tape("TB0001L9"))?.changerId) throw new Error("library not reported yet");
    }, WAIT);
    changerId = (await tape("TB0001L9")).changerId as number;
    const pool = await api<{ id: number }>("POST", "/api/v1/pools", {
      name: "Rotating",
      allocation: "always",
      retention: "timespan",
      retentionDays: 28,
      generation: "LTO-9",
      barcodePrefix: "TB",
      preflightLeadMinutes: 24 * 60,
      offsiteRotation: "closed",
    });
    const source = await api<{ id: number }>("POST", "/api/v1/sources", {
      name: "Share",
      kind: "local",
      paths: [src],
      agentId: created.agent.id,
    });
    // Twelve hours from now, whatever the time of day: inside the lead time, never due in the test.
    const hour = (new Date(hub.ctx.now()).getUTCHours() + 12) % 24;
    jobId = (
      await api<{ id: number }>("POST", "/api/v1/jobs", {
        name: "Nightly",
        sourceId: source.id,
        poolId: pool.id,
        backupType: "full",
        compression: "none",
        schedule: `0 ${hour} * * *`,
        retries: 0,
      })
    ).id;
  }, 120_000);

  afterAll(async () => {
    await tearDown(root, agent, { close: () => new Promise<void>((r) => server.close(() => r())) }, hub);
  });

  let firstSetId: number;

  it("raises the pre-flight item on the strip and the API when no tape can be had, and clears it once a blank one is imported", async () => {
    // The first run labels the only blank cartridge and writes media set #1 on it.
    const first = await api<{ id: number }>("POST", `/api/v1/jobs/${jobId}/run`);
    const done = await finished(first.id);
    expect(done.state, done.error ?? "").toBe("completed");
    firstSetId = done.setId as number;

    // The next run starts a new media set: the only tape belongs to set #1, so none can be had.
    const missing = await api<Preflight>("GET", `/api/v1/jobs/${jobId}/preflight`);
    expect(missing.ready).toBe(false);
    expect(missing.problem).toMatch(
      /^Insert any blank LTO-9 tape with a barcode starting TB into the library of agent vault-host before \d\d:00 for job Nightly/,
    );
    await tick();
    expect(await strip()).toContain(missing.problem?.slice(0, 80));
    expect(
      await hub.ctx.db.query.events.findMany({ where: eq(events.kind, "preflight.unmet") }),
    ).toHaveLength(1);

    // An operator puts a new cartridge into the mail slot and imports it from the hub.
    await insertCartridge({ dir: lib, barcode: "TB0009L9" });
    await driveIdle();
    const imported = await api<{ orderId: string }>("POST", `/api/v1/changers/${changerId}/operations`, {
      op: "import",
    });
    expect((await orderDone(imported.orderId)).state).toBe("done");
    await vi.waitFor(async () => {
      const row = await tape("TB0009L9");
      if (row?.state !== "blank" || row.slot === null) throw new Error(`TB0009L9: ${row?.state}`);
    }, WAIT);
    const ready = await api<Preflight>("GET", `/api/v1/jobs/${jobId}/preflight`);
    expect(ready, JSON.stringify(ready)).toMatchObject({ ready: true, problem: null });
    expect(ready.tapes.find((t) => t.ready)?.barcode).toBe("TB0009L9");
    await tick();
    expect(await strip()).not.toContain("Insert any blank LTO-9");
    expect(await hub.ctx.db.query.events.findMany({ where: eq(events.kind, "preflight.met") })).toHaveLength(
      1,
    );
  }, 180_000);

  it("asks the closed media set out, exports it, never writes it while away, and a restore of it waits for the cartridge and runs once it is back", async () => {
    // The second run opens media set #2 on the new tape, which closes #1: the rotation asks it out.
    await writeFile(join(src, "a.txt"), "second version\n".repeat(100));
    const second = await api<{ id: number }>("POST", `/api/v1/jobs/${jobId}/run`);
    expect((await finished(second.id)).state).toBe("completed");
    const { items } = await api<{ items: { direction: string; mediaSetId: number; text: string }[] }>(
      "GET",
      "/api/v1/rotation",
    );
    expect(items.map((i) => i.text)).toEqual([
      expect.stringMatching(/^Take media set #\d+ of pool Rotating offsite \(TB0001L9\)/),
    ]);
    expect(await strip()).toContain("offsite (TB0001L9)");

    await driveIdle();
    const out = await api<{ orderId: string }>("POST", `/api/v1/changers/${changerId}/export`, {
      tapeIds: [(await tape("TB0001L9")).id],
      location: "Vault B",
    });
    expect((await orderDone(out.orderId)).state).toBe("done");
    expect(await tape("TB0001L9")).toMatchObject({ state: "offsite", location: "Vault B" });
    expect((await api<{ items: unknown[] }>("GET", "/api/v1/rotation")).items).toEqual([]);
    const mail = (await readLibrary(lib)).slots.find((s) => s.importExport && s.barcode === "TB0001L9");
    await removeCartridge({ dir: lib, slot: mail?.slot as number });
    await vi.waitFor(async () => expect((await tape("TB0001L9")).changerId).toBeNull(), WAIT);

    // A run of the pool now has no tape it may write, and says the one away is not written.
    const third = await api<{ id: number }>("POST", `/api/v1/jobs/${jobId}/run`);
    const stuck = await vi.waitFor(async () => {
      const run = await api<Run>("GET", `/api/v1/runs/${third.id}`);
      if (!run.operatorMessage?.includes("not written while away")) throw new Error(`${run.operatorMessage}`);
      return run;
    }, WAIT);
    expect(stuck.state).toBe("queued");
    expect(stuck.operatorMessage).toContain("not written while away: TB0001L9 (offsite at Vault B)");
    expect((await api<Run>("POST", `/api/v1/runs/${third.id}/cancel`)).state).toBe("cancelled");

    // The restore of the first set waits for its cartridge, saying where to put it.
    const restore = await api<{ run: Run }>("POST", "/api/v1/restores", {
      setId: firstSetId,
      paths: [],
      destination: join(root, "restore"),
      overwrite: "skip",
    });
    const runId = restore.run.id;
    const waiting = await api<Run>("GET", `/api/v1/runs/${runId}`);
    expect(waiting.state).toBe("queued");
    expect(waiting.operatorMessage).toBe(
      "Waiting for TB0001L9: it is offsite at Vault B: bring it back and insert it into Virtual library of agent vault-host",
    );
    expect(await strip()).toContain(`Nightly (run #${runId}) is waiting for TB0001L9`);
    expect(
      (await hub.ctx.db.query.events.findMany({ where: eq(events.kind, "tape.needed") })).map((e) => e.runId),
    ).toEqual([runId]);
    expect(await hub.ctx.db.query.workOrders.findMany({ where: eq(workOrders.runId, runId) })).toEqual([]);
    const page = await (
      await hub.request(`/tapes/${(await tape("TB0001L9")).id}`, { token: await token() })
    ).text();
    expect(page).toContain("Runs waiting for this tape");
    expect(page).toContain(`href="/runs/${runId}"`);

    // Back from the vault: imported, it is full again (never appended to) and the restore runs.
    await insertCartridge({ dir: lib, barcode: "TB0001L9" });
    await driveIdle();
    const back = await api<{ orderId: string }>("POST", `/api/v1/changers/${changerId}/operations`, {
      op: "import",
    });
    expect((await orderDone(back.orderId)).state).toBe("done");
    const restored = await finished(runId);
    expect(restored.state, restored.error ?? "").toBe("completed");
    expect(await tape("TB0001L9")).toMatchObject({ state: "full", location: null });
    expect(await sha(join(root, "restore", src.slice(1), "a.txt"))).toBe(
      createHash("sha256").update("first version\n".repeat(100)).digest("hex"),
    );
    const run = await hub.ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, runId) });
    expect(run?.pendingOrder).toBeNull();
  }, 240_000);
});
