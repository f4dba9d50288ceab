import { rm } from "node:fs/promises";
import { expect, vi } from "vitest";
import { listChildProcesses } from "../drive-agent/helpers/child-processes.ts";
import { agentCli, type HubHandle, type HubProcess, spawnAgent, startHubProcess } from "./agent-process.ts";
import type { Spawned } from "./process.ts";

/** A run as GET /api/v1/runs/:id shows it, the fields the end-to-end tests read. */
export type E2eRun = {
  id: number;
  state: string;
  setId: number | null;
  finishedAt: string | null;
  bytesDone: number;
  error: string | null;
};

/**
 * `drive-agent enroll` with `token` against the hub at `hubUrl` on the virtual library `lib`, then
 * `drive-agent run` until it says it started. The enrollment must succeed.
 */
export async function enrollAndStartVtlAgent(opts: {
  hubUrl: string;
  token: string;
  stateDir: string;
  lib: string;
  force?: boolean;
  /** A test build of the agent (e.g. test/helpers/paced-drive-agent.ts) and its environment. */
  entry?: string;
  env?: Record<string, string>;
}): Promise<Spawned> {
  const enrolled = await agentCli(
    "enroll",
    "--hub",
    opts.hubUrl,
    // "=": the token is never read as an option, whatever it starts with.
    `--token=${opts.token}`,
    "--state-dir",
    opts.stateDir,
    "--vtl",
    opts.lib,
    ...(opts.force ? ["--force"] : []),
  );
  expect(enrolled.exitCode, enrolled.stderr).toBe(0);
  const agent = spawnAgent(opts.stateDir, opts.env, opts.entry);
  try {
    await agent.waitFor(/"msg":"agent started"/);
  } catch (e) {
    await agent.stop();
    throw e;
  }
  return agent;
}

/** Creates the agent `name` on a real hub (Node or workerd), then enrolls and starts a real drive-agent as it. */
export async function enrollRealAgent(
  hub: HubHandle,
  {
    name,
    ...vtl
  }: {
    name: string;
    stateDir: string;
    lib: string;
    force?: boolean;
    entry?: string;
    env?: Record<string, string>;
  },
): Promise<{ agentId: string; agent: Spawned }> {
  const created = await hub.api<{ agent: { id: string }; enrollmentToken: string }>(
    "POST",
    "/api/v1/agents",
    { name },
  );
  const agent = await enrollAndStartVtlAgent({
    hubUrl: hub.url,
    token: created.body.enrollmentToken,
    ...vtl,
  });
  return { agentId: created.body.agent.id, agent };
}

/**
 * The real hub process, and a real drive-agent process enrolled with it as `name` on the virtual
 * library `lib` and started (the hub is stopped again when that fails).
 */
export async function startHubWithVtlAgent(opts: {
  name: string;
  stateDir: string;
  lib: string;
  entry?: string;
  env?: Record<string, string>;
}): Promise<{ hub: HubProcess; agent: Spawned; agentId: string }> {
  const hub = await startHubProcess();
  try {
    return { hub, ...(await enrollRealAgent(hub, opts)) };
  } catch (e) {
    await hub.stop();
    throw e;
  }
}

/** The run once it has finished, polled through the API. */
export function runFinished(
  hub: HubHandle,
  runId: number,
  wait: { timeout: number; interval: number } = { timeout: 240_000, interval: 250 },
): Promise<E2eRun> {
  return vi.waitFor(async () => {
    const run = (await hub.api<E2eRun & { operatorMessage?: string | null }>("GET", `/api/v1/runs/${runId}`))
      .body;
    // A run that never finishes says why it waits (e.g. "Waiting for TB0001L9: …").
    if (!run.finishedAt)
      throw new Error(`run ${runId} is ${run.state}${run.operatorMessage ? `: ${run.operatorMessage}` : ""}`);
    return run;
  }, wait);
}

/** A local source of `path` backed up by the agent, made through the API; its id. */
export async function createLocalSource(
  hub: HubHandle,
  name: string,
  path: string,
  agentId: string | undefined,
): Promise<number> {
  return (
    await hub.api<{ id: number }>("POST", "/api/v1/sources", { name, kind: "local", paths: [path], agentId })
  ).body.id;
}

/** A job with `fields` (name, sourceId, poolId, ...), made through the API; its id. */
export async function createJob(hub: HubHandle, fields: Record<string, unknown>): Promise<number> {
  return (await hub.api<{ id: number }>("POST", "/api/v1/jobs", fields)).body.id;
}

/** Runs the job now and returns its run once finished; the hub must accept the run (202). */
export async function runJobToEnd(
  hub: HubHandle,
  jobId: number,
  wait?: { timeout: number; interval: number },
): Promise<E2eRun> {
  const queued = await hub.api<E2eRun>("POST", `/api/v1/jobs/${jobId}/run`);
  expect(queued.status, JSON.stringify(queued.body)).toBe(202);
  return runFinished(hub, queued.body.id, wait);
}

/** A new pool `poolName`, and every tape the hub knows labelled into it through the API, each until it is active. */
export async function labelEveryTape(
  hub: HubHandle,
  poolName: string,
): Promise<{ poolId: number; tapes: { id: number; barcode: string }[] }> {
  const poolId = (await hub.api<{ id: number }>("POST", "/api/v1/pools", { name: poolName })).body.id;
  const tapes = (await hub.api<{ items: { id: number; barcode: string }[] }>("GET", "/api/v1/tapes")).body
    .items;
  for (const tape of tapes) {
    expect((await hub.api("POST", `/api/v1/tapes/${tape.id}/label`, { poolId })).status).toBe(202);
    await vi.waitFor(
      async () => {
        const t = (await hub.api<{ state: string }>("GET", `/api/v1/tapes/${tape.id}`)).body;
        if (t.state !== "active") throw new Error(`${tape.barcode} is ${t.state}`);
      },
      { timeout: 60_000, interval: 200 },
    );
  }
  return { poolId, tapes };
}

type Started = { stop(): Promise<unknown> } | { close(): unknown };

/**
 * Stops or closes what a test started, in the order given, removes its temp dir, and proves no
 * child process (agent, hub, tar, ...) outlived it.
 */
export async function tearDown(root: string, ...started: (Started | undefined)[]): Promise<void> {
  for (const s of started) {
    if (!s) continue;
    await ("stop" in s ? s.stop() : s.close());
  }
  await rm(root, { recursive: true, force: true });
  expect(await listChildProcesses()).toEqual([]);
}

/** A catalog entry as the API shows it (GET /api/v1/catalog/search), the fields the tests read. */
export type E2eEntry = {
  id: number;
  dir: string;
  name: string;
  type: string;
  size: number;
  sha256: string | null;
  offset: number;
  segment: number;
  endSegment: number;
  deleted: boolean;
};

export const entryPath = (e: { dir: string; name: string }) => (e.dir ? `${e.dir}/${e.name}` : e.name);

/**
 * Every entry of a set, read through the API a page at a time (a name glob of `*` within the set),
 * so a test reads the catalog the same way on the Node hub and under workerd with D1.
 */
export async function catalogOf(hub: HubHandle, setId: number): Promise<E2eEntry[]> {
  const entries: E2eEntry[] = [];
  let cursor: number | null = null;
  do {
    const page: { status: number; body: { items: E2eEntry[]; nextCursor: number | null } } = await hub.api(
      "GET",
      `/api/v1/catalog/search?glob=*&setId=${setId}&limit=500${cursor === null ? "" : `&cursor=${cursor}`}`,
    );
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    entries.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor !== null);
  return entries;
}

/** Scans one cartridge in `driveId` through the API until its run completes; the run's log messages. */
export async function scanTape(hub: HubHandle, driveId: number, barcode: string): Promise<string[]> {
  const queued = await hub.api<E2eRun>("POST", `/api/v1/drives/${driveId}/scan`, { barcode });
  expect(queued.status, JSON.stringify(queued.body)).toBe(202);
  const run = await runFinished(hub, queued.body.id);
  expect(run.state, run.error ?? "").toBe("completed");
  const logs = await hub.api<{ items: { message: string }[] }>(
    "GET",
    `/api/v1/runs/${run.id}/logs?limit=500`,
  );
  return logs.body.items.map((l) => l.message);
}

/** The first drive of the hub once the (newly enrolled) agent has reported it and `tapes` cartridges. */
export function firstDriveOnceReported(hub: HubHandle, tapes: number): Promise<number> {
  return vi.waitFor(
    async () => {
      const drives = (await hub.api<{ items: { id: number }[] }>("GET", "/api/v1/drives")).body.items;
      const known = (await hub.api<{ items: unknown[] }>("GET", "/api/v1/tapes")).body.items;
      if (!drives[0] || known.length < tapes) throw new Error("the agent has not reported its library yet");
      return drives[0].id;
    },
    { timeout: 30_000, interval: 200 },
  );
}

/** A page of the hub as the admin (the API's bearer token signs pages in too); it must answer 200. */
export async function pageHtml(hub: HubHandle, path: string): Promise<string> {
  const token = (hub.api as typeof hub.api & { token: string }).token;
  const res = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const html = await res.text();
  expect(res.status, `${path}: ${html.slice(0, 400)}`).toBe(200);
  return html;
}
