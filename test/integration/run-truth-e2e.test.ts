import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initLibrary } from "../../drive-agent/drives/vtl/library.ts";
import type { HubProcess } from "../helpers/agent-process.ts";
import * as e2e from "../helpers/e2e.ts";
import type { Spawned } from "../helpers/process.ts";

type LogLine = { level: string; message: string; path: string | null; runId: number };
type Run = e2e.E2eRun & { bytesTotal: number | null; filesDone: number; filesTotal: number | null };

/**
 * Issue 10, part 4 with the real hub and drive-agent processes: a missing source fails with its
 * path named and nothing on tape; a healthy run's log says what it backed up, in real figures.
 */
describe("runs that tell the truth, end to end", () => {
  let root: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;
  let agentId: string;
  let poolId: number;

  const logsOf = async (jobId: number) =>
    (await hub.api<{ items: LogLine[] }>("GET", `/api/v1/job-logs?jobId=${jobId}&limit=100`)).body.items;
  const tapesUsed = async () =>
    (await hub.api<{ items: { barcode: string; usedBytes: number }[] }>("GET", "/api/v1/tapes")).body.items
      .map((t) => t.usedBytes)
      .reduce((a, b) => a + b, 0);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-truth-e2e-"));
    const lib = join(root, "vtl");
    await initLibrary({ dir: lib, drives: 1, slots: 2, cartridges: 1, capacityBytes: 64 << 20 });
    ({ hub, agent, agentId } = await e2e.startHubWithVtlAgent({
      name: "truth-host",
      stateDir: join(root, "agent"),
      lib,
    }));
    ({ poolId } = await e2e.labelEveryTape(hub, "Truth"));
  }, 120_000);

  afterAll(() => e2e.tearDown(root, agent, hub));

  it("fails a backup whose source path does not exist, naming the path in the run and its log, and writes nothing", async () => {
    const missing = join(root, "share not mounted");
    const sourceId = await e2e.createLocalSource(hub, "Missing", missing, agentId);
    const jobId = await e2e.createJob(hub, { name: "Missing share", sourceId, poolId, compression: "zstd" });
    const used = await tapesUsed();
    const run = await e2e.runJobToEnd(hub, jobId, { timeout: 60_000, interval: 200 });
    expect(run.state).toBe("failed");
    expect(run.error).toContain(`source path ${missing} does not exist on this agent's host`);
    expect(run.error).toContain("that the share is mounted");
    const logs = await logsOf(jobId);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: "error",
        path: missing,
        message: expect.stringContaining("does not exist"),
      }),
    );
    expect(await tapesUsed()).toBe(used);
    const set = await hub.api<{ state: string; fileCount: number }>("GET", `/api/v1/sets/${run.setId}`);
    expect(set.body.fileCount).toBe(0);
    expect(set.body.state).not.toBe("complete");
  }, 90_000);

  it("completes a healthy backup with the real totals and one log line saying what it backed up", async () => {
    const src = join(root, "src");
    await mkdir(join(src, "docs"), { recursive: true });
    const sizes = [1_500_000, 400_000, 100_000];
    for (const [i, size] of sizes.entries())
      await writeFile(join(src, "docs", `f-${i}.bin`), randomBytes(size));
    const bytes = sizes.reduce((a, b) => a + b, 0);
    const sourceId = await e2e.createLocalSource(hub, "Healthy", src, agentId);
    const jobId = await e2e.createJob(hub, { name: "Healthy share", sourceId, poolId, compression: "zstd" });
    const run = (await e2e.runJobToEnd(hub, jobId, { timeout: 60_000, interval: 200 })) as Run;
    expect(run.state, run.error ?? "").toBe("completed");
    // src, docs and three files: five members, and exactly the bytes of the three files.
    expect(run).toMatchObject({ bytesDone: bytes, bytesTotal: bytes, filesDone: 5, filesTotal: 5 });
    const lines = (await logsOf(jobId)).filter(
      (l) => l.level === "info" && l.message.startsWith("backed up "),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]?.runId).toBe(run.id);
    expect(lines[0]?.message).toMatch(
      /^backed up 5 files, 2\.0 MB \(2\.0 MB on tape, ratio 1\.00\) to TB\w+ in \d+ s at [\d.]+ [KMG]?B\/s$/,
    );
  }, 90_000);
});
