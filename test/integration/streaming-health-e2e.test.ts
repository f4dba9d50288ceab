import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StreamingHealth } from "../../contracts/agent-protocol.ts";
import { initLibrary } from "../../drive-agent/drives/vtl/library.ts";
import type { HubProcess } from "../helpers/agent-process.ts";
import * as e2e from "../helpers/e2e.ts";
import { ROOT, type Spawned } from "../helpers/process.ts";

/**
 * Issue 17 item 7 through the real hub and the real agent: a source slower than the drive's floor
 * makes the drive writer wait on an empty buffer, and the run says it shoe-shined, on its page and
 * in its log. The source is held to 2 MiB/s against a floor of 100 MB/s: however slow the machine,
 * the feed can only be slower, so the verdict does not depend on its speed; only counts are asserted.
 */

const PACED_AGENT = resolve(ROOT, "test/helpers/paced-drive-agent.ts");
const FLOOR = 100e6;

describe("streaming health end to end: a slow source shoe-shines the drive", () => {
  let root: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;
  let run: e2e.E2eRun & { streaming: StreamingHealth | null };

  const page = async (path: string) => {
    const res = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${hub.admin}` } });
    expect(res.status).toBe(200);
    return res.text();
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-streaming-e2e-"));
    const lib = join(root, "vtl");
    const src = join(root, "src");
    await mkdir(src, { recursive: true });
    for (let i = 0; i < 3; i++) await writeFile(join(src, `f-${i}.bin`), randomBytes(2 << 20));
    await initLibrary({ dir: lib, drives: 1, slots: 2, cartridges: 1, capacityBytes: 256 << 20 });
    let agentId: string;
    ({ hub, agent, agentId } = await e2e.startHubWithVtlAgent({
      name: "slow-source-host",
      stateDir: join(root, "agent"),
      lib,
      entry: PACED_AGENT,
      env: {
        TB_TEST_DRIVE_BYTES_PER_SEC: String(1 << 30),
        TB_TEST_DRIVE_MIN_BYTES_PER_SEC: String(FLOOR),
        TB_TEST_SOURCE_BYTES_PER_SEC: String(2 << 20),
      },
    }));
    await e2e.firstDriveOnceReported(hub, 1);
    const { poolId } = await e2e.labelEveryTape(hub, "Slow");
    const sourceId = await e2e.createLocalSource(hub, "Slow share", src, agentId);
    const jobId = await e2e.createJob(hub, { name: "Slow share", sourceId, poolId, compression: "none" });
    const done = await e2e.runJobToEnd(hub, jobId, { timeout: 120_000, interval: 200 });
    run = (await hub.api<typeof run>("GET", `/api/v1/runs/${done.id}`)).body;
  }, 240_000);

  afterAll(() => e2e.tearDown(root, agent, hub));

  it("records that the drive waited on an empty buffer, and a feed below the drive's floor", () => {
    expect(run.state, run.error ?? "").toBe("completed");
    const streaming = run.streaming as StreamingHealth;
    expect(streaming.waits).toBeGreaterThan(0);
    expect(streaming.minBytesPerSec).toBe(FLOOR);
    expect(streaming.feedBytesPerSec).toBeLessThan(FLOOR);
    expect(streaming.bytes).toBeGreaterThan(0);
  });

  it("says in the run's log that the drive shoe-shined and what would help", async () => {
    const logs = (
      await hub.api<{ items: { level: string; message: string }[] }>("GET", `/api/v1/runs/${run.id}/logs`)
    ).body.items;
    const line = logs.find((l) => l.message.includes("shoe-shined"));
    expect(line?.level).toBe("info");
    expect(line?.message).toContain(`stopped ${run.streaming?.waits} time`);
    expect(line?.message).toContain("a faster source");
    expect(line?.message).toContain("in parallel");
  });

  it("shows the shoe-shining and the advice on the run page", async () => {
    const html = await page(`/runs/${run.id}`);
    expect(html).toContain('data-shoe-shining="yes"');
    expect(html).toContain(`drive stopped for data ${run.streaming?.waits} times`);
    expect(html).toContain("What would help");
    expect(html).toContain("100.0 MB/s");
  });

  it("lists the run as shoe-shined among the drive's latest backups on the drive page", async () => {
    const drives = (await hub.api<{ items: { id: number }[] }>("GET", "/api/v1/drives")).body.items;
    const html = await page(`/drives/${drives[0]?.id}`);
    expect(html).toMatch(
      new RegExp(
        `<a href="/runs/${run.id}">#${run.id}</a>[\\s\\S]*?<td>${run.streaming?.waits}</td>[\\s\\S]*?shoe-shined`,
      ),
    );
  });
});
