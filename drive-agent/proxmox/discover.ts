import type { GuestType } from "../../contracts/proxmox.ts";
import type { PveClient } from "./pve-client.ts";

export type PveNode = { node: string; status: string };
export type PveDisk = { key: string; volume: string; sizeBytes: number | null };
export type PveGuest = {
  vmid: number;
  type: GuestType;
  name: string;
  node: string;
  status: string;
  tags: string[];
  pool: string | null;
  template: boolean;
  maxdiskBytes: number | null;
  disks: PveDisk[];
};

type ListedGuest = {
  vmid: number | string;
  name?: string;
  status?: string;
  tags?: string;
  template?: number | string;
  maxdisk?: number;
};
type Resource = { type: string; vmid?: number; pool?: string; template?: number };

/**
 * Nodes, QEMU VMs and LXC containers as the API lists them: per online node `/nodes/{node}/qemu`
 * and `/lxc`, with the pool of each from `/cluster/resources` (the per-node lists do not carry it)
 * and the disks and their sizes from each guest's config.
 */
export async function discoverGuests(client: PveClient): Promise<{ nodes: PveNode[]; guests: PveGuest[] }> {
  await client.get<{ version: string }>("/version");
  const nodes = (await client.get<{ node: string; status?: string }[]>("/nodes")).map((n) => ({
    node: n.node,
    status: n.status ?? "unknown",
  }));
  const resources = await client.get<Resource[]>("/cluster/resources", { type: "vm" });
  const poolOf = new Map(resources.filter((r) => r.vmid).map((r) => [r.vmid as number, r.pool ?? null]));
  const guests: PveGuest[] = [];
  for (const { node, status } of nodes) {
    if (status !== "online") continue;
    for (const type of ["qemu", "lxc"] as const) {
      for (const g of await client.get<ListedGuest[]>(`/nodes/${encodeURIComponent(node)}/${type}`)) {
        const vmid = Number(g.vmid);
        const config = await guestConfig(client, node, type, vmid);
        guests.push({
          vmid,
          type,
          name: g.name ?? String(config.name ?? config.hostname ?? vmid),
          node,
          status: g.status ?? "unknown",
          tags: splitTags(g.tags ?? (config.tags as string | undefined)),
          pool: poolOf.get(vmid) ?? null,
          template: Number(g.template ?? config.template ?? 0) === 1,
          maxdiskBytes: typeof g.maxdisk === "number" ? g.maxdisk : null,
          disks: disksOf(type, config),
        });
      }
    }
  }
  guests.sort((a, b) => a.vmid - b.vmid);
  return { nodes, guests };
}

export function guestConfig(
  client: PveClient,
  node: string,
  type: GuestType,
  vmid: number,
): Promise<Record<string, string | number>> {
  return client.get(`/nodes/${encodeURIComponent(node)}/${type}/${vmid}/config`);
}

/** PVE's tag list: `;`, `,` or spaces between tags. */
export function splitTags(tags: string | undefined): string[] {
  return (tags ?? "").split(/[;, ]+/).filter((t) => t.length > 0);
}

const QEMU_DISK = /^(scsi|sata|ide|virtio|efidisk|tpmstate)\d+$/;
const LXC_DISK = /^(rootfs|mp\d+)$/;

/** The disks of a config (`scsi0: local-lvm:vm-100-disk-0,size=32G`), cdroms left out. */
export function disksOf(type: GuestType, config: Record<string, string | number>): PveDisk[] {
  const pattern = type === "qemu" ? QEMU_DISK : LXC_DISK;
  const disks: PveDisk[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (!pattern.test(key) || typeof value !== "string") continue;
    if (/(^|,)media=cdrom(,|$)/.test(value)) continue;
    const [volume = "", ...opts] = value.split(",");
    const size = opts.find((o) => o.startsWith("size="))?.slice(5);
    disks.push({ key, volume, sizeBytes: size ? sizeToBytes(size) : null });
  }
  return disks.sort((a, b) => a.key.localeCompare(b.key));
}

export function sizeToBytes(size: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/.exec(size);
  if (!m) return null;
  const exp = { "": 0, K: 1, M: 2, G: 3, T: 4 }[m[2] as "" | "K" | "M" | "G" | "T"];
  return Math.round(Number(m[1]) * 1024 ** exp);
}

/** A config as PVE writes it under /etc/pve (`key: value` lines), without the API's digest. */
export function configText(config: Record<string, string | number>): string {
  const lines: string[] = [];
  const description = config.description;
  if (typeof description === "string") for (const line of description.split("\n")) lines.push(`#${line}`);
  for (const [key, value] of Object.entries(config).sort(([a], [b]) => a.localeCompare(b))) {
    if (key === "digest" || key === "description") continue;
    lines.push(`${key}: ${value}`);
  }
  return `${lines.join("\n")}\n`;
}
