import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { initLibrary } from "../../drive-agent/drives/vtl/library.ts";
import { agentCli, type HubProcess } from "../helpers/agent-process.ts";
import * as e2e from "../helpers/e2e.ts";
import type { Spawned } from "../helpers/process.ts";
import {
  type PveStandIn,
  startPveStandIn,
  TOKEN_ID,
  TOKEN_SECRET,
  vmaLike,
} from "../helpers/pve-stand-in.ts";

/**
 * Issue 19's proof: the real hub and the real drive-agent over loopback on a virtual library,
 * a Proxmox-API-compatible HTTPS server with a self-signed certificate pinned by fingerprint, and
 * stand-in vzdump / qmrestore / pct scripts. Three guests go to tape (a VM, a container, one that
 * fails); the VM comes back through qmrestore byte for byte.
 */

type GuestBackup = {
  id: number;
  setId: number;
  vmid: number;
  type: string;
  name: string;
  node: string;
  state: string;
  bytes: number;
  sha256: string | null;
  archivePath: string;
  configPath: string | null;
  parts: number;
  error: string | null;
};

type Inventory = {
  attemptedAt: string | null;
  error: string | null;
  nodes: { node: string; status: string }[];
  guests: {
    vmid: number;
    type: string;
    name: string;
    status: string;
    tags: string[];
    disks: unknown[];
    lastBackup: { id: number; setId: number } | null;
    lastFailure: { error: string | null } | null;
  }[];
};

const PART = 1 << 20;
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** An LXC vzdump archive's outer shape: a tar of the root with the config in ./etc/vzdump/pct.conf. */
async function lxcArchive(dir: string): Promise<Buffer> {
  const rootfs = join(dir, "rootfs");
  await mkdir(join(rootfs, "etc", "vzdump"), { recursive: true });
  await writeFile(
    join(rootfs, "etc", "vzdump", "pct.conf"),
    "arch: amd64\nhostname: db\nrootfs: local-lvm:subvol-101-disk-0,size=8G\n",
  );
  await writeFile(join(rootfs, "etc", "hostname"), "db\n");
  await writeFile(join(rootfs, "etc", "data.bin"), Buffer.alloc(1_700_000, 7));
  return execFileSync("tar", ["--create", "--file=-", "--numeric-owner", "-C", rootfs, "./etc"], {
    maxBuffer: 64 << 20,
  });
}

describe("Proxmox guests to tape and back: real hub, real agent, PVE API stand-in", () => {
  let root: string;
  let lib: string;
  let hub: HubProcess;
  let agent: Spawned | undefined;
  let agentId: string;
  let poolId: number;
  let pve: PveStandIn;
  let vm: Buffer;
  let ct: Buffer;
  let sourceId: number;
  let guests: GuestBackup[];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-pve-e2e-"));
    lib = join(root, "vtl");
    vm = vmaLike(2 * PART + 12_345);
    ct = await lxcArchive(join(root, "ct"));
    pve = await startPveStandIn({
      dir: join(root, "pve"),
      guests: [
        {
          vmid: 100,
          type: "qemu",
          name: "web<script>",
          status: "running",
          tags: "tape",
          config: { name: "web", scsi0: "local-lvm:vm-100-disk-0,size=4G", memory: 2048 },
          archive: vm,
        },
        {
          vmid: 101,
          type: "lxc",
          name: "db",
          status: "stopped",
          tags: "tape",
          config: { hostname: "db", rootfs: "local-lvm:subvol-101-disk-0,size=8G" },
          archive: ct,
        },
        {
          vmid: 102,
          type: "qemu",
          name: "broken",
          status: "running",
          tags: "tape",
          config: { name: "broken", scsi0: "local-lvm:vm-102-disk-0,size=1G" },
        },
      ],
    });
    await initLibrary({
      dir: lib,
      drives: 1,
      slots: 4,
      cartridges: 2,
      capacityBytes: 64 << 20,
      earlyWarningBytes: 4 << 20,
    });
    ({ hub, agent, agentId } = await e2e.startHubWithVtlAgent({
      name: "pve1",
      stateDir: join(root, "agent"),
      lib,
      env: {
        TAPEBACKARR_VZDUMP: pve.tools.vzdump,
        TAPEBACKARR_QMRESTORE: pve.tools.qmrestore,
        TAPEBACKARR_PCT: pve.tools.pct,
        TAPEBACKARR_GUEST_PART_BYTES: String(PART),
      },
    }));
    ({ poolId } = await e2e.labelEveryTape(hub, "Guests"));
  }, 180_000);

  afterAll(async () => {
    await e2e.tearDown(root, agent, hub, pve);
  });

  it("a Proxmox source keeps its token secret write-only and refuses paths", async () => {
    const created = await hub.api<{ id: number }>("POST", "/api/v1/sources", {
      name: "pve1 guests",
      kind: "proxmox",
      agentId,
      options: {
        apiUrl: `${pve.url}/api2/json`,
        tokenId: TOKEN_ID,
        fingerprint: pve.fingerprint.toLowerCase(),
        node: "pve1",
        selection: { by: "tags", tags: ["tape"] },
        mode: "snapshot",
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    sourceId = created.body.id;
    const token = await hub.api("PUT", `/api/v1/sources/${sourceId}/pve-token`, { secret: TOKEN_SECRET });
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    const read = await hub.api("GET", `/api/v1/sources/${sourceId}`);
    expect(JSON.stringify(read.body)).not.toContain(TOKEN_SECRET);
    const withPaths = await hub.api("POST", "/api/v1/sources", {
      name: "bad",
      kind: "proxmox",
      paths: ["/etc"],
      options: { apiUrl: pve.url, tokenId: TOKEN_ID, node: "pve1" },
    });
    expect(withPaths.status).toBe(400);
    expect(JSON.stringify(withPaths.body)).toContain("backs up guests, not paths");
  });

  /** Discovery of a source through the hub: a work order the agent answers; the stored result. */
  const discover = async (id: number) => {
    const before = (await hub.api<Inventory>("GET", `/api/v1/sources/${id}/guests`)).body.attemptedAt;
    const queued = await hub.api("POST", `/api/v1/sources/${id}/discover`);
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    return vi.waitFor(
      async () => {
        const inv = (await hub.api<Inventory>("GET", `/api/v1/sources/${id}/guests`)).body;
        if (!inv.attemptedAt || inv.attemptedAt === before) throw new Error("not discovered yet");
        return inv;
      },
      { timeout: 30_000, interval: 200 },
    );
  };

  const proxmoxSource = async (name: string, options: Record<string, unknown>, secret: string) => {
    const created = await hub.api<{ id: number }>("POST", "/api/v1/sources", {
      name,
      kind: "proxmox",
      agentId,
      options: { apiUrl: pve.url, tokenId: TOKEN_ID, node: "pve1", ...options },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await hub.api("PUT", `/api/v1/sources/${created.body.id}/pve-token`, { secret });
    return created.body.id;
  };

  it("discovery, a work order the agent answers, lists the node's VMs and containers on the hub", async () => {
    const inv = await discover(sourceId);
    expect(inv.error).toBeNull();
    expect(inv.nodes).toEqual([{ node: "pve1", status: "online" }]);
    expect(inv.guests.map((g) => [g.vmid, g.type, g.name, g.status, g.tags, g.lastBackup])).toEqual([
      [100, "qemu", "web<script>", "running", ["tape"], null],
      [101, "lxc", "db", "stopped", ["tape"], null],
      [102, "qemu", "broken", "running", ["tape"], null],
    ]);
    expect(inv.guests[1]?.disks).toEqual([
      { key: "rootfs", volume: "local-lvm:subvol-101-disk-0", sizeBytes: 8 * 1024 ** 3 },
    ]);
    // The hub itself never called the PVE API: every request came with the agent's token, after discovery was ordered.
    expect(pve.requests.every((r) => r.authorized)).toBe(true);
  });

  it("a wrong token and an unpinned certificate are refused, and the guests page says why in plain words", async () => {
    const wrong = await proxmoxSource(
      "wrong token",
      { fingerprint: pve.fingerprint },
      "11111111-2222-3333-4444-555555555555",
    );
    const refused = await discover(wrong);
    expect(refused.error).toContain(`the PVE API refused token ${TOKEN_ID} (401 authentication failure)`);
    expect(refused.error).not.toContain("11111111-2222");

    const seen = pve.requests.length;
    const unpinned = await proxmoxSource("unpinned", {}, TOKEN_SECRET);
    const untrusted = await discover(unpinned);
    expect(untrusted.error).toContain("presented a certificate the system store does not trust");
    expect(untrusted.error).toContain(`Its SHA-256 fingerprint is ${pve.fingerprint}`);
    expect(pve.requests.length).toBe(seen);

    const mismatched = await proxmoxSource(
      "mismatched",
      { fingerprint: `${"00:".repeat(31)}00` },
      TOKEN_SECRET,
    );
    expect((await discover(mismatched)).error).toContain("not the pinned 00:00");
    expect(pve.requests.length).toBe(seen);
  });

  it("a job backs up a VM and a container byte for byte with their configs, and names the guest that failed", async () => {
    const jobId = await e2e.createJob(hub, { name: "guests", sourceId, poolId, compression: "zstd" });
    const run = await e2e.runJobToEnd(hub, jobId);
    expect(run.state, run.error ?? "").toBe("completed-with-warnings");
    expect(run.error).toContain("1 of 3 guests failed: 102 (broken)");

    guests = (await hub.api<{ items: GuestBackup[] }>("GET", `/api/v1/guest-backups?setId=${run.setId}`)).body
      .items;
    const byId = new Map(guests.map((g) => [g.vmid, g]));
    expect(byId.get(100)).toMatchObject({
      type: "qemu",
      name: "web<script>",
      node: "pve1",
      state: "completed",
      bytes: vm.length,
      sha256: sha256(vm),
      parts: 3,
    });
    expect(byId.get(101)).toMatchObject({
      type: "lxc",
      name: "db",
      state: "completed",
      bytes: ct.length,
      sha256: sha256(ct),
      parts: 2,
    });
    expect(byId.get(102)).toMatchObject({ state: "failed", sha256: null });
    expect(byId.get(102)?.error).toContain("unable to find VM '102'");

    // The set's catalog: each archive's parts with the sha256 of exactly that slice of vzdump's stream, the config beside it.
    const entries = await e2e.catalogOf(hub, run.setId as number);
    const files = new Map(entries.map((e) => [e2e.entryPath(e), e]));
    for (const [g, archive] of [
      [byId.get(100), vm],
      [byId.get(101), ct],
    ] as const) {
      for (let p = 0; p * PART < archive.length; p++) {
        const part = files.get(`${g?.archivePath}.${String(p).padStart(6, "0")}`);
        expect(part?.sha256).toBe(sha256(archive.subarray(p * PART, (p + 1) * PART)));
      }
      expect(files.has(g?.configPath as string)).toBe(true);
      expect(files.has(`proxmox/pve1/${g?.type}-${g?.vmid}/guest.json`)).toBe(true);
    }
    expect(byId.get(100)?.archivePath).toMatch(
      /^proxmox\/pve1\/qemu-100\/vzdump-qemu-100-\d{4}_\d\d_\d\d-\d\d_\d\d_\d\d\.vma$/,
    );

    // vzdump ran once per guest, streaming to stdout with its own compression off.
    expect(await pve.argv("vzdump")).toEqual([
      "100 --stdout 1 --mode snapshot --compress 0",
      "101 --stdout 1 --mode snapshot --compress 0",
      "102 --stdout 1 --mode snapshot --compress 0",
    ]);
    const logs = (
      await hub.api<{ items: { message: string }[] }>("GET", `/api/v1/runs/${run.id}/logs?limit=500`)
    ).body.items.map((l) => l.message);
    expect(logs.some((m) => m.startsWith("guest 102 (broken, qemu) failed"))).toBe(true);
    expect(logs.some((m) => m.startsWith("guest 100 (web<script>, qemu): "))).toBe(true);

    // The guests list shows each one's last tape backup, and the failure of the one that has none.
    const inv = (await hub.api<Inventory>("GET", `/api/v1/sources/${sourceId}/guests`)).body;
    expect(inv.guests.map((g) => [g.vmid, g.lastBackup?.setId ?? null])).toEqual([
      [100, run.setId],
      [101, run.setId],
      [102, null],
    ]);
    expect(inv.guests[2]?.lastFailure?.error).toContain("unable to find VM '102'");
  });

  it("a restore as a new id feeds the stand-in qmrestore the very bytes vzdump produced", async () => {
    const g = guests.find((x) => x.vmid === 100) as GuestBackup;
    const started = await hub.api<{ run: { id: number } }>("POST", `/api/v1/guest-backups/${g.id}/restore`, {
      target: "pve",
      vmid: 200,
      storage: "local-lvm",
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const run = await e2e.runFinished(hub, started.body.run.id);
    expect(run.state, run.error ?? "").toBe("completed");
    expect((await pve.restored("qmrestore", 200)).equals(vm)).toBe(true);
    expect(await pve.argv("qmrestore")).toEqual(["- 200 --storage local-lvm --unique 1"]);
  });

  it("a restore over a running guest or an existing one is refused unless told, then goes to pct restore", async () => {
    const vmBackup = guests.find((x) => x.vmid === 100) as GuestBackup;
    const running = await hub.api<{ run: { id: number } }>(
      "POST",
      `/api/v1/guest-backups/${vmBackup.id}/restore`,
      {
        target: "pve",
        overwrite: true,
      },
    );
    const refusedRunning = await e2e.runFinished(hub, running.body.run.id);
    expect(refusedRunning.state).toBe("failed");
    expect(refusedRunning.error).toContain("VM 100 on pve1 is running; stop it first");

    const ctBackup = guests.find((x) => x.vmid === 101) as GuestBackup;
    const existing = await hub.api<{ run: { id: number } }>(
      "POST",
      `/api/v1/guest-backups/${ctBackup.id}/restore`,
      { target: "pve" },
    );
    const refusedExisting = await e2e.runFinished(hub, existing.body.run.id);
    expect(refusedExisting.state).toBe("failed");
    expect(refusedExisting.error).toContain("container 101 on pve1 already exists");
    expect(await pve.argv("pct")).toEqual([]);

    const told = await hub.api<{ run: { id: number } }>(
      "POST",
      `/api/v1/guest-backups/${ctBackup.id}/restore`,
      {
        target: "pve",
        overwrite: true,
        storage: "local-lvm",
      },
    );
    const run = await e2e.runFinished(hub, told.body.run.id);
    expect(run.state, run.error ?? "").toBe("completed");
    expect(await pve.argv("pct")).toEqual(["restore 101 - --storage local-lvm --force 1"]);
    expect((await pve.restored("pct", 101)).equals(ct)).toBe(true);
  });

  it("a guest's archive can be written to a directory as one vzdump file", async () => {
    const ctBackup = guests.find((x) => x.vmid === 101) as GuestBackup;
    const destination = join(root, "restored");
    const started = await hub.api<{ run: { id: number } }>(
      "POST",
      `/api/v1/guest-backups/${ctBackup.id}/restore`,
      {
        target: "file",
        destination,
      },
    );
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const run = await e2e.runFinished(hub, started.body.run.id);
    expect(run.state, run.error ?? "").toBe("completed");
    const name = ctBackup.archivePath.slice(ctBackup.archivePath.lastIndexOf("/") + 1);
    expect((await readFile(join(destination, name))).equals(ct)).toBe(true);
  });

  it("drive-agent restore --guest writes the VM's archive from the tape alone, with no hub", async () => {
    const vmBackup = guests.find((x) => x.vmid === 100) as GuestBackup;
    const dir = join(root, "from-tape");
    const r = await agentCli("restore", "--tape", lib, "--set", "1", "--guest", "100", "--to", dir);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    const name = vmBackup.archivePath.slice(vmBackup.archivePath.lastIndexOf("/") + 1);
    expect(r.stdout).toContain(`guest 100: ${vm.length} bytes in 3 parts written to`);
    expect((await readFile(join(dir, name))).equals(vm)).toBe(true);
  });

  it("docs/tape-format.md's commands get the VM's archive off the tape with zstd and tar, and feed it to qmrestore", async () => {
    const doc = await readFile(new URL("../../docs/tape-format.md", import.meta.url), "utf8");
    const block = /^```sh guest-test:vm-archive\n([\s\S]*?)^```$/m.exec(doc)?.[1];
    expect(block).toBeDefined();
    const cartridges = join(lib, "cartridges");
    const written = (await readdir(cartridges)).filter((c) => existsSync(join(cartridges, c, "file-0001")));
    expect(written.length).toBe(1);
    const out = join(root, "doc-out");
    await mkdir(out);
    const run = () =>
      execFileSync("bash", ["-euo", "pipefail", "-c", block as string], {
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          PATH: `${dirname(pve.tools.qmrestore)}:${process.env.PATH}`,
          CART: join(cartridges, written[0] as string),
          OUT: out,
        },
        encoding: "utf8",
        maxBuffer: 64 << 20,
      });
    let stdout = "";
    try {
      stdout = run();
    } catch (e) {
      throw new Error(`the documented commands failed: ${String((e as { stderr?: unknown }).stderr)}`);
    }
    const [recorded, computed] = stdout.trim().split("\n");
    expect(recorded).toBe(sha256(vm));
    expect(computed).toBe(sha256(vm));
    expect((await pve.restored("qmrestore", 300)).equals(vm)).toBe(true);
  });

  it("a run whose every guest fails is failed, naming them, and an id not on the node is said in its log", async () => {
    // The source selects every guest; the job chooses its own (by id, in stop mode) and that wins.
    const only = await proxmoxSource(
      "only broken",
      { fingerprint: pve.fingerprint, selection: { by: "all" } },
      TOKEN_SECRET,
    );
    const jobId = await e2e.createJob(hub, {
      name: "only broken",
      sourceId: only,
      poolId,
      compression: "zstd",
      guests: { selection: { by: "ids", ids: [102, 999] }, mode: "stop" },
    });
    const calls = (await pve.argv("vzdump")).length;
    const run = await e2e.runJobToEnd(hub, jobId);
    expect(run.state).toBe("failed");
    expect(run.error).toContain("1 of 1 guests failed: 102 (broken)");
    expect((await pve.argv("vzdump")).slice(calls)).toEqual(["102 --stdout 1 --mode stop --compress 0"]);
    const logs = (
      await hub.api<{ items: { message: string }[] }>("GET", `/api/v1/runs/${run.id}/logs?limit=500`)
    ).body.items.map((l) => l.message);
    expect(logs).toContain("guest 999 is not on node pve1; it was not backed up");
  });
});
