import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selectGuests } from "../../../contracts/proxmox.ts";
import { discoverGuests } from "../../../drive-agent/proxmox/discover.ts";
import { PveClient, PveError } from "../../../drive-agent/proxmox/pve-client.ts";
import {
  type PveStandIn,
  startPveStandIn,
  TOKEN_ID,
  TOKEN_SECRET,
  vmaLike,
} from "../../helpers/pve-stand-in.ts";

describe("the agent's PVE API client against a Proxmox-API-compatible HTTPS server", () => {
  let root: string;
  let pve: PveStandIn;
  const client = (over: Partial<ConstructorParameters<typeof PveClient>[0]> = {}) =>
    new PveClient({
      apiUrl: pve.url,
      tokenId: TOKEN_ID,
      tokenSecret: TOKEN_SECRET,
      fingerprint: pve.fingerprint,
      ...over,
    });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-pve-"));
    pve = await startPveStandIn({
      dir: join(root, "pve"),
      offlineNodes: ["pve2"],
      guests: [
        {
          vmid: 100,
          type: "qemu",
          name: "web",
          status: "running",
          tags: "tape;prod",
          pool: "backup",
          config: {
            name: "web",
            scsi0: "local-lvm:vm-100-disk-0,size=32G",
            ide2: "local:iso/debian.iso,media=cdrom",
            memory: 2048,
          },
          archive: vmaLike(1000),
        },
        {
          vmid: 101,
          type: "lxc",
          name: "db",
          status: "stopped",
          tags: "tape",
          config: {
            hostname: "db",
            rootfs: "local-lvm:subvol-101-disk-0,size=8G",
            mp0: "local-lvm:subvol-101-disk-1,size=2G",
          },
        },
        {
          vmid: 9000,
          type: "qemu",
          name: "tmpl",
          status: "stopped",
          template: true,
          tags: "tape",
          config: { name: "tmpl", template: 1, virtio0: "local-lvm:base-9000-disk-0,size=4G" },
        },
      ],
    });
  });
  afterAll(async () => {
    await pve.close();
    await rm(root, { recursive: true, force: true });
  });

  it("discovery lists the online nodes' VMs and containers with name, status, tags, pool, template flag and disks", async () => {
    const { nodes, guests } = await discoverGuests(client());
    expect(nodes).toEqual([
      { node: "pve1", status: "online" },
      { node: "pve2", status: "offline" },
    ]);
    expect(guests.map((g) => [g.vmid, g.type, g.name, g.node, g.status, g.tags, g.pool, g.template])).toEqual(
      [
        [100, "qemu", "web", "pve1", "running", ["tape", "prod"], "backup", false],
        [101, "lxc", "db", "pve1", "stopped", ["tape"], null, false],
        [9000, "qemu", "tmpl", "pve1", "stopped", ["tape"], null, true],
      ],
    );
    // The cdrom is no disk; sizes come from the config's size= option.
    expect(guests[0]?.disks).toEqual([
      { key: "scsi0", volume: "local-lvm:vm-100-disk-0", sizeBytes: 32 * 1024 ** 3 },
    ]);
    expect(guests[1]?.disks.map((d) => [d.key, d.sizeBytes])).toEqual([
      ["mp0", 2 * 1024 ** 3],
      ["rootfs", 8 * 1024 ** 3],
    ]);
    // Nobody asked the offline node for its guests.
    expect(pve.requests.some((r) => r.path.includes("/nodes/pve2/"))).toBe(false);
  });

  it("a selection by tag skips templates unless asked, and honours excludes", async () => {
    const { guests } = await discoverGuests(client());
    const base = { ids: [], tags: ["tape"], pools: [], exclude: [], includeTemplates: false };
    expect(selectGuests(guests, { ...base, by: "tags" }, "pve1").map((g) => g.vmid)).toEqual([100, 101]);
    expect(
      selectGuests(guests, { ...base, by: "tags", includeTemplates: true }, "pve1").map((g) => g.vmid),
    ).toEqual([100, 101, 9000]);
    expect(selectGuests(guests, { ...base, by: "all", exclude: [101] }, "pve1").map((g) => g.vmid)).toEqual([
      100,
    ]);
    expect(
      selectGuests(guests, { ...base, by: "pools", pools: ["backup"] }, "pve1").map((g) => g.vmid),
    ).toEqual([100]);
  });

  it("a wrong token secret is refused with words naming the token, never the secret", async () => {
    const error = await client({ tokenSecret: "00000000-0000-0000-0000-000000000000" })
      .get("/version")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PveError);
    expect((error as PveError).code).toBe("auth");
    expect((error as Error).message).toContain(`refused token ${TOKEN_ID} (401 authentication failure)`);
    expect((error as Error).message).not.toContain("00000000-0000");
  });

  it("an unpinned self-signed certificate is refused before the token is sent, naming its fingerprint", async () => {
    const before = pve.requests.length;
    const error = await client({ fingerprint: null })
      .get("/version")
      .catch((e: unknown) => e);
    expect((error as PveError).code).toBe("tls-untrusted");
    expect((error as Error).message).toContain("the system store does not trust");
    expect((error as Error).message).toContain(pve.fingerprint);
    expect((error as Error).message).toContain("the token was not sent");
    expect(pve.requests.length).toBe(before);
  });

  it("a pinned fingerprint that does not match is refused before the token is sent", async () => {
    const before = pve.requests.length;
    const wrong = `${"AB:".repeat(31)}AB`;
    const error = await client({ fingerprint: wrong })
      .get("/version")
      .catch((e: unknown) => e);
    expect((error as PveError).code).toBe("tls-mismatch");
    expect((error as Error).message).toContain(`not the pinned ${wrong}`);
    expect(pve.requests.length).toBe(before);
  });

  it("without a pin, a certificate the trust store holds is accepted (verified, not skipped)", async () => {
    const version = await client({ fingerprint: null, ca: pve.certPem }).get<{ version: string }>("/version");
    expect(version.version).toBe("8.2.4");
    expect(pve.requests.at(-1)).toMatchObject({ path: "/api2/json/version", authorized: true });
  });
});
