import { z } from "zod";
import { renderDocument } from "../../../views/html.ts";
import { GuestsPage } from "../../../views/pages/guests.tsx";
import { getGuestInventory } from "../../services/guests/get-guest-inventory.ts";
import { startGuestRestore, startGuestRestoreInput } from "../../services/guests/start-guest-restore.ts";
import { requestDiscovery } from "../../services/sources/request-discovery.ts";
import { principalOf, serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { can, formFields, num, ok, parseForm } from "./form.ts";
import type { PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

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

/** A Proxmox source's guests page, its discovery button and the guest restore form. */
export function registerGuestPages(pages: PageRouter): void {
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
