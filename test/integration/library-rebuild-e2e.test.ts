import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { initLibrary } from "../../drive-agent/drives/vtl/library.ts";
import { type HubProcess, spawnAgent, startHubProcess } from "../helpers/agent-process.ts";
import * as e2e from "../helpers/e2e.ts";
import type { Spawned } from "../helpers/process.ts";

/**
 * Issue 17's rebuild from a whole library: a hub that lost its catalog rebuilds every set of a
 * six-cartridge virtual library in one action, through the real agent, stopped once part-way and
 * resumed by asking again.
 */

type SetView = {
  id: number;
  uuid: string;
  state: string;
  segments: { sequence: number; barcode: string; fileNumber: number }[];
};
type Progress = {
  cartridges: { barcode: string; status: string }[];
  queued?: { barcode: string }[];
  incompleteSets: { uuid: string }[];
};

describe("rebuild the catalog from a whole library: real hub, real drive-agent, virtual library", () => {
  let root: string;
  let lib: string;
  let stateDir: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;
  const before = new Map<string, SetView>();

  const api = <T>(method: string, path: string, json?: unknown) => hub.api<T>(method, path, json);
  const WAIT = { timeout: 240_000, interval: 250 };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-library-rebuild-"));
    lib = join(root, "vtl");
    stateDir = join(root, "agent");
    const big = join(root, "big");
    const small = join(root, "small");
    await mkdir(big, { recursive: true });
    await mkdir(small, { recursive: true });
    for (let i = 0; i < 6; i++) await writeFile(join(big, `part-${i}.bin`), randomBytes(4 << 20));
    await writeFile(join(small, "notes.txt"), "notes\n".repeat(1000));
    // Six small cartridges: the big set spans most of them.
    await initLibrary({
      dir: lib,
      drives: 1,
      slots: 8,
      cartridges: 6,
      capacityBytes: 8 << 20,
      earlyWarningBytes: 2 << 20,
    });
    let agentId: string;
    ({ hub, agent, agentId } = await e2e.startHubWithVtlAgent({ name: "rebuild-host", stateDir, lib }));
    const { poolId } = await e2e.labelEveryTape(hub, "Vault");
    for (const [name, path] of [
      ["Big", big],
      ["Small", small],
    ] as const) {
      const sourceId = await e2e.createLocalSource(hub, name, path, agentId);
      const jobId = await e2e.createJob(hub, { name, sourceId, poolId, compression: "none" });
      const run = await e2e.runJobToEnd(hub, jobId);
      expect(run.state, run.error ?? "").toBe("completed");
      const set = (await api<SetView>("GET", `/api/v1/sets/${run.setId}`)).body;
      before.set(set.uuid, set);
    }
    const tapesUsed = new Set([...before.values()].flatMap((s) => s.segments.map((g) => g.barcode)));
    expect(tapesUsed.size).toBeGreaterThanOrEqual(4);
  }, 400_000);

  afterAll(() => e2e.tearDown(root, agent, hub));

  it("rebuilds every set in one action, stopped once part-way and resumed", async () => {
    // The hub loses its catalog; the agent enrolls with the new one.
    await agent?.stop();
    agent = undefined;
    await hub.process.stop();
    await unlink(join(hub.dir, "tapebackarr.db"));
    await hub.stop();
    hub = await startHubProcess();
    ({ agent } = await e2e.enrollRealAgent(hub, { name: "rebuild-host", stateDir, lib, force: true }));
    await e2e.firstDriveOnceReported(hub, 6);
    const changerId = (await api<{ changers: { id: number }[] }>("GET", "/api/v1/changers")).body.changers[0]
      ?.id as number;

    const started = await api<Progress>("POST", `/api/v1/changers/${changerId}/rebuild`);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body.queued?.map((q) => q.barcode).sort()).toEqual([
      "TB0001L9",
      "TB0002L9",
      "TB0003L9",
      "TB0004L9",
      "TB0005L9",
      "TB0006L9",
    ]);
    const progress = () => api<Progress>("GET", `/api/v1/changers/${changerId}/rebuild`);
    await vi.waitFor(async () => {
      const scanned = (await progress()).body.cartridges.filter((c) => c.status === "scanned");
      if (scanned.length < 1) throw new Error("no cartridge scanned yet");
    }, WAIT);

    // Interrupted: the agent stops (an operator reboots the tape host) with scans still to do.
    await agent?.stop();
    agent = undefined;
    const halfway = (await progress()).body;
    expect(halfway.cartridges.filter((c) => c.status === "scanned").length).toBeLessThan(6);

    agent = spawnAgent(stateDir);
    await agent.waitFor(/"msg":"agent started"/);
    // Asking again resumes: only cartridges with neither a finished nor a queued scan are queued.
    const resumed = await api<Progress>("POST", `/api/v1/changers/${changerId}/rebuild`);
    expect([202, 409]).toContain(resumed.status);
    if (resumed.status === 202)
      for (const q of resumed.body.queued ?? [])
        expect(halfway.cartridges.find((c) => c.barcode === q.barcode)?.status).not.toBe("scanned");

    const done = await vi.waitFor(async () => {
      const now = (await progress()).body;
      const left = now.cartridges.filter((c) => c.status !== "scanned");
      if (left.length > 0) {
        // An interrupted scan is to scan again: ask once more, as an operator would.
        if (left.some((c) => c.status === "to scan"))
          await api("POST", `/api/v1/changers/${changerId}/rebuild`);
        throw new Error(`still to scan: ${left.map((c) => `${c.barcode} ${c.status}`).join(", ")}`);
      }
      return now;
    }, WAIT);
    expect(done.incompleteSets).toEqual([]);

    const sets = (await api<{ items: SetView[] }>("GET", "/api/v1/sets")).body.items;
    expect(sets.map((s) => s.uuid).sort()).toEqual([...before.keys()].sort());
    for (const [uuid, was] of before) {
      const id = sets.find((s) => s.uuid === uuid)?.id;
      const set = (await api<SetView>("GET", `/api/v1/sets/${id}`)).body;
      expect(set.state, uuid).toBe("complete");
      expect(set.segments.map((s) => [s.sequence, s.barcode, s.fileNumber])).toEqual(
        was.segments.map((s) => [s.sequence, s.barcode, s.fileNumber]),
      );
    }
  }, 600_000);
});
