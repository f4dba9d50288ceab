import { mkdtemp, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initLibrary, readLibrary } from "../../../drive-agent/drives/vtl/library.ts";
import { agentCli, type HubProcess, spawnAgent, startHubProcess } from "../../helpers/agent-process.ts";
import { tearDown } from "../../helpers/e2e.ts";
import { ROOT, type Spawned } from "../../helpers/process.ts";

const STAND_IN_AGENT = join(ROOT, "test/helpers/stand-in-backup-agent.ts");

type Tape = { id: number; barcode: string; state: string; label: string | null; poolId: number | null };
type Run = { id: number; state: string; error: string | null };

/** The real hub process and real agent processes over loopback, on a virtual library. */
describe("a drive-agent enrolled with the real hub", () => {
  let root: string;
  let lib: string;
  let stateDir: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;
  let agentId: string;
  let poolId: number;

  const tapeNamed = async (barcode: string) =>
    (await hub.api<{ items: Tape[] }>("GET", `/api/v1/tapes?barcode=${barcode}`)).body.items[0] as Tape;
  const delivered = (a: Spawned, orderId: string) =>
    a.waitFor(new RegExp(`"orderId":"${orderId}"[^\\n]*"msg":"result delivered"`));

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-agent-hub-"));
    lib = join(root, "vtl");
    stateDir = join(root, "state");
    await initLibrary({ dir: lib, drives: 2, slots: 4, cartridges: 3, capacityBytes: 16 << 20 });
    hub = await startHubProcess();
  });

  afterAll(() => tearDown(root, agent, hub));

  it("enrolls with a one-time token and keeps its keys in 0600 files of a 0700 directory", async () => {
    const created = await hub.api<{ agent: { id: string }; enrollmentToken: string }>(
      "POST",
      "/api/v1/agents",
      {
        name: "tapehost",
        site: "Main",
      },
    );
    expect(created.status).toBe(201);
    agentId = created.body.agent.id;
    const token = created.body.enrollmentToken;
    const enrolled = await agentCli(
      "enroll",
      "--hub",
      hub.url,
      "--token",
      token,
      "--state-dir",
      stateDir,
      "--vtl",
      lib,
    );
    expect(enrolled.exitCode, enrolled.stderr).toBe(0);
    expect(enrolled.stdout).toContain(`Enrolled as agent ${agentId}`);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    for (const file of ["signing-key.jwk", "encryption-key.jwk", "config.json"])
      expect((await stat(join(stateDir, file))).mode & 0o777).toBe(0o600);

    const seen = await hub.api<{ state: string; drives: { devicePath: string }[] }>(
      "GET",
      `/api/v1/agents/${agentId}`,
    );
    expect(seen.body.state).toBe("online");
    expect(seen.body.drives.map((d) => d.devicePath).sort()).toEqual([`vtl:${lib}#0`, `vtl:${lib}#1`]);
    expect(await tapeNamed("TB0001L9")).toMatchObject({ state: "blank" });

    const again = await agentCli(
      "enroll",
      "--hub",
      hub.url,
      "--token",
      token,
      "--state-dir",
      join(root, "s2"),
      "--vtl",
      lib,
    );
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain("the hub refused the enrollment token");
  });

  it("says plainly when the hub cannot be reached, with the retry exit code", async () => {
    const closed = "http://127.0.0.1:9"; // discard port: nothing listens on loopback
    const result = await agentCli(
      "enroll",
      "--hub",
      closed,
      "--token",
      "x".repeat(32),
      "--state-dir",
      join(root, "s3"),
      "--vtl",
      lib,
    );
    expect(result.exitCode).toBe(75);
    expect(result.stderr).toContain(`cannot reach the hub at ${closed}`);
  });

  it("labels a tape of the library when the hub asks, and the hub marks the tape active", async () => {
    agent = spawnAgent(stateDir);
    await agent.waitFor(/"msg":"agent started"/);
    poolId = (await hub.api<{ id: number }>("POST", "/api/v1/pools", { name: "Default" })).body.id;
    const tape = await tapeNamed("TB0001L9");
    const asked = await hub.api<{ orderId: string }>("POST", `/api/v1/tapes/${tape.id}/label`, { poolId });
    expect(asked.status).toBe(202);
    await delivered(agent, asked.body.orderId);

    expect(await tapeNamed("TB0001L9")).toMatchObject({ state: "active", label: "TB0001L9", poolId });
    const library = await readLibrary(lib);
    const drive = library.drives.find((d) => d.barcode === "TB0001L9");
    expect(drive).toBeDefined();
    const read = await agentCli("read-label", lib, "--drive", String(drive?.index), "--json");
    expect(read.exitCode, read.stderr).toBe(0);
    expect(JSON.parse(read.stdout)).toMatchObject({
      kind: "labelled",
      label: { label: "TB0001L9", pool: "Default" },
    });
  });

  it("reports an order it held when it was killed with SIGKILL as interrupted when it starts again", async () => {
    await agent?.stop();
    // The real runtime with a backup stand-in that runs until stopped (the pipeline is not under test).
    agent = spawnAgent(stateDir, {}, STAND_IN_AGENT);
    await agent.waitFor(/"msg":"agent started"/);
    const source = await hub.api<{ id: number }>("POST", "/api/v1/sources", {
      name: "Share",
      kind: "local",
      paths: [root],
      agentId,
    });
    const job = await hub.api<{ id: number }>("POST", "/api/v1/jobs", {
      name: "Nightly",
      sourceId: source.body.id,
      poolId,
    });
    const run = (await hub.api<Run>("POST", `/api/v1/jobs/${job.body.id}/run`)).body;
    await agent.waitFor(/"msg":"stand-in backup running"/);
    expect((await hub.api<Run>("GET", `/api/v1/runs/${run.id}`)).body.state).toBe("running");

    agent.child.kill("SIGKILL");
    await agent.stop();
    expect(await readdir(join(stateDir, "orders"))).toHaveLength(1);

    agent = spawnAgent(stateDir);
    await agent.waitFor(/"msg":"reporting an order left by a previous run"/);
    await agent.waitFor(/"stage":"report","state":"interrupted","msg":"result delivered"/);
    expect((await hub.api<Run>("GET", `/api/v1/runs/${run.id}`)).body).toMatchObject({
      state: "interrupted",
    });
    expect(await readdir(join(stateDir, "orders"))).toEqual([]);
  });

  it("stops a running order cleanly on the first SIGTERM, reports it interrupted and exits 0", async () => {
    await agent?.stop();
    agent = spawnAgent(stateDir, {}, STAND_IN_AGENT);
    await agent.waitFor(/"msg":"agent started"/);
    const jobs = await hub.api<{ items: { id: number }[] }>("GET", "/api/v1/jobs");
    const run = (await hub.api<Run>("POST", `/api/v1/jobs/${jobs.body.items[0]?.id}/run`)).body;
    await agent.waitFor(/"msg":"stand-in backup running"/);

    expect(await agent.stop()).toBe(0);
    expect(agent.stdout()).toContain("stand-in backup stopped cleanly");
    expect((await hub.api<Run>("GET", `/api/v1/runs/${run.id}`)).body).toMatchObject({
      state: "interrupted",
    });
    expect(await readdir(join(stateDir, "orders"))).toEqual([]);
    agent = undefined;
  });
});
