import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { initLibrary } from "../../drive-agent/drives/vtl/library.ts";
import type { HubProcess } from "../helpers/agent-process.ts";
import * as e2e from "../helpers/e2e.ts";
import type { Spawned } from "../helpers/process.ts";

/**
 * Issue 11, part 4: spanning on small cartridges with the library's default early warning, and a
 * run that runs out of tapes continuing onto one an operator labels while it waits, through the
 * real hub and drive-agent processes on a two-drive virtual library.
 */

type Tape = { id: number; barcode: string; state: string };
type Run = e2e.E2eRun & { operatorMessage: string | null };
type SetView = { state: string; segments: { sequence: number; barcode: string }[] };

const MiB = 1 << 20;
const SMALL_FILES = 200;

async function makeTree(root: string): Promise<{ src: string; members: number }> {
  const src = join(root, "src");
  await mkdir(join(src, "docs"), { recursive: true });
  // Random bytes do not compress: 90 MiB needs two 64 MiB cartridges.
  await writeFile(join(src, "big.bin"), randomBytes(90 * MiB));
  for (let i = 0; i < SMALL_FILES; i++) await writeFile(join(src, "docs", `n-${i}.txt`), `note ${i}\n`);
  return { src, members: SMALL_FILES + 3 };
}

describe("spanning through the real hub and agent on 64 MiB cartridges", () => {
  let root: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;
  let agentId: string;
  let catalog: ReturnType<typeof createClient>;
  let tree: { src: string; members: number };

  const api = <T>(method: string, path: string, json?: unknown) => hub.api<T>(method, path, json);
  const tapes = async () => (await api<{ items: Tape[] }>("GET", "/api/v1/tapes")).body.items;
  const labelled = (tape: Tape) =>
    vi.waitFor(
      async () => {
        const t = (await api<Tape>("GET", `/api/v1/tapes/${tape.id}`)).body;
        if (t.state !== "active") throw new Error(`${tape.barcode} is ${t.state}`);
      },
      { timeout: 60_000, interval: 200 },
    );
  const entryCount = async (setId: number) =>
    Number(
      (
        await catalog.execute({
          sql: "select count(*) as n from catalog_entries where set_id = ?",
          args: [setId],
        })
      ).rows[0]?.n,
    );

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-span-"));
    const lib = join(root, "vtl");
    tree = await makeTree(root);
    // The library's own early warning: no earlyWarningBytes given.
    await initLibrary({ dir: lib, drives: 2, slots: 6, cartridges: 4, capacityBytes: 64 * MiB });
    ({ hub, agent, agentId } = await e2e.startHubWithVtlAgent({
      name: "span-host",
      stateDir: join(root, "agent"),
      lib,
    }));
    catalog = createClient({ url: `file:${join(hub.dir, "tapebackarr.db")}` });
    await vi.waitFor(
      async () => {
        if ((await tapes()).length !== 4) throw new Error("the hub does not know the 4 cartridges yet");
      },
      { timeout: 30_000, interval: 200 },
    );
  }, 120_000);

  afterAll(() => e2e.tearDown(root, catalog, agent, hub));

  it("spans a backup onto the next 64 MiB cartridge with the library's default early warning", async () => {
    const poolId = (await api<{ id: number }>("POST", "/api/v1/pools", { name: "Small" })).body.id;
    const [first, second] = (await tapes()).slice(0, 2) as [Tape, Tape];
    for (const tape of [first, second]) {
      expect((await api("POST", `/api/v1/tapes/${tape.id}/label`, { poolId })).status).toBe(202);
      await labelled(tape);
    }
    const jobId = await e2e.createJob(hub, {
      name: "Span",
      sourceId: await e2e.createLocalSource(hub, "Tree", tree.src, agentId),
      poolId,
      compression: "none",
    });
    const run = await e2e.runJobToEnd(hub, jobId, { timeout: 180_000, interval: 250 });
    expect(run.state, run.error ?? "").toBe("completed");
    const set = (await api<SetView>("GET", `/api/v1/sets/${run.setId}`)).body;
    expect(set.state).toBe("complete");
    expect(set.segments.map((s) => s.barcode).sort()).toEqual([first.barcode, second.barcode].sort());
    expect(await entryCount(run.setId as number)).toBe(tree.members);
  }, 240_000);

  it("waits for a tape when the pool runs out, and goes on onto one the operator labels meanwhile on the other drive", async () => {
    const poolId = (await api<{ id: number }>("POST", "/api/v1/pools", { name: "Lean" })).body.id;
    const [only, spare] = (await tapes()).filter((t) => t.state === "blank") as [Tape, Tape];
    expect((await api("POST", `/api/v1/tapes/${only.id}/label`, { poolId })).status).toBe(202);
    await labelled(only);
    const jobId = await e2e.createJob(hub, {
      name: "Lean span",
      sourceId: await e2e.createLocalSource(hub, "Tree again", tree.src, agentId),
      poolId,
      compression: "none",
    });
    const queued = (await api<Run>("POST", `/api/v1/jobs/${jobId}/run`)).body;
    const waiting = await vi.waitFor(
      async () => {
        const run = (await api<Run>("GET", `/api/v1/runs/${queued.id}`)).body;
        if (run.finishedAt) throw new Error(`run ended ${run.state}: ${run.error}`);
        if (run.state !== "waiting-for-tape") throw new Error(`run is ${run.state}`);
        return run;
      },
      { timeout: 120_000, interval: 200 },
    );
    expect(waiting.operatorMessage).toMatch(/label a new tape into pool "Lean"/);
    // On the drive the waiting run holds, a label would only run after that run: refused, with words.
    const drives = (await api<{ items: { id: number; name: string }[] }>("GET", "/api/v1/drives")).body.items;
    const held = drives.find((d) => d.name === "Virtual drive 0");
    const refused = await api<{ error: { message: string } }>("POST", `/api/v1/tapes/${spare.id}/label`, {
      poolId,
      driveId: held?.id,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/waits for a tape: label on another drive/);

    const label = await api<{ drive: string }>("POST", `/api/v1/tapes/${spare.id}/label`, { poolId });
    expect(label.status, JSON.stringify(label.body)).toBe(202);
    expect(label.body.drive).toBe("Virtual drive 1");
    const run = await e2e.runFinished(hub, queued.id, { timeout: 180_000, interval: 250 });
    expect(run.state, run.error ?? "").toBe("completed");
    expect(run.id).toBe(queued.id);
    const set = (await api<SetView>("GET", `/api/v1/sets/${run.setId}`)).body;
    expect(set.state).toBe("complete");
    expect(set.segments.map((s) => s.barcode)).toEqual([only.barcode, spare.barcode]);
    expect(await entryCount(run.setId as number)).toBe(tree.members);
  }, 300_000);
});
