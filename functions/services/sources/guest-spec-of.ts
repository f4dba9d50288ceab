import { eq } from "drizzle-orm";
import type { GuestBackupSpec, JobGuests } from "../../../contracts/proxmox.ts";
import { sourceSecrets, type sources } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { ProxmoxOptions } from "./proxmox-options.ts";

/**
 * The guest part of a backup order for a Proxmox source (its token secret is sealed in at
 * delivery), undefined for a source of paths, or words for the operator when it cannot run. The
 * job's choice of guests wins over the source's (kept for jobs made before jobs chose).
 */
export async function guestSpecOf(
  ctx: ServiceCtx,
  source: typeof sources.$inferSelect,
  chosen: JobGuests | null = null,
): Promise<GuestBackupSpec | undefined | string> {
  if (source.kind !== "proxmox") return undefined;
  const parsed = ProxmoxOptions.safeParse(source.options ?? {});
  if (!parsed.success) return `Proxmox source ${source.name} has no valid API settings; edit the source`;
  const secret = await ctx.db.query.sourceSecrets.findFirst({ where: eq(sourceSecrets.sourceId, source.id) });
  if (!secret) return `Proxmox source ${source.name} has no API token secret; set it on the source`;
  const o = parsed.data;
  return {
    pve: {
      sourceId: source.id,
      apiUrl: o.apiUrl,
      tokenId: o.tokenId,
      tokenSecretJwe: null,
      fingerprint: o.fingerprint,
      node: o.node,
    },
    selection: chosen?.selection ?? o.selection,
    mode: chosen?.mode ?? o.mode,
  };
}
