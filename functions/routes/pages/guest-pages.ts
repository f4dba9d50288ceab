import { z } from "zod";
import { renderDocument } from "../../../views/html.ts";
import { AllGuestsPage, GuestsPage } from "../../../views/pages/guests.tsx";
import { guestFieldName } from "../../../views/partials/guest-selection-fields.tsx";
import { getGuestInventory } from "../../services/guests/get-guest-inventory.ts";
import { listGuestInventories } from "../../services/guests/list-guest-inventories.ts";
import { startGuestRestore, startGuestRestoreInput } from "../../services/guests/start-guest-restore.ts";
import { assertAtSite } from "../../services/sites/assert-at-site.ts";
import { createSource, createSourceInput } from "../../services/sources/create-source.ts";
import { requestDiscovery } from "../../services/sources/request-discovery.ts";
import { setPveToken, setPveTokenInput } from "../../services/sources/set-pve-token.ts";
import { updateSource, updateSourceInput } from "../../services/sources/update-source.ts";
import { principalOf, serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { can, formFields, list, num, ok, parseForm, siteField } from "./form.ts";
import type { PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";
import { SOURCE_SITE } from "./source-pages.ts";

const restoreParams = z.object({
  id: z.coerce.number().int().positive(),
  backupId: z.coerce.number().int().positive(),
});

/** The guest restore form as the service takes it. */
const restoreForm = (f: Record<string, string>) => ({
  target: f.target,
  vmid: num(f.vmid || undefined),
  storage: f.storage || null,
  overwrite: f.overwrite === "1",
  destination: f.destination || undefined,
});

/** The guests pages (all sources, one source), the discovery button and the guest restore form. */
export function registerGuestPages(pages: PageRouter): void {
  pages.route(
    { method: "GET", path: "/guests", permission: "read", summary: "Every Proxmox source's guests" },
    async (c) =>
      c.html(
        renderDocument(
          AllGuestsPage({
            layout: await layoutFor(c),
            canOperate: can(c, "operate"),
            inventories: await listGuestInventories(serviceCtx(c)),
          }),
        ),
      ),
  );
  pages.route(
    {
      method: "GET",
      path: "/sources/:id/guests",
      params: idParams,
      permission: "read",
      summary: "A Proxmox source's guests",
    },
    async (c, { params }) =>
      c.html(
        renderDocument(
          GuestsPage({
            layout: await layoutFor(c),
            canOperate: can(c, "operate"),
            inventory: await getGuestInventory(serviceCtx(c), params.id),
          }),
        ),
      ),
  );
  pages.route(
    {
      method: "POST",
      path: "/sources/:id/discover",
      params: idParams,
      permission: "operate",
      summary: "Discover a Proxmox source's guests",
      audit: "source.discover",
    },
    async (c, { params }) => {
      await requestDiscovery(serviceCtx(c), params.id);
      return ok(c, "Discovery asked of the agent on the PVE node; reload in a moment", 202);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/sources/:id/guest-backups/:backupId/restore",
      params: restoreParams,
      permission: "operate",
      summary: "Restore a guest from tape",
      audit: "guest.restore",
    },
    async (c, { params }) => {
      const input = parseForm(startGuestRestoreInput, restoreForm(await formFields(c)));
      const { run, plan } = await startGuestRestore(
        serviceCtx(c),
        params.backupId,
        input,
        principalOf(c).username,
      );
      const tapes = plan.tapes.map((t) => t.barcode).join(", ");
      return ok(c, `Restore run ${run.id} queued; it reads tape ${tapes}`, 202);
    },
  );
}

/**
 * The guests and vzdump mode of GuestSelectionFields' fields (prefix "" on the source form,
 * "guest" on the job form); null when a job leaves the choice to its source.
 */
export function guestChoiceForm(f: Record<string, string | undefined>, prefix: string) {
  const field = (key: string) => f[guestFieldName(prefix, key)];
  const by = field("by") ?? (prefix ? "" : "all");
  if (!by) return null;
  const items = list(field("values"));
  return {
    selection: {
      by,
      ids: by === "ids" ? items.map(Number) : [],
      tags: by === "tags" ? items : [],
      pools: by === "pools" ? items : [],
      exclude: list(field("exclude")).map(Number),
      includeTemplates: field("includeTemplates") === "1",
    },
    mode: field("mode") ?? "snapshot",
  };
}

/** The Proxmox source form as createSource takes it (the secret goes apart, to setPveToken). */
export function proxmoxSourceForm(f: Record<string, string>) {
  return {
    source: {
      name: f.name,
      kind: "proxmox",
      agentId: f.agentId ?? null,
      paths: [],
      options: {
        apiUrl: f.apiUrl,
        tokenId: f.tokenId,
        fingerprint: f.fingerprint || null,
        node: f.node,
        ...guestChoiceForm(f, ""),
      },
    },
    secret: f.tokenSecret ? { secret: f.tokenSecret } : null,
  };
}

/** New and edited Proxmox sources: admin, since the form carries the token secret. */
export function registerProxmoxSourcePages(pages: PageRouter): void {
  pages.route(
    {
      method: "POST",
      path: "/proxmox-sources",
      permission: "admin",
      summary: "Create a Proxmox source",
      audit: "source.create",
      site: [...SOURCE_SITE],
    },
    async (c) => {
      const f = await formFields(c);
      const form = proxmoxSourceForm(f);
      if (!form.secret) return ok(c, "Give the API token secret", 200);
      await assertAtSite(serviceCtx(c), siteField(f.siteId), { of: "agent", id: f.agentId, noun: "source" });
      const secret = parseForm(setPveTokenInput, form.secret);
      const source = await createSource(serviceCtx(c), parseForm(createSourceInput, form.source));
      await setPveToken(serviceCtx(c), c.get("deps").secrets, source.id, secret);
      c.header("HX-Refresh", "true");
      return ok(c, `Source ${source.name} created`, 201);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/proxmox-sources/:id",
      params: idParams,
      permission: "admin",
      summary: "Edit a Proxmox source",
      audit: "source.update",
      site: [...SOURCE_SITE],
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const form = proxmoxSourceForm(f);
      await assertAtSite(serviceCtx(c), siteField(f.siteId), { of: "agent", id: f.agentId, noun: "source" });
      const { kind: _kind, paths: _paths, ...change } = form.source;
      const source = await updateSource(serviceCtx(c), params.id, parseForm(updateSourceInput, change));
      if (form.secret)
        await setPveToken(
          serviceCtx(c),
          c.get("deps").secrets,
          params.id,
          parseForm(setPveTokenInput, form.secret),
        );
      c.header("HX-Refresh", "true");
      return ok(c, `Source ${source.name} saved`);
    },
  );
}
