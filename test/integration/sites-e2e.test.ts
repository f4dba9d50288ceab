import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  initLibrary,
  insertCartridge,
  libraryPaths,
  readLibrary,
  removeCartridge,
  transferCartridge,
} from "../../drive-agent/drives/vtl/library.ts";
import { type HubProcess, startHubProcess } from "../helpers/agent-process.ts";
import * as e2e from "../helpers/e2e.ts";
import type { Spawned } from "../helpers/process.ts";

/**
 * Issue 20's proof: one real hub, two real drive-agents at two sites, each on its own virtual
 * library. A site-B operator is refused site A's objects and sees only site B; each site's backup
 * runs on its own agent; a tape carried from A to B is restored at B.
 */
const WAIT = { timeout: 60_000, interval: 200 };
const AGENT_ENV = { TAPEBACKARR_AGENT_HEARTBEAT_MS: "300" };
const OPERATOR_B_PASSWORD = "operator-of-site-b-password";

type Run = e2e.E2eRun & { agentId: string | null };
type Tape = { id: number; barcode: string; state: string; siteId: number | null; driveId: number | null };

describe("two sites on one hub: two agents, two libraries", () => {
  let root: string;
  let hub: HubProcess;
  const agents: Spawned[] = [];
  const site: Record<
    "A" | "B",
    { id: number; agentId: string; lib: string; src: string; poolId: number; jobId: number }
  > = {} as never;
  let operatorB: string;

  /** The API as the operator of site B (a real session over loopback). */
  const asB = async <T>(method: string, path: string, json?: unknown) => {
    const res = await fetch(`${hub.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${operatorB}`,
        ...(json === undefined ? {} : { "content-type": "application/json" }),
      },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };
  const tapes = async () => (await hub.api<{ items: Tape[] }>("GET", "/api/v1/tapes?limit=500")).body.items;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-sites-e2e-"));
    hub = await startHubProcess();
    for (const name of ["A", "B"] as const) {
      const lib = join(root, `vtl-${name}`);
      const src = join(root, `src-${name}`);
      await mkdir(src, { recursive: true });
      await writeFile(join(src, `only-at-${name}.txt`), `written at site ${name}\n`);
      await initLibrary({
        dir: lib,
        drives: 1,
        slots: 4,
        cartridges: 2,
        importExportSlots: 1,
        capacityBytes: 32 << 20,
        barcodePrefix: `S${name}`,
      });
      const created = await hub.api<{ id: number }>("POST", "/api/v1/sites", {
        name: `Site ${name}`,
        timeZone: name === "A" ? "Europe/Berlin" : "America/New_York",
        contact: `ops-${name}@example.test`,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const agent = await hub.api<{ agent: { id: string }; enrollmentToken: string }>(
        "POST",
        "/api/v1/agents",
        {
          name: `host-${name}`,
          siteId: created.body.id,
        },
      );
      expect(agent.status, JSON.stringify(agent.body)).toBe(201);
      agents.push(
        await e2e.enrollAndStartVtlAgent({
          hubUrl: hub.url,
          token: agent.body.enrollmentToken,
          stateDir: join(root, `agent-${name}`),
          lib,
          env: AGENT_ENV,
        }),
      );
      site[name] = { id: created.body.id, agentId: agent.body.agent.id, lib, src, poolId: 0, jobId: 0 };
    }
    // Each library's cartridges are registered at its agent's site.
    await vi.waitFor(async () => {
      const known = await tapes();
      if (known.length < 4 || known.some((t) => t.siteId === null))
        throw new Error("libraries not reported yet");
    }, WAIT);
    for (const name of ["A", "B"] as const) {
      const s = site[name];
      s.poolId = (
        await hub.api<{ id: number }>("POST", "/api/v1/pools", { name: `Pool ${name}`, siteId: s.id })
      ).body.id;
      for (const tape of (await tapes()).filter((t) => t.siteId === s.id)) {
        expect((await hub.api("POST", `/api/v1/tapes/${tape.id}/label`, { poolId: s.poolId })).status).toBe(
          202,
        );
        await vi.waitFor(async () => {
          const t = (await hub.api<Tape>("GET", `/api/v1/tapes/${tape.id}`)).body;
          if (t.state !== "active") throw new Error(`${t.barcode} is ${t.state}`);
        }, WAIT);
      }
      const sourceId = await e2e.createLocalSource(hub, `Files ${name}`, s.src, s.agentId);
      s.jobId = await e2e.createJob(hub, {
        name: `Nightly ${name}`,
        sourceId,
        poolId: s.poolId,
        compression: "zstd",
      });
    }
    const user = await hub.api<{ id: number }>("POST", "/api/v1/users", {
      username: "ops-b",
      password: OPERATOR_B_PASSWORD,
      role: "operator",
    });
    expect(user.status, JSON.stringify(user.body)).toBe(201);
    const scoped = await hub.api("PUT", `/api/v1/users/${user.body.id}/site-roles`, {
      sites: [{ siteId: site.B.id, role: "operator" }],
    });
    expect(scoped.status, JSON.stringify(scoped.body)).toBe(200);
    const login = await fetch(`${hub.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "ops-b", password: OPERATOR_B_PASSWORD }),
    });
    operatorB = ((await login.json()) as { token: string }).token;
  }, 240_000);

  afterAll(() => e2e.tearDown(root, ...agents, hub));

  it("refuses the operator of site B site A's mutations and shows them only site B in the lists", async () => {
    const tapeA = (await tapes()).find((t) => t.siteId === site.A.id) as Tape;
    const refused: [string, string, unknown][] = [
      ["POST", `/api/v1/jobs/${site.A.jobId}/run`, undefined],
      ["POST", `/api/v1/tapes/${tapeA.id}/label`, { poolId: site.A.poolId, force: true }],
      ["PATCH", `/api/v1/pools/${site.A.poolId}`, { description: "taken over" }],
      ["POST", "/api/v1/pools", { name: "Sneaky", siteId: site.A.id }],
      ["POST", `/api/v1/tapes/${tapeA.id}/move`, { toSiteId: site.B.id }],
    ];
    for (const [method, path, json] of refused) {
      const res = await asB<{ error: { code: string } }>(method, path, json);
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(403);
    }
    expect((await asB("GET", `/api/v1/jobs/${site.A.jobId}`)).status).toBe(404);
    const lists = {
      agents: (await asB<{ items: { id: string }[] }>("GET", "/api/v1/agents")).body.items.map((a) => a.id),
      jobs: (await asB<{ items: { id: number }[] }>("GET", "/api/v1/jobs")).body.items.map((j) => j.id),
      tapes: (await asB<{ items: Tape[] }>("GET", "/api/v1/tapes")).body.items.map((t) => t.siteId),
      pools: (await asB<{ items: { id: number }[] }>("GET", "/api/v1/pools")).body.items.map((p) => p.id),
    };
    // The pages take the same filter: the admin narrows the agents page to site A.
    const adminToken = (hub.api as unknown as { token: string }).token;
    const agentsOfA = await (
      await fetch(`${hub.url}/agents?site=${site.A.id}`, {
        headers: { authorization: `Bearer ${adminToken}` },
      })
    ).text();
    expect(agentsOfA).toContain("host-A");
    expect(agentsOfA).not.toContain("host-B");
    const pageOfB = await (
      await fetch(`${hub.url}/tapes`, { headers: { authorization: `Bearer ${operatorB}` } })
    ).text();
    expect(pageOfB).toContain("SB0001L9");
    expect(pageOfB).not.toContain("SA0001L9");
    expect(lists).toEqual({
      agents: [site.B.agentId],
      jobs: [site.B.jobId],
      tapes: [site.B.id, site.B.id],
      pools: [site.B.poolId],
    });
    // The audit log: the labelling done at site A in the setup is not site B's to read; B's own
    // refused attempts above are (they name objects of site A, so they are recorded at A: none).
    const audit = async (as: typeof asB) =>
      new Set(
        (
          await as<{ items: { siteId: number | null }[] }>("GET", "/api/v1/audit-logs?limit=500")
        ).body.items.map((r) => r.siteId),
      );
    expect([...(await audit((method, path) => hub.api(method, path)))]).toContain(site.A.id);
    expect([...(await audit(asB))].every((id) => id === site.B.id)).toBe(true);
    // The retention calendar: site B's pool and its tapes only.
    const calendar = (
      await asB<{ pools: { id: number; tapes: { barcode: string }[] }[] }>("GET", "/api/v1/retention")
    ).body.pools;
    expect(calendar.map((p) => p.id)).toEqual([site.B.poolId]);
    expect(calendar.flatMap((p) => p.tapes.map((t) => t.barcode)).every((b) => b.startsWith("SB"))).toBe(
      true,
    );
  });

  let setA: number;

  it("runs each site's backup on that site's own agent", async () => {
    const queuedB = await asB<Run>("POST", `/api/v1/jobs/${site.B.jobId}/run`);
    expect(queuedB.status, JSON.stringify(queuedB.body)).toBe(202);
    const runB = (
      await hub.api<Run>("GET", `/api/v1/runs/${(await e2e.runFinished(hub, queuedB.body.id)).id}`)
    ).body;
    expect(runB.state, runB.error ?? "").toBe("completed");
    expect(runB.agentId).toBe(site.B.agentId);
    const runA = (await hub.api<Run>("GET", `/api/v1/runs/${(await e2e.runJobToEnd(hub, site.A.jobId)).id}`))
      .body;
    expect(runA.state, runA.error ?? "").toBe("completed");
    expect(runA.agentId).toBe(site.A.agentId);
    setA = runA.setId as number;
    // The run of site A is not among site B's runs.
    const runsOfB = (await asB<{ items: { id: number }[] }>("GET", "/api/v1/runs")).body.items.map(
      (r) => r.id,
    );
    expect(runsOfB).toContain(runB.id);
    expect(runsOfB).not.toContain(runA.id);
    // The catalog's search finds site B's files for site B's operator, never site A's.
    const found = async (as: typeof asB) =>
      (await as<{ items: { name: string }[] }>("GET", "/api/v1/catalog/search?q=only-at-")).body.items
        .map((e) => e.name)
        .sort();
    expect(await found(asB)).toEqual(["only-at-B.txt"]);
    expect(await found((method, path) => hub.api(method, path))).toEqual(["only-at-A.txt", "only-at-B.txt"]);
  }, 240_000);

  it("restores at site B a set written at site A once its tape was carried there", async () => {
    const set = (await hub.api<{ segments: { barcode: string }[] }>("GET", `/api/v1/sets/${setA}`)).body;
    const barcode = set.segments[0]?.barcode as string;
    let tape = (await tapes()).find((t) => t.barcode === barcode) as Tape;
    // While the tape is at site A, site B may not restore the set.
    const early = await asB("POST", "/api/v1/restores", { setId: setA, destination: join(root, "early") });
    expect(early.status, JSON.stringify(early.body)).toBe(403);

    if (tape.driveId !== null) {
      expect((await hub.api("POST", `/api/v1/tapes/${tape.id}/eject`)).status).toBe(202);
      await vi.waitFor(async () => {
        const lib = await readLibrary(site.A.lib);
        if (lib.drives.some((d) => d.barcode === barcode)) throw new Error("still in the drive");
      }, WAIT);
      await vi.waitFor(async () => {
        tape = (await hub.api<Tape>("GET", `/api/v1/tapes/${tape.id}`)).body;
        if (tape.driveId !== null) throw new Error("the hub still has it in the drive");
      }, WAIT);
    }
    // The operator records the move; the courier carries the cartridge to site B's mail slot.
    const moved = await hub.api<{ moved: { barcode: string }[] }>("POST", `/api/v1/tapes/${tape.id}/move`, {
      toSiteId: site.B.id,
      note: "offsite rotation",
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.moved.map((t) => t.barcode)).toEqual([barcode]);
    const libA = await readLibrary(site.A.lib);
    const from = libA.slots.find((s) => s.barcode === barcode)?.slot as number;
    const mailA = libA.slots.find((s) => s.importExport)?.slot as number;
    await transferCartridge({ dir: site.A.lib, from, to: mailA });
    await removeCartridge({ dir: site.A.lib, slot: mailA });
    await cp(libraryPaths(site.A.lib).cartridge(barcode), libraryPaths(site.B.lib).cartridge(barcode), {
      recursive: true,
    });
    await insertCartridge({ dir: site.B.lib, barcode });
    // Site B's operator imports it into a storage slot of their library.
    const changers = (await asB<{ changers: { id: number; agent: string }[] }>("GET", "/api/v1/changers"))
      .body.changers;
    expect(changers.map((c) => c.agent)).toEqual(["host-B"]);
    const changerB = changers[0]?.id as number;
    const imported = await asB<{ orderId: string }>("POST", `/api/v1/changers/${changerB}/operations`, {
      op: "import",
    });
    expect(imported.status, JSON.stringify(imported.body)).toBe(202);
    await vi.waitFor(async () => {
      const lib = await readLibrary(site.B.lib);
      if (!lib.slots.some((s) => s.barcode === barcode && !s.importExport))
        throw new Error("not imported yet");
    }, WAIT);

    const plan = await asB<{
      tapes: { barcode: string; site: { id: number } | null; drive: { agentId: string } | null }[];
    }>("POST", "/api/v1/restores/plan", { setId: setA });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect(plan.body.tapes).toEqual([
      expect.objectContaining({
        barcode,
        site: expect.objectContaining({ id: site.B.id }),
        drive: expect.objectContaining({ agentId: site.B.agentId }),
      }),
    ]);
    const destination = join(root, "restored-at-b");
    const started = await asB<{ run: Run }>("POST", "/api/v1/restores", { setId: setA, destination });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    // Placed when a drive at B reaches the tape: at once, or at B's next poll when the import's
    // order still held its drive.
    const run = await e2e.runFinished(hub, started.body.run.id);
    expect(run.state, run.error ?? "").toBe("completed");
    expect((await hub.api<Run>("GET", `/api/v1/runs/${run.id}`)).body.agentId).toBe(site.B.agentId);
    const restored = (await readdir(destination, { recursive: true })).find((p) =>
      p.endsWith("only-at-A.txt"),
    );
    expect(restored, "the file of site A restored at site B").toBeDefined();
    expect(await readFile(join(destination, restored as string), "utf8")).toBe("written at site A\n");

    // The tape page shows where the tape is and how it got there.
    const page = await fetch(`${hub.url}/tapes/${tape.id}`, {
      headers: { authorization: `Bearer ${operatorB}` },
    });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain("Site B");
    expect(html).toMatch(/<td>Site A<\/td>\s*<td>Site B<\/td>\s*<td>admin<\/td>/);
  }, 240_000);
});
