import { z } from "zod";

/**
 * What hub and agent agree on about Proxmox VE guests (docs/adr/0016): how the agent reaches the
 * PVE API, which guests a job backs up, what it reports per guest, and where a guest lies in a set.
 */

export const GUEST_TYPES = ["qemu", "lxc"] as const;
export type GuestType = (typeof GUEST_TYPES)[number];
export const VZDUMP_MODES = ["snapshot", "suspend", "stop"] as const;

/** A SHA-256 certificate fingerprint as PVE shows it (AA:BB:…, 32 pairs); case and colons free. */
export const CertFingerprint = z
  .string()
  .trim()
  .transform((s) => s.replace(/:/g, "").toUpperCase())
  .pipe(z.string().regex(/^[0-9A-F]{64}$/, "must be a SHA-256 fingerprint (64 hex digits, colons allowed)"))
  .transform((hex) => hex.match(/../g)?.join(":") ?? hex);

/** `USER@REALM!TOKENID`, as the token's page in PVE names it. */
export const PveTokenId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+![A-Za-z][A-Za-z0-9._-]*$/, "must look like user@realm!tokenid");

export const PveApiUrl = z
  .string()
  .trim()
  .url()
  .refine((u) => u.startsWith("https://"), "must be an https:// URL (PVE serves its API over TLS only)")
  .transform((u) => u.replace(/\/+$/, "").replace(/\/api2\/json$/, ""));

const vmid = z.number().int().min(100).max(999_999_999);
const nodeName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/)
  .max(63);
const label = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$/);

/** Which guests a job backs up; resolved by the agent against the API when the run starts. */
export const GuestSelection = z.object({
  by: z.enum(["all", "ids", "tags", "pools"]),
  ids: z.array(vmid).max(1000).default([]),
  tags: z.array(label).max(100).default([]),
  pools: z.array(label).max(100).default([]),
  exclude: z.array(vmid).max(1000).default([]),
  includeTemplates: z.boolean().default(false),
});
export type GuestSelection = z.output<typeof GuestSelection>;

/** What a job over a Proxmox source backs up: its guests and vzdump's mode (the source says where). */
export const JobGuests = z.object({
  selection: GuestSelection,
  mode: z.enum(VZDUMP_MODES).default("snapshot"),
});
export type JobGuests = z.output<typeof JobGuests>;

/** The fields of a guest that a selection reads (a discovered guest or the API's list). */
type SelectableGuest = { vmid: number; node: string; template: boolean; tags: string[]; pool: string | null };

/** The guests of `node` a selection names, in the order given; templates only when asked. */
export function selectGuests<G extends SelectableGuest>(
  guests: readonly G[],
  selection: GuestSelection,
  node: string,
): G[] {
  const excluded = new Set(selection.exclude);
  return guests.filter((g) => {
    if (g.node !== node || excluded.has(g.vmid)) return false;
    if (g.template && !selection.includeTemplates) return false;
    if (selection.by === "ids") return selection.ids.includes(g.vmid);
    if (selection.by === "tags") return g.tags.some((t) => selection.tags.includes(t));
    if (selection.by === "pools") return g.pool !== null && selection.pools.includes(g.pool);
    return true;
  });
}

/** Ids the selection names by id that the node does not have: said in the run's log and the preview. */
export function missingIds(
  guests: readonly SelectableGuest[],
  selection: GuestSelection,
  node: string,
): number[] {
  if (selection.by !== "ids") return [];
  const here = new Set(guests.filter((g) => g.node === node).map((g) => g.vmid));
  return selection.ids.filter((id) => !here.has(id) && !selection.exclude.includes(id));
}

/** The PVE API as an order hands it to the agent: the token secret sealed to the agent's key. */
export const PveConnection = z.object({
  /** The hub's source: at each delivery the hub seals that source's token secret in here. */
  sourceId: z.number().int().positive(),
  apiUrl: PveApiUrl,
  tokenId: PveTokenId,
  /** The token secret as a compact JWE (ECDH-ES+A256KW, A256GCM) to the agent's X25519 key; null as queued. */
  tokenSecretJwe: z.string().max(4096).nullable(),
  /** Pinned SHA-256 of the node's certificate; null: the system store must trust it. */
  fingerprint: CertFingerprint.nullable(),
  /** The node the agent runs on: vzdump and restores run here. */
  node: nodeName,
});
export type PveConnection = z.output<typeof PveConnection>;

/** The guest part of a backup order. */
export const GuestBackupSpec = z.object({
  pve: PveConnection,
  selection: GuestSelection,
  mode: z.enum(VZDUMP_MODES),
});
export type GuestBackupSpec = z.output<typeof GuestBackupSpec>;

/** One guest's outcome in a backup's result. */
export const GuestOutcome = z.object({
  vmid,
  type: z.enum(GUEST_TYPES),
  name: z.string().max(256),
  node: nodeName,
  state: z.enum(["completed", "failed"]),
  /** Archive bytes vzdump produced (all parts), and their sha256 (null when it failed). */
  bytes: z.number().int().min(0),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  /** Tar path of the archive's parts without the part number, and of the config beside it. */
  archive: z.string().max(4096),
  config: z.string().max(4096).nullable(),
  parts: z.number().int().min(0),
  error: z.string().max(2000).nullable(),
});
export type GuestOutcome = z.output<typeof GuestOutcome>;

/**
 * Where a guest restore sends the archive it reads from tape: into qmrestore / pct restore on
 * the agent's node ("pve"), or into one file under the order's destination ("file").
 */
export const GuestRestoreSpec = z.object({
  target: z.enum(["pve", "file"]),
  type: z.enum(GUEST_TYPES),
  /** The id it was backed up as, and the id to restore as (the same, or a new one). */
  fromVmid: vmid,
  vmid,
  /** The archive's file name (vzdump's), for the "file" target and the operator's words. */
  archiveName: z.string().regex(/^vzdump-(qemu|lxc)-\d+-[0-9_-]+\.(vma|tar)$/),
  storage: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/)
    .nullable(),
  /** Overwrite an existing (stopped) guest of that id; a running one is always refused. */
  overwrite: z.boolean(),
  /** The PVE API of the node to restore on; null for the "file" target. */
  pve: PveConnection.nullable(),
  /** The whole archive's sha256 from the backup: checked when the last part is read. */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
});
export type GuestRestoreSpec = z.output<typeof GuestRestoreSpec>;

/** Directory of a guest in a set; its archive parts, config and guest.json lie in it. */
export const guestDir = (node: string, type: GuestType, id: number) => `proxmox/${node}/${type}-${id}`;

/** The part number's suffix: `.000000`, `.000001`, … (six digits sort the parts by name too). */
export const partSuffix = (n: number) => `.${String(n).padStart(6, "0")}`;
export const GUEST_PART_RE = /\.(\d{6})$/;

/** What a discovery finds: the cluster's nodes, and the guests of its online nodes. */
export const PveInventory = z.object({
  nodes: z.array(z.object({ node: z.string().max(63), status: z.string().max(32) })).max(1000),
  guests: z
    .array(
      z.object({
        vmid,
        type: z.enum(GUEST_TYPES),
        name: z.string().max(256),
        node: z.string().max(63),
        status: z.string().max(32),
        tags: z.array(z.string().max(128)).max(100),
        pool: z.string().max(128).nullable(),
        template: z.boolean(),
        maxdiskBytes: z.number().int().min(0).nullable(),
        disks: z
          .array(
            z.object({
              key: z.string().max(32),
              volume: z.string().max(512),
              sizeBytes: z.number().int().min(0).nullable(),
            }),
          )
          .max(64),
      }),
    )
    .max(10_000),
});
export type PveInventory = z.output<typeof PveInventory>;
