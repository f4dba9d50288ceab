import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, unlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_REPORT_BYTES } from "../../contracts/agent-protocol.ts";
import { initLibrary } from "../../drive-agent/drives/vtl/library.ts";
import { MAX_JSON_VALUE_BYTES } from "../../functions/db/limits.ts";
import { escapeHtml } from "../../views/html.ts";
import * as e2e from "../helpers/e2e.ts";
import { makeLongPathTree, type TreeFile } from "../helpers/long-path-tree.ts";
import type { Spawned } from "../helpers/process.ts";
import { startWorkerdHub, type WorkerdHub } from "../helpers/wrangler.ts";

/**
 * Issue 12's proof: the same hub under workerd (`wrangler dev`, a local D1) carries a real
 * drive-agent process on a virtual library through enrolment, labelling, a full backup of a tree
 * of long names, an incremental, a restore, a verify, the cron trigger, and a scan of the tapes
 * into a fresh D1. The helpers and the assertions are the Node end-to-end tests'.
 */

const FILES = 5_000;
const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

type SetView = {
  id: number;
  uuid: string;
  state: string;
  backupType: string;
  verifyResult: string | null;
  segments: { sequence: number; barcode: string; catalogEntries: number | null }[];
};

describe("the hub under workerd carries a whole backup, restore, verify and scan", () => {
  let root: string;
  let lib: string;
  let src: string;
  let stateDir: string;
  let tree: TreeFile[];
  let hub: WorkerdHub;
  let agent: Spawned | undefined;
  let agentId: string;
  let poolId: number;
  /** What the first hub printed (requests, errors), kept when it stops. */
  const hubLog: string[] = [];
  /** The catalog of every set the first hub wrote, to compare the scanned one with. */
  const written = new Map<string, { set: SetView; entries: e2e.E2eEntry[] }>();

  const api = <T>(method: string, path: string, json?: unknown) => hub.api<T>(method, path, json);
  const wait = { timeout: 120_000, interval: 200 };
  const base = () => src.slice(1);

  async function remember(setId: number): Promise<SetView> {
    const set = (await api<SetView>("GET", `/api/v1/sets/${setId}`)).body;
    written.set(set.uuid, { set, entries: await e2e.catalogOf(hub, setId) });
    return set;
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-workerd-e2e-"));
    lib = join(root, "vtl");
    stateDir = join(root, "agent");
    src = join(root, "src");
    await mkdir(src);
    tree = await makeLongPathTree(src, FILES);
    await initLibrary({ dir: lib, drives: 1, slots: 4, cartridges: 2, capacityBytes: 64 << 20 });
    hub = await startWorkerdHub({ POLL_INTERVAL_MS: "100" });
    ({ agentId, agent } = await e2e.enrollRealAgent(hub, { name: "workerd-host", stateDir, lib }));
    const labelled = await e2e.labelEveryTape(hub, "Workerd");
    expect(labelled.tapes).toHaveLength(2);
    poolId = labelled.poolId;
  }, 180_000);

  afterAll(() => e2e.tearDown(root, agent, hub), 60_000);

  let jobId: number;
  let fullSetId: number;

  it("backs up a tree of 5,000 long names in chunks larger than one D1 value: every path catalogued, every sha256 right", async () => {
    // The chunks the agent sends are larger than D1 takes as one value: the hub must split them.
    const pathBytes = tree.reduce((n, f) => n + Buffer.byteLength(f.path) + base().length, 0);
    expect(Math.min(pathBytes, MAX_REPORT_BYTES)).toBeGreaterThan(MAX_JSON_VALUE_BYTES);

    const sourceId = await e2e.createLocalSource(hub, "Long names", src, agentId);
    jobId = await e2e.createJob(hub, {
      name: "Long names nightly",
      sourceId,
      poolId,
      backupType: "incremental",
      compression: "zstd",
    });
    const run = await e2e.runJobToEnd(hub, jobId, wait);
    expect(run.state, run.error ?? "").toBe("completed");
    fullSetId = run.setId as number;
    const set = await remember(fullSetId);
    expect(set).toMatchObject({ state: "complete", backupType: "full" });

    const entries = written.get(set.uuid)?.entries ?? [];
    const files = new Map(entries.filter((e) => e.type === "file").map((e) => [e2e.entryPath(e), e]));
    expect(new Set(files.keys())).toEqual(new Set(tree.map((f) => `${base()}/${f.path}`)));
    for (const f of tree) {
      const got = files.get(`${base()}/${f.path}`);
      expect(got?.sha256, f.path).toBe(f.sha256);
      expect(got?.size, f.path).toBe(f.size);
    }
    expect(entries.filter((e) => e.type === "dir").length).toBeGreaterThanOrEqual(FILES / 100);
  }, 180_000);

  const changed = () => [tree[7], tree[4_321]].map((f) => (f as TreeFile).path);
  const removed = () => (tree[99] as TreeFile).path;
  const added = () => `${(tree[0] as TreeFile).path.split("/").slice(0, -1).join("/")}/new-résumé.txt`;

  it("an incremental holds exactly the changed and new files, and records the deleted one", async () => {
    const later = new Date(Date.now() + 2_000);
    for (const p of changed()) {
      await writeFile(join(src, p), `changed ${p}\n`);
      await utimes(join(src, p), later, later);
    }
    await writeFile(join(src, added()), "added\n");
    await unlink(join(src, removed()));

    const run = await e2e.runJobToEnd(hub, jobId, wait);
    expect(run.state, run.error ?? "").toBe("completed");
    const set = await remember(run.setId as number);
    expect(set).toMatchObject({ state: "complete", backupType: "incremental" });
    const entries = written.get(set.uuid)?.entries ?? [];
    const files = entries.filter((e) => e.type === "file" && !e.deleted);
    expect(files.map((e) => e2e.entryPath(e).slice(base().length + 1)).sort()).toEqual(
      [...changed(), added()].sort(),
    );
    expect(entries.filter((e) => e.deleted).map((e) => e2e.entryPath(e).slice(base().length + 1))).toEqual([
      removed(),
    ]);
    for (const e of files) expect(e.sha256).toBe(sha256(await readFile(`/${e2e.entryPath(e)}`)));
  }, 180_000);

  it("restores one file of the full set byte-identical", async () => {
    const file = tree[2_500] as TreeFile;
    const path = `${base()}/${file.path}`;
    const destination = join(root, "restored");
    const started = await api<{ run: e2e.E2eRun }>("POST", "/api/v1/restores", {
      setId: fullSetId,
      paths: [path],
      destination,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const run = await e2e.runFinished(hub, started.body.run.id, wait);
    expect(run.state, run.error ?? "").toBe("completed");
    expect(sha256(await readFile(join(destination, path)))).toBe(file.sha256);
  }, 180_000);

  it("verifies the full set read back from tape and records passed on it", async () => {
    const started = await api<{ run: e2e.E2eRun }>("POST", `/api/v1/sets/${fullSetId}/verify`);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const run = await e2e.runFinished(hub, started.body.run.id, wait);
    expect(run.state, run.error ?? "").toBe("completed");
    expect((await api<SetView>("GET", `/api/v1/sets/${fullSetId}`)).body.verifyResult).toBe("passed");
  }, 180_000);

  it("renders every page from D1 once sets, runs, tapes and a drive exist: each inside the layout, none an error page", async () => {
    const runs = (await api<{ items: e2e.E2eRun[] }>("GET", `/api/v1/runs?jobId=${jobId}`)).body.items;
    const tapes = (await api<{ items: { id: number }[] }>("GET", "/api/v1/tapes")).body.items;
    const driveId = await e2e.firstDriveOnceReported(hub, 1);
    const paths = [
      "/",
      "/tapes",
      `/tapes/${tapes[0]?.id}`,
      "/pools",
      "/jobs",
      "/jobs/new",
      `/jobs/${jobId}`,
      `/runs/${runs[0]?.id}`,
      "/sources",
      "/restore",
      `/restore/sets/${fullSetId}`,
      "/agents",
      `/drives/${driveId}`,
      "/library",
      "/retention",
      "/keys",
      "/logs",
      "/logs/audit",
      "/settings",
      "/sites",
      "/users",
      "/api-keys",
      "/guests",
      "/docs",
    ];
    for (const path of paths) {
      const html = await e2e.pageHtml(hub, path);
      expect(html, path).toContain("<main>");
      expect(html, path).toContain("<nav");
      expect(html, path).not.toMatch(/<title>(Something went wrong|Not found|Bad request)/);
    }
    // The printed passports (no layout: a sheet) name the set's tape, per tape and per pool.
    const tape = (await api<{ barcode: string }>("GET", `/api/v1/tapes/${tapes[0]?.id}`)).body.barcode;
    expect(await e2e.pageHtml(hub, `/tapes/${tapes[0]?.id}/passport`)).toContain(tape);
    expect(await e2e.pageHtml(hub, `/pools/${poolId}/passports`)).toContain(tape);
    // The pages read the backup from D1: the dashboard lists its run, the set page its files.
    expect(await e2e.pageHtml(hub, "/")).toContain(`/runs/${runs[0]?.id}`);
    const file = (tree[0] as TreeFile).path.split("/");
    const dir = `${base()}/${file.slice(0, -1).join("/")}`;
    expect(await e2e.pageHtml(hub, `/restore/sets/${fullSetId}?dir=${encodeURIComponent(dir)}`)).toContain(
      escapeHtml(file.at(-1) as string),
    );
  }, 120_000);

  it("the cron trigger queues a due scheduled job and hands it to the agent, which runs it", async () => {
    const small = join(root, "small");
    await mkdir(small);
    await writeFile(join(small, "a.txt"), "scheduled\n");
    const scheduledJob = await e2e.createJob(hub, {
      name: "Every second",
      sourceId: await e2e.createLocalSource(hub, "Small", small, agentId),
      poolId,
      compression: "none",
      schedule: "* * * * * *",
    });
    const runsOf = async () =>
      (
        await api<{ items: (e2e.E2eRun & { triggeredBy: string })[] }>(
          "GET",
          `/api/v1/runs?jobId=${scheduledJob}`,
        )
      ).body.items;
    // Nothing runs it but the trigger: wrangler dev fires crons only when asked (--test-scheduled).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await runsOf()).toEqual([]);
    const fired = await hub.scheduled("* * * * *");
    expect(fired.status).toBe(200);
    // One run, so later ticks of an every-second schedule do not queue more.
    expect((await api("PATCH", `/api/v1/jobs/${scheduledJob}`, { enabled: false })).status).toBe(200);
    const [queued, ...others] = await runsOf();
    expect(others).toEqual([]);
    expect(queued?.triggeredBy).toBe("scheduler");
    const run = await e2e.runFinished(hub, queued?.id as number, wait);
    expect(run.state, run.error ?? "").toBe("completed");
    await remember(run.setId as number);
  }, 120_000);

  it("a fresh hub on a new D1, with the agent enrolled again, rebuilds every set by scanning the tapes", async () => {
    await agent?.stop();
    agent = undefined;
    hubLog.push(...hub.server.output);
    await hub.stop();
    hub = await startWorkerdHub({ POLL_INTERVAL_MS: "100" });
    expect((await api<{ items: unknown[] }>("GET", "/api/v1/sets")).body.items).toEqual([]);
    ({ agent } = await e2e.enrollRealAgent(hub, { name: "workerd-host", stateDir, lib, force: true }));
    const driveId = await e2e.firstDriveOnceReported(hub, 2);
    const barcodes = new Set([...written.values()].flatMap((w) => w.set.segments.map((s) => s.barcode)));
    for (const barcode of barcodes) await e2e.scanTape(hub, driveId, barcode);

    const sets = (await api<{ items: SetView[] }>("GET", "/api/v1/sets")).body.items;
    expect(sets).toHaveLength(written.size);
    for (const [uuid, was] of written) {
      const id = sets.find((s) => s.uuid === uuid)?.id;
      expect(id, uuid).toBeDefined();
      const set = (await api<SetView>("GET", `/api/v1/sets/${id}`)).body;
      // A TOC lists what is on the tape: not whether its set was an incremental (a scanned set is
      // recorded as full), nor the deletions an incremental recorded (so neither is compared here).
      expect(set).toMatchObject({ state: "complete", uuid });
      const onTape = was.entries.filter((e) => !e.deleted);
      expect(set.segments).toEqual(
        was.set.segments.map(({ catalogEntries, ...s }) =>
          expect.objectContaining(onTape.length === was.entries.length ? { ...s, catalogEntries } : s),
        ),
      );
      const rebuilt = new Map((await e2e.catalogOf(hub, id as number)).map((e) => [e2e.entryPath(e), e]));
      expect(new Set(rebuilt.keys())).toEqual(new Set(onTape.map(e2e.entryPath)));
      for (const e of onTape)
        expect(rebuilt.get(e2e.entryPath(e)), e2e.entryPath(e)).toMatchObject({
          type: e.type,
          size: e.size,
          sha256: e.sha256,
          segment: e.segment,
        });
    }
  }, 180_000);

  it("leaves neither hub's log with a failed request", () => {
    const log = [...hubLog, ...hub.server.output];
    expect(log.some((line) => line.includes('"msg":"request"'))).toBe(true);
    const failures = log.filter((line) => /"status":5\d\d|TypeError|Uncaught/.test(line));
    expect(failures).toEqual([]);
  });
});
