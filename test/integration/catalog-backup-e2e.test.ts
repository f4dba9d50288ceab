import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unwrapWithPassphrase } from "../../contracts/key-export.ts";
import { nodeScrypt } from "../../contracts/scrypt-node.ts";
import { initLibrary } from "../../drive-agent/drives/vtl/library.ts";
import { fromBase64url } from "../../functions/security/crypto.ts";
import { agentCli, type HubProcess, startHubProcess } from "../helpers/agent-process.ts";
import * as e2e from "../helpers/e2e.ts";
import type { Spawned } from "../helpers/process.ts";

/**
 * Issue 18's proof, with real hub and drive-agent processes on a virtual library: a pool's sets
 * use its current key and rotation keeps old sets restorable; a catalog backup set goes to tape;
 * the hub's data directory is lost (only the hub's secrets file, kept apart as the operator
 * guide says, survives); `drive-agent restore-catalog` with the key sheet's wrapped key and the
 * passphrase brings the whole catalog back, deletions and incremental chains included.
 */

type SetView = { id: number; uuid: string; state: string; encryptionKeyFingerprint: string | null };
type Key = { id: number; fingerprint: string };
const PASSPHRASE = "a long passphrase only the operator knows";

/** The rows the restored catalog must hold exactly as the old one did. */
const COMPARED: Record<string, string> = {
  backup_sets: "select * from backup_sets where id in (SETS) order by id",
  catalog_entries: "select * from catalog_entries where set_id in (SETS) order by id",
  backup_set_segments: "select * from backup_set_segments where set_id in (SETS) order by id",
  pools: "select * from pools order by id",
  // Every column but where the cartridge sits at the moment (drive, slot: heartbeats rewrite them).
  tapes:
    "select id, barcode, label, uuid, pool_id, state, generation, capacity_bytes, used_bytes, file_count, write_protected, site_id, labelled_at, first_written_at, last_written_at, expires_at, load_count, media_set_id, notes, created_at from tapes order by id",
  jobs: "select * from jobs order by id",
  sources: "select * from sources order by id",
  encryption_keys: "select * from encryption_keys order by id",
};

async function readCatalog(file: string, setIds: number[]): Promise<Record<string, unknown[]>> {
  const client = createClient({ url: `file:${file}` });
  try {
    const out: Record<string, unknown[]> = {};
    for (const [table, sql] of Object.entries(COMPARED))
      out[table] = (await client.execute(sql.replace("SETS", setIds.join(",")))).rows.map((r) => ({ ...r }));
    return out;
  } finally {
    client.close();
  }
}

describe("catalog backup to tape and restore on a new machine", () => {
  let root: string;
  let lib: string;
  let src: string;
  let stateDir: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;
  let poolId: number;
  let jobId: number;
  const sets: SetView[] = [];
  const keys: Key[] = [];

  const api = <T>(method: string, path: string, json?: unknown) => hub.api<T>(method, path, json);
  const rotate = async () => {
    const res = await api<{ key: Key }>("POST", `/api/v1/pools/${poolId}/rotate-key`, {});
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    keys.push(res.body.key);
    return res.body.key;
  };
  const backUp = async () => {
    const run = await e2e.runJobToEnd(hub, jobId);
    expect(run.state, run.error ?? "").toBe("completed");
    const set = (await api<SetView>("GET", `/api/v1/sets/${run.setId}`)).body;
    sets.push(set);
    return set;
  };
  const restoreFile = async (setId: number, name: string, destination: string) => {
    const path = join(src, name).slice(1);
    const started = await api<{ run: e2e.E2eRun }>("POST", "/api/v1/restores", {
      setId,
      paths: [path],
      destination,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const run = await e2e.runFinished(hub, started.body.run.id);
    expect(run.state, run.error ?? "").toBe("completed");
    return readFile(join(destination, path), "utf8");
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-catalog-"));
    lib = join(root, "vtl");
    stateDir = join(root, "agent");
    src = join(root, "tree");
    for (let d = 0; d < 3; d++) {
      await mkdir(join(src, `dir-${d}`), { recursive: true });
      for (let i = 0; i < 10; i++)
        await writeFile(join(src, `dir-${d}`, `file-${i}.txt`), `content ${d}/${i}\n`);
    }
    await initLibrary({ dir: lib, drives: 1, slots: 2, cartridges: 1, capacityBytes: 256 << 20 });
    ({ hub, agent } = await e2e.startHubWithVtlAgent({ name: "catalog-host", stateDir, lib }));
    ({ poolId } = await e2e.labelEveryTape(hub, "Vault"));
    const agents = (await api<{ items: { id: string }[] }>("GET", "/api/v1/agents")).body.items;
    const sourceId = await e2e.createLocalSource(hub, "Tree", src, agents[0]?.id);
    jobId = await e2e.createJob(hub, { name: "Tree", sourceId, poolId, backupType: "incremental" });
  }, 300_000);

  afterAll(() => e2e.tearDown(root, agent, hub));

  it("a pool's sets use its current key: after a rotation new sets use the new key and old sets still restore", async () => {
    const first = await rotate();
    await backUp(); // full
    await rm(join(src, "dir-1", "file-1.txt"));
    await backUp(); // incremental recording the deletion
    const second = await rotate();
    await writeFile(join(src, "dir-2", "new.txt"), "written after the rotation\n");
    await backUp(); // incremental with the new key
    expect(sets.map((s) => s.encryptionKeyFingerprint)).toEqual([
      first.fingerprint,
      first.fingerprint,
      second.fingerprint,
    ]);
    expect(await restoreFile(sets[0]?.id as number, "dir-1/file-1.txt", join(root, "old-key"))).toBe(
      "content 1/1\n",
    );
    expect(await restoreFile(sets[2]?.id as number, "dir-2/new.txt", join(root, "new-key"))).toBe(
      "written after the rotation\n",
    );
    // Every use of a key (sealed into a backup or restore order) is audited with its fingerprint.
    const uses = (
      await api<{ items: { target: string; details: { fingerprint: string; kind: string } }[] }>(
        "GET",
        "/api/v1/audit-logs?action=encryption_key.use&limit=100",
      )
    ).body.items;
    expect(new Set(uses.map((u) => `${u.details.kind} ${u.details.fingerprint}`))).toEqual(
      new Set([
        `backup ${first.fingerprint}`,
        `backup ${second.fingerprint}`,
        `restore ${first.fingerprint}`,
        `restore ${second.fingerprint}`,
      ]),
    );
    const retire = await api<{ error: { message: string } }>(
      "POST",
      `/api/v1/encryption-keys/${first.id}/retire`,
    );
    expect(retire.status).toBe(409);
    expect(retire.body.error.message).toContain(`#${sets[0]?.id} (Tree`);
    expect(retire.body.error.message).toContain(`#${sets[1]?.id} (Tree`);
  }, 600_000);

  let before: Record<string, unknown[]>;
  let wrappedB: string;
  let catalogSet: SetView;
  let olderCatalogSetId: number;
  it("a catalog job writes the catalog as a set of its own, encrypted with the pool's key, and says its size", async () => {
    const exported = await api<{ wrapped: string }>("POST", `/api/v1/encryption-keys/${keys[1]?.id}/export`, {
      passphrase: PASSPHRASE,
      hint: "the long one",
      onTapes: true,
    });
    expect(exported.status).toBe(200);
    wrappedB = exported.body.wrapped;
    // From now on the key's sets carry the passphrase-wrapped key in their TOC.
    await writeFile(join(src, "dir-0", "after-export.txt"), "tape and passphrase are enough\n");
    const carrying = await backUp();
    expect(carrying.encryptionKeyFingerprint).toBe(keys[1]?.fingerprint);
    await writeFile(join(root, "key-sheet.txt"), `${exported.body.wrapped}\n`);
    await writeFile(join(root, "passphrase"), `${PASSPHRASE}\n`);
    await writeFile(join(root, "wrong-passphrase"), "not it at all\n");

    const catalogJob = await e2e.createJob(hub, { name: "Catalog", kind: "catalog", poolId });
    // An older catalog backup on the same tape: restore-catalog must take the newer one.
    const older = await e2e.runJobToEnd(hub, catalogJob);
    expect(older.state, older.error ?? "").toBe("completed");
    olderCatalogSetId = older.setId as number;
    expect((await api("POST", "/api/v1/pools", { name: "Made after the first catalog backup" })).status).toBe(
      201,
    );
    before = await readCatalog(
      join(hub.dir, "tapebackarr.db"),
      sets.map((s) => s.id),
    );
    const run = await e2e.runJobToEnd(hub, catalogJob);
    expect(run.state, run.error ?? "").toBe("completed");
    catalogSet = (await api<SetView>("GET", `/api/v1/sets/${run.setId}`)).body;
    expect(catalogSet.encryptionKeyFingerprint).toBe(keys[1]?.fingerprint);
    const logs = (await api<{ items: { message: string }[] }>("GET", `/api/v1/runs/${run.id}/logs?limit=500`))
      .body.items;
    expect(logs.map((l) => l.message)).toContainEqual(
      expect.stringMatching(/^catalog snapshot fetched: \d+ bytes$/),
    );
  }, 300_000);

  let dataDir: string;
  it("a tape and the passphrase restore a set with drive-agent restore alone; restore-catalog refuses a wrong passphrase, then restores the newest catalog into a new data directory", async () => {
    await agent?.stop();
    agent = undefined;
    await hub.process.stop();
    // The new machine: an empty data directory with the hub's secrets file from the operator's backup.
    dataDir = join(root, "new-hub");
    await mkdir(dataDir);
    await cp(join(hub.dir, "hub-secrets.json"), join(dataDir, "hub-secrets.json"));
    await rm(hub.dir, { recursive: true, force: true });

    // A tape and the passphrase alone: the set's TOC carries its wrapped key, no key file needed.
    const alone = await agentCli(
      "restore",
      "--tape",
      lib,
      "--set",
      sets[3]?.uuid as string,
      "--to",
      join(root, "tape-alone"),
      "--passphrase-file",
      join(root, "passphrase"),
    );
    expect(alone.exitCode, alone.stderr).toBe(0);
    expect(
      await readFile(join(root, "tape-alone", join(src, "dir-0", "after-export.txt").slice(1)), "utf8"),
    ).toBe("tape and passphrase are enough\n");
    const noKey = await agentCli(
      "restore",
      "--tape",
      lib,
      "--drive",
      "0",
      "--set",
      sets[0]?.uuid as string,
      "--to",
      join(root, "x"),
    );
    expect(noKey.exitCode).toBe(2);
    expect(noKey.stderr).toContain("its TOC carries no wrapped key: pass --key-file");
    // The raw key is on no tape file, only its passphrase-wrapped form.
    const raw = Buffer.from(
      (await unwrapWithPassphrase({ text: wrappedB, passphrase: PASSPHRASE, scrypt: nodeScrypt })).key,
    );
    const cartridges = join(lib, "cartridges");
    for (const barcode of await readdir(cartridges))
      for (const file of await readdir(join(cartridges, barcode))) {
        const bytes = await readFile(join(cartridges, barcode, file));
        expect(bytes.includes(raw), `${barcode}/${file}`).toBe(false);
        expect(bytes.includes(Buffer.from(raw.toString("base64"))), `${barcode}/${file}`).toBe(false);
      }

    // The operator guide's command, with the vtl for /dev/nst0 and the passphrase from a file
    // (the test has no terminal to type it at).
    const common = [
      "restore-catalog",
      "--tape",
      lib,
      "--to",
      dataDir,
      "--key-file",
      join(root, "key-sheet.txt"),
    ];
    const wrong = await agentCli(...common, "--passphrase-file", join(root, "wrong-passphrase"));
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain(`wrong passphrase for key ${keys[1]?.fingerprint}`);

    const restored = await agentCli(...common, "--passphrase-file", join(root, "passphrase"));
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`(set ${catalogSet.uuid},`);
    expect(restored.stdout).toContain(`restored to ${join(dataDir, "tapebackarr.db")}`);

    // The catalog on tape holds none of the hub's private keys.
    const db = await readFile(join(dataDir, "tapebackarr.db"));
    const secrets = JSON.parse(await readFile(join(dataDir, "hub-secrets.json"), "utf8")) as Record<
      string,
      string
    >;
    for (const name of ["masterKey", "orderSigningKey", "sessionKey"]) {
      const value = secrets[name] as string;
      expect(value, name).toBeTruthy();
      expect(db.includes(Buffer.from(value)), name).toBe(false);
      expect(db.includes(Buffer.from(fromBase64url(value))), name).toBe(false);
    }
  }, 300_000);

  it("a hub started on the restored catalog has every set, entry, deletion, tape, pool and job back, and restores", async () => {
    hub = await startHubProcess({ dir: dataDir });
    const after = await readCatalog(
      join(dataDir, "tapebackarr.db"),
      sets.map((s) => s.id),
    );
    expect(after).toEqual(before);
    // The catalog backup's own set was being written when its snapshot was taken: the restored
    // catalog says so (rebuild it from its tape) instead of holding a run that never ends.
    const own = (await api<SetView>("GET", `/api/v1/sets/${catalogSet.id}`)).body;
    expect(own.state).toBe("incomplete");
    // The newer of the two catalog backups came back: it knows the pool made between them.
    expect((before.pools as { name: string }[]).map((p) => p.name)).toContain(
      "Made after the first catalog backup",
    );
    expect((await api<SetView>("GET", `/api/v1/sets/${olderCatalogSetId}`)).body.state).toBe("complete");
    expect((before.catalog_entries as { deleted: number }[]).filter((e) => e.deleted === 1)).toHaveLength(1);
    // The incremental that recorded the deletion shows the tree without the deleted file, which
    // no scan of the tapes could tell (a TOC lists what a set holds, not what went away).
    const tree = async (set: SetView) => {
      const dir = encodeURIComponent(join(src, "dir-1").slice(1));
      const res = await fetch(`${hub.url}/restore/sets/${set.id}?dir=${dir}`, {
        headers: { authorization: `Bearer ${hub.admin}` },
      });
      expect(res.status).toBe(200);
      return res.text();
    };
    expect(await tree(sets[0] as SetView)).toContain("file-1.txt");
    const afterDeletion = await tree(sets[1] as SetView);
    expect(afterDeletion).toContain("file-0.txt");
    expect(afterDeletion).not.toContain("file-1.txt");
    ({ agent } = await e2e.enrollRealAgent(hub, { name: "catalog-host-2", stateDir, lib, force: true }));
    await e2e.firstDriveOnceReported(hub, 1);
    expect(await restoreFile(sets[2]?.id as number, "dir-0/file-3.txt", join(root, "after-restore"))).toBe(
      "content 0/3\n",
    );
  }, 300_000);
});
