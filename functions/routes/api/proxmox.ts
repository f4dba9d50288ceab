import { getGuestInventory } from "../../services/guests/get-guest-inventory.ts";
import { guestBackupsQuery, listGuestBackups } from "../../services/guests/list-guest-backups.ts";
import { startGuestRestore, startGuestRestoreInput } from "../../services/guests/start-guest-restore.ts";
import { requestDiscovery } from "../../services/sources/request-discovery.ts";
import { setPveToken, setPveTokenInput } from "../../services/sources/set-pve-token.ts";
import { auditTarget, principalOf, serviceCtx } from "./context.ts";
import { type ApiRouter, idParams, pageQuery } from "./router.ts";

/** Proxmox guests (docs/adr/0016): a source's token secret (write-only), guest archives, guest restores. */
export function registerProxmoxRoutes(api: ApiRouter): void {
  api.route(
    {
      method: "PUT",
      path: "/sources/:id/pve-token",
      permission: "admin",
      tag: "sources",
      summary: "Set a Proxmox source's API token secret; stored wrapped, never shown again",
      params: idParams,
      body: setPveTokenInput,
      audit: "source.pve-token",
    },
    async (c, { params, body }) => {
      auditTarget(c, params.id);
      return c.json(await setPveToken(serviceCtx(c), c.get("deps").secrets, params.id, body));
    },
  );
  api.route(
    {
      method: "POST",
      path: "/sources/:id/discover",
      permission: "operate",
      tag: "sources",
      summary: "Ask the source's agent to list the PVE cluster's nodes and guests (a work order)",
      params: idParams,
      audit: "source.discover",
      success: { status: 202, description: "{ orderId }" },
    },
    async (c, { params }) => {
      auditTarget(c, params.id);
      return c.json(await requestDiscovery(serviceCtx(c), params.id), 202);
    },
  );
  api.route(
    {
      method: "GET",
      path: "/sources/:id/guests",
      permission: "read",
      tag: "sources",
      summary: "A Proxmox source's guests as last discovered, each with its last tape backup",
      params: idParams,
    },
    async (c, { params }) => c.json(await getGuestInventory(serviceCtx(c), params.id)),
  );
  api.route(
    {
      method: "GET",
      path: "/guest-backups",
      permission: "read",
      tag: "guests",
      summary: "Proxmox guest archives on tape (failed guests too), newest first",
      query: pageQuery.extend(guestBackupsQuery.shape),
    },
    async (c, { query }) => {
      const { limit, cursor, ...filter } = query;
      return c.json(await listGuestBackups(serviceCtx(c), { limit, cursor }, filter));
    },
  );
  api.route(
    {
      method: "POST",
      path: "/guest-backups/:id/restore",
      permission: "operate",
      tag: "guests",
      summary:
        "Restore a guest from tape through qmrestore / pct restore on its node, or write its archive to a directory",
      params: idParams,
      body: startGuestRestoreInput,
      audit: "guest.restore",
      success: { status: 202, description: "{ run, plan }" },
    },
    async (c, { params, body }) => {
      const started = await startGuestRestore(serviceCtx(c), params.id, body, principalOf(c).username);
      auditTarget(c, started.run.id, {
        guestBackupId: params.id,
        target: body.target,
        vmid: body.vmid ?? null,
      });
      return c.json(started, 202);
    },
  );
}
