import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { initLibrary, libraryPaths, readLibrary } from "../../drive-agent/drives/vtl/library.ts";
import type { HubProcess } from "../helpers/agent-process.ts";
import * as e2e from "../helpers/e2e.ts";
import type { Spawned } from "../helpers/process.ts";

/**
 * Issue 17 item 6's "the hub can ask an agent to rescan", through the real hub and the real agent
 * on a virtual library whose drives change under the agent: a new drive appears, a vanished one
 * is kept and marked missing, and the operator hears of both.
 */

type Drive = { id: number; devicePath: string; state: string; alerts: string[] | null };

describe("drive rescan from the hub: real hub, real drive-agent, a library whose drives change", () => {
  let root: string;
  let lib: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;
  let agentId: string;

  const drives = async () =>
    (await hub.api<{ items: Drive[] }>("GET", "/api/v1/drives?limit=100")).body.items.sort((a, b) =>
      a.devicePath.localeCompare(b.devicePath),
    );
  const rescan = async () => {
    const res = await hub.api<{ orderId: string }>("POST", `/api/v1/agents/${agentId}/rescan`);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.orderId;
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-rescan-e2e-"));
    lib = join(root, "vtl");
    await initLibrary({ dir: lib, drives: 2, slots: 2, capacityBytes: 64 << 20 });
    ({ hub, agent, agentId } = await e2e.startHubWithVtlAgent({
      name: "changing-host",
      stateDir: join(root, "agent"),
      lib,
      env: { TAPEBACKARR_AGENT_HEARTBEAT_MS: "300" },
    }));
    await vi.waitFor(async () => expect(await drives()).toHaveLength(2), { timeout: 30_000, interval: 150 });
  }, 120_000);

  afterAll(() => e2e.tearDown(root, agent, hub));

  it("adds a drive the library gained and keeps the one it lost, marked missing, with an event naming both", async () => {
    // The library loses drive 1 and gains drive 2, as a host does when a drive is swapped.
    const library = await readLibrary(lib);
    library.drives = [
      library.drives[0] as (typeof library.drives)[number],
      { index: 2, barcode: null, sourceSlot: null },
    ];
    await mkdir(libraryPaths(lib).driveDir(2), { recursive: true });
    await writeFile(libraryPaths(lib).library, JSON.stringify(library));
    const [drive0, drive1] = await drives();
    await rescan();
    await vi.waitFor(
      async () => {
        const now = await drives();
        expect(now.map((d) => d.devicePath)).toEqual([`vtl:${lib}#0`, `vtl:${lib}#1`, `vtl:${lib}#2`]);
        expect(now[1]).toMatchObject({
          id: drive1?.id,
          state: "offline",
          alerts: [expect.stringMatching(/^missing/)],
        });
        expect(now[2]?.state).toBe("idle");
      },
      { timeout: 60_000, interval: 200 },
    );
    expect((await drives())[0]).toMatchObject({ id: drive0?.id, state: "idle" });
    const events = (await hub.api<{ kind: string; message: string }[]>("GET", "/api/v1/events?limit=100"))
      .body;
    expect(events).toContainEqual(
      expect.objectContaining({
        kind: "agent.drives",
        message: expect.stringContaining(
          `Rescan of changing-host found 2 drive(s) (new: vtl:${lib}#2; missing: vtl:${lib}#1) A missing drive is kept with its history`,
        ),
      }),
    );
    // What was found survives a restart of the agent: it is in the agent's config now.
    const config = JSON.parse(await readFile(join(root, "agent", "config.json"), "utf8"));
    expect(config.drives.map((d: { index: number }) => d.index)).toEqual([0, 2]);
  }, 90_000);

  it("brings a missing drive back when a later rescan finds it again, and shows the rescan button and the mark on the agents page", async () => {
    const library = await readLibrary(lib);
    library.drives.push({ index: 1, barcode: null, sourceSlot: null });
    await writeFile(libraryPaths(lib).library, JSON.stringify(library));
    await rescan();
    await vi.waitFor(
      async () => {
        const now = await drives();
        expect(now.map((d) => d.state)).toEqual(["idle", "idle", "idle"]);
        expect(now[1]?.alerts ?? []).toEqual([]);
      },
      { timeout: 60_000, interval: 200 },
    );
    const res = await fetch(`${hub.url}/agents`, { headers: { authorization: `Bearer ${hub.admin}` } });
    expect(await res.text()).toContain(`hx-post="/agents/${agentId}/rescan"`);
  }, 90_000);
});
