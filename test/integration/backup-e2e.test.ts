import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import {
  link,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  symlink,
  unlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { initLibrary, libraryPaths } from "../../drive-agent/drives/vtl/library.ts";
import { type HubProcess, spawnAgent } from "../helpers/agent-process.ts";
import * as e2e from "../helpers/e2e.ts";
import { ROOT, type Spawned } from "../helpers/process.ts";

/** The real agent and pipeline on a drive that writes at a fixed speed (test/helpers/paced-drive-agent.ts). */
const PACED_AGENT = resolve(ROOT, "test/helpers/paced-drive-agent.ts");

/**
 * Issue 4's proof: the real hub process and the real drive-agent process over loopback, on a
 * virtual library, backing up a generated tree with real tar, zstd and mbuffer.
 */

type Entry = {
  dir: string;
  name: string;
  type: string;
  size: number;
  sha256: string | null;
  link_target: string | null;
  segment: number;
  end_segment: number;
  deleted: number;
};

const FILES = 5_000;
const BIG = 100 * 1024 * 1024;
const MARKER = "TAPEBACKARR-PLAINTEXT-MARKER-7f3a";

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** ≥ 5,000 files: empty ones, a 100 MB one, symlinks, a hard link, unicode and markup names, and a socket tar cannot read. */
async function makeTree(root: string): Promise<string> {
  const src = join(root, "src");
  for (let d = 0; d < 50; d++) {
    const dir = join(src, `dir-${String(d).padStart(2, "0")}`);
    await mkdir(dir, { recursive: true });
    await Promise.all(
      Array.from({ length: FILES / 50 }, (_, i) =>
        writeFile(join(dir, `file-${i}.txt`), i % 10 === 0 ? "" : `content ${d}/${i}\n`.repeat(i % 7)),
      ),
    );
  }
  await mkdir(join(src, "odd"), { recursive: true });
  await writeFile(join(src, "odd", "<img src=x onerror=alert(1)>.txt"), "markup name\n");
  await writeFile(join(src, "odd", "Grüße – 日本語 ✓.txt"), "unicode name\n");
  await writeFile(join(src, "odd", "big.bin"), randomBytes(BIG));
  await symlink("big.bin", join(src, "odd", "link-to-big"));
  await symlink("/nonexistent/target", join(src, "odd", "dangling-link"));
  await link(join(src, "odd", "Grüße – 日本語 ✓.txt"), join(src, "odd", "hardlink.txt"));
  // A socket: tar cannot archive it and says so; the backup must warn, not fail. (A process that
  // exits while listening leaves the socket file behind; closing the server would remove it.)
  const sock = join(src, "odd", "control.sock");
  execFileSync(process.execPath, [
    "-e",
    `require("net").createServer().listen(${JSON.stringify(sock)}, () => process.exit(0))`,
  ]);
  return src;
}

/** What the catalog must hold for a tree: path (tar style, no leading slash) → type and sha256. */
async function expectedEntries(src: string) {
  const out = new Map<string, { type: string; sha256: string | null }>();
  const inodes = new Set<number>();
  const walk = async (dir: string) => {
    out.set(dir.slice(1), { type: "dir", sha256: null });
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const st = await lstat(path);
      if (st.isDirectory()) await walk(path);
      else if (st.isSymbolicLink()) out.set(path.slice(1), { type: "symlink", sha256: null });
      else if (st.isFile()) {
        const hard = st.nlink > 1 && inodes.has(st.ino);
        inodes.add(st.ino);
        out.set(path.slice(1), {
          type: hard ? "hardlink" : "file",
          sha256: hard ? null : await sha256File(path),
        });
      }
    }
  };
  await walk(src);
  return out;
}

describe("backup end to end: real hub, real drive-agent, virtual library", () => {
  let root: string;
  let lib: string;
  let src: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;
  let stateDir: string;
  let agentId: string;
  let poolId: number;
  let catalog: ReturnType<typeof createClient>;

  const api = <T>(method: string, path: string, json?: unknown) => hub.api<T>(method, path, json);
  const entriesOf = async (setId: number) =>
    (
      await catalog.execute({
        sql: "select * from catalog_entries where set_id = ? order by id",
        args: [setId],
      })
    ).rows as unknown as Entry[];
  const pathOf = (e: Entry) => (e.dir ? `${e.dir}/${e.name}` : e.name);

  const finished = (runId: number) => e2e.runFinished(hub, runId);

  const runJob = (jobId: number) => e2e.runJobToEnd(hub, jobId);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-e2e-"));
    lib = join(root, "vtl");
    stateDir = join(root, "agent");
    src = await makeTree(root);
    // Cartridges smaller than the tree, so the full set must span two of them.
    await initLibrary({
      dir: lib,
      drives: 1,
      slots: 8,
      cartridges: 6,
      capacityBytes: 96 << 20,
      earlyWarningBytes: 8 << 20,
    });
    ({ hub, agent, agentId } = await e2e.startHubWithVtlAgent({ name: "e2e-host", stateDir, lib }));
    catalog = createClient({ url: `file:${join(hub.dir, "tapebackarr.db")}` });

    let tapes: unknown[];
    ({ poolId, tapes } = await e2e.labelEveryTape(hub, "E2E"));
    expect(tapes.length).toBe(6);
  }, 300_000);

  afterAll(() => e2e.tearDown(root, catalog, agent, hub));

  let sourceId: number;
  let incrementalJobId: number;
  let fullSetId: number;

  it("backs up the whole tree across two tapes: every path catalogued, every sha256 right, the unreadable socket a warning", async () => {
    sourceId = await e2e.createLocalSource(hub, "Tree", src, agentId);
    incrementalJobId = await e2e.createJob(hub, {
      name: "Tree nightly",
      sourceId,
      poolId,
      backupType: "incremental",
      compression: "zstd",
    });
    const run = await runJob(incrementalJobId);
    expect(run.state, run.error ?? "").toBe("completed-with-warnings");
    fullSetId = run.setId as number;

    const logs = (
      await api<{ items: { level: string; message: string; path: string | null }[] }>(
        "GET",
        `/api/v1/runs/${run.id}/logs?limit=500`,
      )
    ).body.items;
    expect(logs.some((l) => l.level === "warn" && `${l.path} ${l.message}`.includes("control.sock"))).toBe(
      true,
    );

    const set = (
      await api<{ state: string; backupType: string; segments: { sequence: number; barcode: string }[] }>(
        "GET",
        `/api/v1/sets/${fullSetId}`,
      )
    ).body;
    expect(set).toMatchObject({ state: "complete", backupType: "full" });
    expect(set.segments.length).toBeGreaterThanOrEqual(2);
    expect(new Set(set.segments.map((s) => s.barcode)).size).toBe(set.segments.length);

    const expected = await expectedEntries(src);
    expected.delete(join(src, "odd", "control.sock").slice(1));
    const entries = await entriesOf(fullSetId);
    const byPath = new Map(entries.map((e) => [pathOf(e), e]));
    expect(new Set(byPath.keys())).toEqual(new Set(expected.keys()));
    for (const [path, want] of expected) {
      const got = byPath.get(path) as Entry;
      expect(got.type, path).toBe(want.type);
      if (want.sha256) expect(got.sha256, path).toBe(want.sha256);
    }
    const segments = new Set(entries.flatMap((e) => [e.segment, e.end_segment]));
    expect([...segments].sort()).toEqual(set.segments.map((s) => s.sequence));
    const big = byPath.get(join(src, "odd", "big.bin").slice(1)) as Entry;
    expect(big.size).toBe(BIG);
  }, 300_000);

  it("an incremental holds exactly the changed and new files, and records the deleted one", async () => {
    const changed = ["dir-03/file-5.txt", "dir-17/file-8.txt", "odd/<img src=x onerror=alert(1)>.txt"];
    const added = ["dir-44/new-one.txt", "odd/new-two.txt"];
    const removed = "dir-09/file-3.txt";
    const later = new Date(Date.now() + 2_000);
    for (const p of changed) {
      await writeFile(join(src, p), `changed ${p}\n`);
      await utimes(join(src, p), later, later);
    }
    for (const p of added) await writeFile(join(src, p), `added ${p}\n`);
    await unlink(join(src, removed));

    const run = await runJob(incrementalJobId);
    expect(["completed", "completed-with-warnings"]).toContain(run.state);
    const set = (await api<{ backupType: string }>("GET", `/api/v1/sets/${run.setId}`)).body;
    expect(set.backupType).toBe("incremental");
    const entries = await entriesOf(run.setId as number);
    const base = src.slice(1);
    const files = entries
      .filter((e) => e.type === "file" && !e.deleted)
      .map((e) => relative(base, pathOf(e)))
      .sort();
    expect(files).toEqual([...changed, ...added].sort());
    expect(entries.filter((e) => e.deleted).map((e) => relative(base, pathOf(e)))).toEqual([removed]);
    for (const e of entries.filter((x) => x.type === "file" && !x.deleted))
      expect(e.sha256).toBe(await sha256File(`/${pathOf(e)}`));
  }, 300_000);

  it("an encrypted set puts no plaintext of the source on tape", async () => {
    const secret = join(root, "secret");
    await mkdir(secret);
    await writeFile(join(secret, "plans.txt"), `${MARKER}\n`.repeat(5_000));
    const keyId = (await api<{ id: number }>("POST", "/api/v1/encryption-keys", { name: "vault" })).body.id;
    const jobId = await e2e.createJob(hub, {
      name: "Secret",
      sourceId: await e2e.createLocalSource(hub, "Secret", secret, agentId),
      poolId,
      compression: "none",
      encryption: "aes-256-gcm",
      encryptionKeyId: keyId,
    });
    const run = await runJob(jobId);
    expect(run.state, run.error ?? "").toBe("completed");
    const set = (
      await api<{ encryption: string; segments: { barcode: string; fileNumber: number }[] }>(
        "GET",
        `/api/v1/sets/${run.setId}`,
      )
    ).body;
    expect(set.encryption).toBe("aes-256-gcm");
    const [entry] = (await entriesOf(run.setId as number)).filter((e) => e.name === "plans.txt");
    expect(entry?.sha256).toBe(await sha256File(join(secret, "plans.txt")));
    for (const segment of set.segments) {
      const cartridge = libraryPaths(lib).cartridge(segment.barcode);
      for (const file of await readdir(cartridge)) {
        if (!file.startsWith("file-")) continue;
        const bytes = await readFile(join(cartridge, file));
        expect(bytes.includes(MARKER), `${segment.barcode}/${file}`).toBe(false);
      }
    }
  }, 300_000);

  /** A new full job of the tree, run until the agent has written bytes: the moment to break things. */
  async function startFullRunMidway(name: string): Promise<e2e.E2eRun> {
    const jobId = await e2e.createJob(hub, { name, sourceId, poolId, compression: "zstd" });
    const queued = (await api<e2e.E2eRun>("POST", `/api/v1/jobs/${jobId}/run`)).body;
    await vi.waitFor(
      async () => {
        const run = (await api<e2e.E2eRun>("GET", `/api/v1/runs/${queued.id}`)).body;
        if (run.state !== "running" || run.bytesDone === 0)
          throw new Error(`run is ${run.state}, ${run.bytesDone} bytes`);
      },
      { timeout: 120_000, interval: 50 },
    );
    return queued;
  }

  it("an agent killed with SIGKILL mid-backup leaves the set incomplete, and a retry completes", async () => {
    // The unpaced agent can finish this tree between two polls (a clean-clone CI run saw it
    // completed before the kill): a drive writing at 8 MiB/s keeps the run open for the kill.
    await agent?.stop();
    agent = spawnAgent(stateDir, { TB_TEST_DRIVE_BYTES_PER_SEC: String(8 << 20) }, PACED_AGENT);
    const queued = await startFullRunMidway("Tree full");
    agent?.child.kill("SIGKILL");
    await agent?.stop();
    agent = spawnAgent(stateDir);
    const interrupted = await finished(queued.id);
    expect(interrupted.state).toBe("interrupted");
    expect((await api<{ state: string }>("GET", `/api/v1/sets/${interrupted.setId}`)).body.state).toBe(
      "incomplete",
    );

    const retry = await api<e2e.E2eRun>("POST", `/api/v1/runs/${queued.id}/retry`);
    expect(retry.status).toBe(202);
    const done = await finished(retry.body.id);
    expect(done.state, done.error ?? "").toBe("completed-with-warnings");
    expect((await api<{ state: string }>("GET", `/api/v1/sets/${done.setId}`)).body.state).toBe("complete");
  }, 300_000);

  it("a hub restarted mid-backup loses nothing: the agent retries its reports and the set completes", async () => {
    // A cached tree now backs up in under a second, before any progress report: the same agent
    // on a drive writing at 8 MiB/s makes the backup last long enough to restart the hub within it.
    await agent?.stop();
    agent = spawnAgent(stateDir, { TB_TEST_DRIVE_BYTES_PER_SEC: String(8 << 20) }, PACED_AGENT);
    const queued = await startFullRunMidway("Tree again");
    // Same catalog, same port: what an operator's service manager does on a restart.
    await hub.restart();
    const done = await finished(queued.id);
    expect(done.state, done.error ?? "").toBe("completed-with-warnings");
    const set = (await api<{ state: string; fileCount: number }>("GET", `/api/v1/sets/${done.setId}`)).body;
    expect(set.state).toBe("complete");
    const expected = await expectedEntries(src);
    expected.delete(join(src, "odd", "control.sock").slice(1));
    const paths = new Set((await entriesOf(done.setId as number)).map(pathOf));
    expect(paths).toEqual(new Set(expected.keys()));
  }, 300_000);
});
