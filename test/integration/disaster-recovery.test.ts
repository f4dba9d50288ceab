import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { initLibrary } from "../../drive-agent/drives/vtl/library.ts";
import { type HubProcess, startHubProcess } from "../helpers/agent-process.ts";
import * as e2e from "../helpers/e2e.ts";
import type { Spawned } from "../helpers/process.ts";

/**
 * Issue 5's proof: a hub whose database is lost gets its catalog back from the tapes. Real hub and
 * drive-agent processes over loopback on a virtual library: back up, delete the catalog, start a
 * fresh hub, enroll the agent again, scan the tapes, restore.
 */

type SetView = {
  id: number;
  uuid: string;
  state: string;
  encryption: string;
  encryptionKeyFingerprint: string | null;
  segments: { sequence: number; barcode: string }[];
};
type Entry = {
  path: string;
  type: string;
  sha256: string | null;
  size: number;
  segment: number;
  endSegment: number;
};

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const BIG = 28 << 20;

describe("disaster recovery: rebuild the catalog from tapes", () => {
  let root: string;
  let lib: string;
  let src: string;
  let secret: string;
  let stateDir: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;
  const dataKey = randomBytes(32);
  /** What the first hub catalogued, to compare the rebuilt catalog with. */
  const before = new Map<string, { set: SetView; entries: Map<string, Entry> }>();

  const api = <T>(method: string, path: string, json?: unknown) => hub.api<T>(method, path, json);

  const finished = (runId: number) => e2e.runFinished(hub, runId);

  /** Every entry of a set, read from the hub's catalog file, keyed by path. */
  async function entriesOf(setId: number): Promise<Map<string, Entry>> {
    const catalog = createClient({ url: `file:${join(hub.dir, "tapebackarr.db")}` });
    try {
      const rows = (
        await catalog.execute({
          sql: "select dir, name, type, size, sha256, segment, end_segment from catalog_entries where set_id = ?",
          args: [setId],
        })
      ).rows as unknown as (Omit<Entry, "path" | "endSegment"> & {
        dir: string;
        name: string;
        end_segment: number;
      })[];
      return new Map(
        rows.map((r) => {
          const path = r.dir ? `${r.dir}/${r.name}` : r.name;
          const { type, size, sha256, segment } = r;
          return [path, { path, type, size, sha256, segment, endSegment: r.end_segment }];
        }),
      );
    } finally {
      catalog.close();
    }
  }

  async function backUp(name: string, path: string, extra: Record<string, unknown>): Promise<SetView> {
    const agents = (await api<{ items: { id: string }[] }>("GET", "/api/v1/agents")).body.items;
    const sourceId = await e2e.createLocalSource(hub, name, path, agents[0]?.id);
    const poolId = (await api<{ items: { id: number }[] }>("GET", "/api/v1/pools")).body.items[0]?.id;
    const run = await e2e.runJobToEnd(hub, await e2e.createJob(hub, { name, sourceId, poolId, ...extra }));
    expect(run.state, run.error ?? "").toBe("completed");
    const set = (await api<SetView>("GET", `/api/v1/sets/${run.setId}`)).body;
    before.set(set.uuid, { set, entries: await entriesOf(set.id) });
    return set;
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-dr-"));
    lib = join(root, "vtl");
    stateDir = join(root, "agent");
    src = join(root, "tree");
    secret = join(root, "secret");
    for (let d = 0; d < 10; d++) {
      await mkdir(join(src, `dir-${d}`), { recursive: true });
      for (let i = 0; i < 30; i++)
        await writeFile(join(src, `dir-${d}`, `file-${i}.txt`), `content ${d}/${i}\n`.repeat(i));
    }
    await writeFile(join(src, "<b>big & bold.bin"), randomBytes(BIG));
    await mkdir(secret);
    await writeFile(join(secret, "plans.txt"), "the plans\n".repeat(1000));
    // Cartridges smaller than the big file: the tree's set spans two of them.
    await initLibrary({
      dir: lib,
      drives: 1,
      slots: 6,
      cartridges: 3,
      capacityBytes: 24 << 20,
      earlyWarningBytes: 4 << 20,
    });
    ({ hub, agent } = await e2e.startHubWithVtlAgent({ name: "dr-host", stateDir, lib }));
    expect((await e2e.labelEveryTape(hub, "Vault")).tapes).toHaveLength(3);
  }, 300_000);

  afterAll(() => e2e.tearDown(root, agent, hub));

  let driveId: number;
  /** Scans one cartridge through the API and returns its run's log messages. */
  async function scan(barcode: string): Promise<string[]> {
    const queued = await api<e2e.E2eRun>("POST", `/api/v1/drives/${driveId}/scan`, { barcode });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    const run = await finished(queued.body.id);
    expect(run.state, run.error ?? "").toBe("completed");
    const logs = (await api<{ items: { message: string }[] }>("GET", `/api/v1/runs/${run.id}/logs?limit=500`))
      .body.items;
    return logs.map((l) => l.message);
  }

  async function restore(setId: number, path: string, destination: string) {
    return api<{ run: e2e.E2eRun; error?: { message: string } }>("POST", "/api/v1/restores", {
      setId,
      paths: [path],
      destination,
    });
  }

  let treeSet: SetView;
  let secretSet: SetView;

  it("backs up a tree across two tapes and an encrypted set with an imported key", async () => {
    treeSet = await backUp("Tree", src, { compression: "zstd" });
    expect(treeSet.segments.length).toBe(2);
    const key = await api<{ id: number; fingerprint: string }>("POST", "/api/v1/encryption-keys", {
      name: "vault",
      key: dataKey.toString("base64"),
    });
    expect(key.status).toBe(201);
    secretSet = await backUp("Secret", secret, {
      compression: "zstd",
      encryption: "aes-256-gcm",
      encryptionKeyId: key.body.id,
    });
    expect(secretSet).toMatchObject({
      encryption: "aes-256-gcm",
      encryptionKeyFingerprint: key.body.fingerprint,
    });
  }, 300_000);

  it("a fresh hub on a new database, with the agent enrolled again, rebuilds every set by scanning the tapes", async () => {
    await agent?.stop();
    agent = undefined;
    await hub.process.stop();
    await unlink(join(hub.dir, "tapebackarr.db"));
    await hub.stop();
    hub = await startHubProcess();
    expect((await api<{ items: unknown[] }>("GET", "/api/v1/sets")).body.items).toEqual([]);
    ({ agent } = await e2e.enrollRealAgent(hub, { name: "dr-host", stateDir, lib, force: true }));
    driveId = await vi.waitFor(
      async () => {
        const drives = (await api<{ items: { id: number }[] }>("GET", "/api/v1/drives")).body.items;
        const tapes = (await api<{ items: unknown[] }>("GET", "/api/v1/tapes")).body.items;
        if (!drives[0] || tapes.length < 3) throw new Error("the agent has not reported its library yet");
        return drives[0].id;
      },
      { timeout: 30_000, interval: 200 },
    );

    const [first, second] = treeSet.segments.map((s) => s.barcode) as [string, string];

    // The set's last tape first: the set is known but incomplete until its first tape is scanned.
    const tail = await scan(second);
    const sets = secretSet.segments[0]?.barcode === second ? 2 : 1;
    expect(tail).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^tape ${second}: ${sets} set\\(s\\), ${sets} new, 0 already in the catalog, [\\d,]+ entries$`,
        ),
      ),
    );
    const listed = (await api<{ items: SetView[] }>("GET", "/api/v1/sets")).body.items;
    expect(listed.find((s) => s.uuid === treeSet.uuid)?.state).toBe("incomplete");

    await scan(first);
    for (const barcode of new Set(secretSet.segments.map((s) => s.barcode))) await scan(barcode);

    for (const [uuid, was] of before) {
      const rebuilt = (await api<{ items: SetView[] }>("GET", "/api/v1/sets")).body.items.find(
        (s) => s.uuid === uuid,
      );
      expect(rebuilt, uuid).toBeDefined();
      const set = (await api<SetView>("GET", `/api/v1/sets/${rebuilt?.id}`)).body;
      expect(set).toMatchObject({
        state: "complete",
        encryption: was.set.encryption,
        encryptionKeyFingerprint: was.set.encryptionKeyFingerprint,
      });
      expect(set.segments).toEqual(was.set.segments.map((s) => expect.objectContaining(s)));
      const entries = await entriesOf(set.id);
      expect(new Set(entries.keys())).toEqual(new Set(was.entries.keys()));
      for (const [path, e] of was.entries) {
        const got = entries.get(path);
        expect(got, path).toMatchObject({ type: e.type, size: e.size, sha256: e.sha256, segment: e.segment });
        // From a TOC the end of a member near a tape's end is a guess, erring towards one tape more.
        expect(got?.endSegment, path).toBeGreaterThanOrEqual(e.endSegment);
      }
    }
  }, 600_000);

  const rebuiltId = async (uuid: string) =>
    (await api<{ items: SetView[] }>("GET", "/api/v1/sets")).body.items.find((s) => s.uuid === uuid)
      ?.id as number;

  it("scanning a tape again adds nothing", async () => {
    const barcode = treeSet.segments[0]?.barcode as string;
    const id = await rebuiltId(treeSet.uuid);
    const count = (await entriesOf(id)).size;
    expect(await scan(barcode)).toContain(
      `tape ${barcode}: 1 set(s), 0 new, 1 already in the catalog, 0 entries`,
    );
    expect((await entriesOf(id)).size).toBe(count);
    expect((await api<{ items: unknown[] }>("GET", "/api/v1/sets")).body.items).toHaveLength(before.size);
  }, 300_000);

  it("restores files through the new hub byte-identical, the one that spans both tapes too", async () => {
    const id = await rebuiltId(treeSet.uuid);
    const big = before.get(treeSet.uuid)?.entries.get(join(src, "<b>big & bold.bin").slice(1));
    expect(big).toMatchObject({ segment: 0, endSegment: 1 });
    const destination = join(root, "restored");
    for (const name of ["<b>big & bold.bin", "dir-7/file-29.txt"]) {
      const path = join(src, name).slice(1);
      const started = await restore(id, path, destination);
      expect(started.status, JSON.stringify(started.body)).toBe(202);
      const run = await finished(started.body.run.id);
      expect(run.state, run.error ?? "").toBe("completed");
      expect(sha256(await readFile(join(destination, path)))).toBe(sha256(await readFile(join(src, name))));
    }
  }, 300_000);

  it("an encrypted set restores only once its key is imported; until then the refusal names the key", async () => {
    const id = await rebuiltId(secretSet.uuid);
    const path = join(secret, "plans.txt").slice(1);
    const destination = join(root, "restored-secret");
    const refused = await restore(id, path, destination);
    expect(refused.status).toBe(409);
    expect(refused.body.error?.message).toContain(secretSet.encryptionKeyFingerprint as string);

    const key = await api<{ fingerprint: string }>("POST", "/api/v1/encryption-keys", {
      name: "vault (from the safe)",
      key: dataKey.toString("base64"),
    });
    expect(key.body.fingerprint).toBe(secretSet.encryptionKeyFingerprint);
    const started = await restore(id, path, destination);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const run = await finished(started.body.run.id);
    expect(run.state, run.error ?? "").toBe("completed");
    expect(await readFile(join(destination, path))).toEqual(await readFile(join(secret, "plans.txt")));
  }, 300_000);
});
