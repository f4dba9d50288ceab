import { renderDocument } from "../../../views/html.ts";
import { SitesPage } from "../../../views/pages/sites.tsx";
import { createSite, createSiteInput } from "../../services/sites/create-site.ts";
import { listSites } from "../../services/sites/list-sites.ts";
import { retireSite } from "../../services/sites/retire-site.ts";
import { updateSite, updateSiteInput } from "../../services/sites/update-site.ts";
import { moveTapes, moveTapesInput } from "../../services/tapes/move-tapes.ts";
import { auditTarget, principalOf, serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { can, formFields, ok, parseForm } from "./form.ts";
import type { PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

/** The Sites page (admins create, change and retire sites) and the tape page's move action. */
export function registerSitePages(pages: PageRouter): void {
  pages.route({ method: "GET", path: "/sites", permission: "read", summary: "Sites" }, async (c) => {
    const { items } = await listSites(serviceCtx(c));
    return c.html(
      renderDocument(SitesPage({ layout: await layoutFor(c), isAdmin: can(c, "admin"), sites: items })),
    );
  });
  pages.route(
    { method: "POST", path: "/sites", permission: "admin", summary: "Create a site", audit: "site.create" },
    async (c) => {
      const f = await formFields(c);
      const site = await createSite(serviceCtx(c), parseForm(createSiteInput, f));
      auditTarget(c, site.id, { name: site.name });
      c.set("auditSite", site.id);
      return ok(c, `Site ${site.name} created`, 201);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/sites/:id",
      params: idParams,
      permission: "admin",
      summary: "Rename a site or change its zone, contact or notes",
      audit: "site.update",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      // An emptied field clears it: the form always sends every field.
      const input = parseForm(updateSiteInput, {
        name: f.name,
        timeZone: f.timeZone ?? "",
        contact: f.contact ?? null,
        notes: f.notes ?? null,
      });
      const site = await updateSite(serviceCtx(c), params.id, input);
      return ok(c, `Site ${site.name} saved`);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/sites/:id/retire",
      params: idParams,
      permission: "admin",
      summary: "Retire a site",
      audit: "site.retire",
    },
    async (c, { params }) => {
      const site = await retireSite(serviceCtx(c), params.id);
      return ok(c, `Site ${site.name} is retired`);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/tapes/:id/move",
      params: idParams,
      permission: "operate",
      summary: "Record that a tape was carried to another site",
      audit: "tape.move",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const input = parseForm(moveTapesInput, {
        toSiteId: f.toSiteId ? Number(f.toSiteId) : undefined,
        location: f.location,
        note: f.note,
      });
      auditTarget(c, params.id, { toSiteId: input.toSiteId });
      const moved = await moveTapes(serviceCtx(c), { tapeId: params.id }, input, principalOf(c).username);
      return ok(c, `Moved to ${moved.site.name}: ${moved.moved.map((t) => t.barcode).join(", ")}`);
    },
  );
}
