import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { MAX_CATALOG_CHUNK_ENTRIES, MAX_REPORT_BYTES } from "../../contracts/agent-protocol.ts";
import { initLibrary } from "../../drive-agent/drives/vtl/library.ts";
import { type HubProcess, logLines, spawnAgent, startHubProcess } from "../helpers/agent-process.ts";
import * as e2e from "../helpers/e2e.ts";
import { startHubProxy } from "../helpers/hub-proxy.ts";
import { makeLongPathTree, type TreeFile } from "../helpers/long-path-tree.ts";
import type { Spawned } from "../helpers/process.ts";

/**
 * Issue 10's proof, with the real hub and drive-agent processes on a virtual library: what a
 * backup says it saved is in the catalog, entry for entry, through long paths, a hub outage with
 * an agent restart, a catalog that lost a row, and a report the hub refused.
 */

type Row = { dir: string; name: string; type: string; size: number; sha256: string | null };
type SetView = {
  state: string;
  catalogProblem: string | null;
  fileCount: number;
  segments: { barcode: string; catalogEntries: number | null; catalogChecked: boolean }[];
};
type OrderRecord = { orderId: string; runId: number | null; result: { state: string } | null };

describe("catalog integrity end to end: real hub and agent, the agent behind a loopback proxy", () => {
  let root: string;
  let lib: string;
  let stateDir: string;
  let hub: HubProcess;
  let proxy: Awaited<ReturnType<typeof startHubProxy>>;
  let agent: Spawned | undefined;
  let agentId: string;
  let poolId: number;
  let catalog: ReturnType<typeof createClient>;

  const setOf = async (setId: number) => (await hub.api<SetView>("GET", `/api/v1/sets/${setId}`)).body;
  const rowsOf = async (setId: number) =>
    (
      await catalog.execute({
        sql: "select dir, name, type, size, sha256 from catalog_entries where set_id = ?",
        args: [setId],
      })
    ).rows as unknown as Row[];
  const pathOf = (r: Row) => (r.dir ? `${r.dir}/${r.name}` : r.name);
  /** Tar's member name for a file of a source: its absolute path without the leading slash. */
  const memberOf = (src: string, file: TreeFile) => `${src.slice(1)}/${file.path}`;

  /** Every file of the tree is in the set's catalog once, with its size and sha256. */
  async function expectEveryFile(setId: number, src: string, files: TreeFile[]) {
    const rows = (await rowsOf(setId)).filter((r) => r.type === "file");
    expect(rows.length).toBe(files.length);
    const byPath = new Map(rows.map((r) => [pathOf(r), r]));
    expect(byPath.size).toBe(files.length);
    for (const file of files) {
      const row = byPath.get(memberOf(src, file));
      expect(row, file.path).toBeDefined();
      expect(row?.size, file.path).toBe(file.size);
      expect(row?.sha256, file.path).toBe(file.sha256);
    }
  }

  async function jobFor(name: string, src: string): Promise<number> {
    const sourceId = await e2e.createLocalSource(hub, name, src, agentId);
    return e2e.createJob(hub, { name, sourceId, poolId, compression: "zstd" });
  }

  async function startRun(jobId: number): Promise<number> {
    const queued = await hub.api<{ id: number }>("POST", `/api/v1/jobs/${jobId}/run`);
    expect(queued.status).toBe(202);
    return queued.body.id;
  }

  async function rebuildToEnd(setId: number) {
    const started = await hub.api<{ runs: { id: number }[]; tapes: string[] }>(
      "POST",
      `/api/v1/sets/${setId}/rebuild-catalog`,
      {},
    );
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body.runs.length).toBe(started.body.tapes.length);
    const words: string[] = [];
    for (const run of started.body.runs) {
      const done = await e2e.runFinished(hub, run.id);
      expect(done.state, done.error ?? "").toBe("completed");
      const logs = await hub.api<{ items: { message: string }[] }>("GET", `/api/v1/runs/${run.id}/logs`);
      words.push(...logs.body.items.map((l) => l.message));
    }
    return words;
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-integrity-"));
    lib = join(root, "vtl");
    stateDir = join(root, "agent");
    await initLibrary({ dir: lib, drives: 1, slots: 4, cartridges: 2, capacityBytes: 2 * 1024 ** 3 });
    hub = await startHubProcess();
    proxy = await startHubProxy(hub.url);
    const created = await hub.api<{ agent: { id: string }; enrollmentToken: string }>(
      "POST",
      "/api/v1/agents",
      { name: "integrity-host" },
    );
    agentId = created.body.agent.id;
    agent = await e2e.enrollAndStartVtlAgent({
      hubUrl: proxy.url,
      token: created.body.enrollmentToken,
      stateDir,
      lib,
    });
    catalog = createClient({ url: `file:${join(hub.dir, "tapebackarr.db")}` });
    ({ poolId } = await e2e.labelEveryTape(hub, "Integrity"));
  }, 120_000);

  afterAll(() => e2e.tearDown(root, catalog, agent, proxy, hub));

  it("backs up 60,000 files with kilobyte-long UTF-8 paths: chunks cut by bytes, every file in the catalog with its size and sha256", async () => {
    const src = join(root, "long");
    const files = await makeLongPathTree(src, 60_000);
    // Cut by count alone, 5,000 of these entries would not fit in one request the hub accepts.
    const countCut = files
      .slice(0, MAX_CATALOG_CHUNK_ENTRIES)
      .reduce(
        (bytes, f) =>
          bytes +
          Buffer.byteLength(
            JSON.stringify([
              memberOf(src, f),
              "file",
              f.size,
              0o644,
              0,
              0,
              0,
              null,
              f.sha256,
              0,
              0,
              0,
              false,
            ]),
          ),
        0,
      );
    expect(countCut).toBeGreaterThan(MAX_REPORT_BYTES);

    const run = await e2e.runJobToEnd(hub, await jobFor("Long paths", src), {
      timeout: 280_000,
      interval: 500,
    });
    expect(run.state, run.error ?? "").toBe("completed");
    const setId = run.setId as number;
    expect(await setOf(setId)).toMatchObject({ state: "complete", catalogProblem: null });
    await expectEveryFile(setId, src, files);
    const entries = (await rowsOf(setId)).length;
    const chunks = Number(
      (
        await catalog.execute({
          sql: "select count(*) as n from catalog_chunks where set_id = ?",
          args: [setId],
        })
      ).rows[0]?.n,
    );
    expect(chunks).toBeGreaterThan(Math.ceil(entries / MAX_CATALOG_CHUNK_ENTRIES));
    const set = await setOf(setId);
    expect(set.segments.every((s) => s.catalogChecked)).toBe(true);
    expect(set.segments.reduce((n, s) => n + (s.catalogEntries ?? 0), 0)).toBe(entries);
    expect(logLines(agent as Spawned).filter((l) => String(l.msg).includes("refused"))).toEqual([]);
  }, 300_000);

  it("loses nothing when the hub is unreachable for the whole backup and the agent is restarted meanwhile", async () => {
    const src = join(root, "outage");
    const files = await makeLongPathTree(src, 12_000);
    const jobId = await jobFor("Outage", src);
    // The agent takes the order, then the hub is gone: no catalog chunk, segment or log line gets through.
    proxy.downAfter(/^\/agent\/v1\/orders\/[^/]+\/ack$/);
    const runId = await startRun(jobId);

    // The agent writes the whole set to tape anyway; its result waits on disk behind its reports.
    const record = await vi.waitFor(
      async () => {
        const dir = join(stateDir, "orders");
        for (const name of await readdir(dir)) {
          const r = JSON.parse(await readFile(join(dir, name), "utf8")) as OrderRecord;
          if (r.runId === runId && r.result) return r;
        }
        throw new Error(`run ${runId} has no result on the agent's disk yet`);
      },
      { timeout: 180_000, interval: 250 },
    );
    expect(proxy.isUp()).toBe(false);
    expect(record.result?.state).toBe("completed");
    const outbox = join(stateDir, "outbox", record.orderId);
    const spooled = await readdir(outbox);
    expect(spooled.length).toBeGreaterThanOrEqual(3); // catalog chunks, the segment, log lines

    // The agent is stopped (its grace period passes with the hub still away) and the hub restarts.
    await agent?.stop();
    expect(await readdir(outbox)).toEqual(spooled);
    await hub.restart();
    expect((await hub.api<e2e.E2eRun>("GET", `/api/v1/runs/${runId}`)).body.finishedAt).toBeNull();

    await proxy.up();
    agent = spawnAgent(stateDir);
    const run = await e2e.runFinished(hub, runId);
    expect(run.state, run.error ?? "").toBe("completed");
    const setId = run.setId as number;
    expect(await setOf(setId)).toMatchObject({ state: "complete", catalogProblem: null });
    await expectEveryFile(setId, src, files);
    await vi.waitFor(async () =>
      expect(await readdir(join(stateDir, "outbox"))).not.toContain(record.orderId),
    );
  }, 300_000);

  it("does not call a set complete when an entry vanished from the catalog before the backup closed, and a rebuild from the tape brings it back", async () => {
    const src = join(root, "short");
    const files = await makeLongPathTree(src, 2_000);
    let removed: Row | null = null;
    proxy.setRule(async (req) => {
      const result = /^\/agent\/v1\/orders\/([^/]+)\/result$/.exec(req.path);
      if (!result || removed) return null;
      // Between the last catalog chunk and the result, one file's row is lost from the catalog.
      const gone = await catalog.execute({
        sql: `delete from catalog_entries where id = (select max(e.id) from catalog_entries e
                join job_runs r on r.set_id = e.set_id join work_orders o on o.run_id = r.id
                where o.id = ? and o.kind = 'backup' and e.type = 'file')
              returning dir, name, type, size, sha256`,
        args: [result[1] as string],
      });
      removed = (gone.rows[0] as unknown as Row | undefined) ?? null;
      return null;
    });
    const run = await e2e.runJobToEnd(hub, await jobFor("Short", src));
    proxy.setRule(null);
    expect(removed).not.toBeNull();
    const setId = run.setId as number;
    const set = await setOf(setId);
    const barcode = set.segments[0]?.barcode as string;
    expect(run.state).toBe("failed");
    expect(run.error).toContain(`catalog short by 1 entry on tape ${barcode}`);
    expect(set.state).toBe("incomplete");
    expect(set.catalogProblem).toContain("Rebuild catalog");
    const attention = await fetch(`${hub.url}/partials/attention`, {
      headers: { authorization: `Bearer ${hub.admin}` },
    });
    expect(await attention.text()).toContain(`Set ${setId} of Short is incomplete: catalog short by 1 entry`);

    const words = await rebuildToEnd(setId);
    expect(await setOf(setId), words.join("\n")).toMatchObject({ state: "complete", catalogProblem: null });
    await expectEveryFile(setId, src, files);
  }, 300_000);

  it("fails the run with the hub's words when the hub refuses a catalog chunk for good, leaves the set incomplete, and a rebuild completes it", async () => {
    const src = join(root, "refused");
    const files = await makeLongPathTree(src, 12_000);
    const refusal = "The catalog chunk was refused by a test";
    proxy.setRule(async (req) => {
      if (!/^\/agent\/v1\/orders\/[^/]+\/catalog$/.test(req.path)) return null;
      if ((JSON.parse(req.body) as { seq: number }).seq !== 1) return null;
      return {
        status: 422,
        json: { error: { code: "validation_failed", message: refusal, requestId: "t" } },
      };
    });
    const run = await e2e.runJobToEnd(hub, await jobFor("Refused", src));
    proxy.setRule(null);
    expect(run.state).toBe("failed");
    expect(run.error).toContain("the hub refused catalog chunk 1");
    expect(run.error).toContain(refusal);
    const setId = run.setId as number;
    const set = await setOf(setId);
    expect(set.state).toBe("incomplete");
    expect(set.catalogProblem).toMatch(/catalog short by [\d,]+ entries on tape/);
    const logs = (
      await hub.api<{ items: { level: string; message: string }[] }>(
        "GET",
        `/api/v1/runs/${run.id}/logs?limit=500`,
      )
    ).body.items;
    expect(logs.some((l) => l.level === "error" && l.message.includes(refusal))).toBe(true);

    await rebuildToEnd(setId);
    expect(await setOf(setId)).toMatchObject({ state: "complete", catalogProblem: null });
    await expectEveryFile(setId, src, files);
  }, 300_000);
});
