import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initLibrary } from "../../drive-agent/drives/vtl/library.ts";
import type { HubProcess } from "../helpers/agent-process.ts";
import * as e2e from "../helpers/e2e.ts";
import { createEveryTypeTree, expectEveryType } from "../helpers/every-type-tree.ts";
import type { Spawned } from "../helpers/process.ts";

/** Issue 11: a tree of every type through the real hub and agent processes, backed up and restored. */
describe("restore end to end: every type that was backed up comes back", () => {
  let root: string;
  let src: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;
  let agentId: string;
  let poolId: number;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-restore-types-"));
    const lib = join(root, "vtl");
    src = await createEveryTypeTree(root);
    await initLibrary({ dir: lib, drives: 1, slots: 2, cartridges: 1, capacityBytes: 64 << 20 });
    ({ hub, agent, agentId } = await e2e.startHubWithVtlAgent({
      name: "types-host",
      stateDir: join(root, "agent"),
      lib,
    }));
    ({ poolId } = await e2e.labelEveryTape(hub, "Types"));
  }, 120_000);

  afterAll(() => e2e.tearDown(root, agent, hub));

  it("restores a 255-byte name, a newline in a name, a FIFO, a device node and a sparse file, and the run completes", async () => {
    const sourceId = await e2e.createLocalSource(hub, "Every type", src, agentId);
    const jobId = await e2e.createJob(hub, { name: "Every type", sourceId, poolId, compression: "zstd" });
    const backup = await e2e.runJobToEnd(hub, jobId);
    expect(backup.state, backup.error ?? "").toBe("completed");

    const destination = join(root, "restored");
    const started = await hub.api<{ run: e2e.E2eRun }>("POST", "/api/v1/restores", {
      setId: backup.setId,
      paths: [src.slice(1)],
      destination,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const restore = await e2e.runFinished(hub, started.body.run.id);
    expect(restore.state, restore.error ?? "").toBe("completed");
    await expectEveryType(join(destination, src.slice(1)));
  }, 120_000);
});
