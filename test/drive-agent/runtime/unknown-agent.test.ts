import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initLibrary } from "../../../drive-agent/drives/vtl/library.ts";
import { agentCli, type HubProcess, spawnAgent, startHubProcess } from "../../helpers/agent-process.ts";
import { tearDown } from "../../helpers/e2e.ts";
import type { Spawned } from "../../helpers/process.ts";

/** The real hub and agent processes: the hub lost its catalog, the agent still holds its enrolment. */
describe("an agent the hub no longer knows", () => {
  let root: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-unknown-agent-"));
    hub = await startHubProcess();
  });

  afterAll(() => tearDown(root, agent, hub));

  it("says which hub answers 401 and how to re-enrol, and keeps running until it is stopped", async () => {
    const lib = join(root, "vtl");
    const stateDir = join(root, "state");
    await initLibrary({ dir: lib, drives: 1, slots: 2, cartridges: 1, capacityBytes: 16 << 20 });
    const created = await hub.api<{ agent: { id: string }; enrollmentToken: string }>(
      "POST",
      "/api/v1/agents",
      {
        name: "tapehost",
        site: "Main",
      },
    );
    const agentId = created.body.agent.id;
    const enrolled = await agentCli(
      "enroll",
      "--hub",
      hub.url,
      "--token",
      created.body.enrollmentToken,
      "--state-dir",
      stateDir,
      "--vtl",
      lib,
    );
    expect(enrolled.exitCode, enrolled.stderr).toBe(0);

    await hub.restart({ loseCatalog: true });
    agent = spawnAgent(stateDir);
    const said = await agent.waitFor(/"level":50[^\n]*"stage":"auth"[^\n]*"msg":"([^"]+)"/);
    expect(said[1]).toBe(
      `the hub at ${hub.url} does not know agent ${agentId} (it answers 401: its catalog is new or was lost, ` +
        `or the agent was removed or disabled there). Re-enrol with a token (an admin creates one under Agents): ` +
        `drive-agent enroll --hub ${hub.url} --token TOKEN --state-dir ${stateDir} --force`,
    );
    expect(agent.stdout()).not.toContain("heartbeat failed");
    expect(await agent.stop()).toBe(0);
    agent = undefined;
  });
});
