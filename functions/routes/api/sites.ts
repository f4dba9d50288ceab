import { z } from "zod";
import { createSite, createSiteInput } from "../../services/sites/create-site.ts";
import { getSite } from "../../services/sites/get-site.ts";
import { listSites } from "../../services/sites/list-sites.ts";
import { retireSite } from "../../services/sites/retire-site.ts";
import { updateSite, updateSiteInput } from "../../services/sites/update-site.ts";
import { moveTapes, moveTapesInput } from "../../services/tapes/move-tapes.ts";
import { setSiteRoles, siteRolesInput } from "../../services/users/set-site-roles.ts";
import { auditTarget, principalOf, serviceCtx } from "./context.ts";
import { type ApiRouter, idParams } from "./router.ts";

/** Sites (docs/adr/0017): admins shape them and scope users to them; operators carry tapes between them. */
export function registerSiteRoutes(api: ApiRouter): void {
  const tag = "sites";
  api.route(
    { method: "GET", path: "/sites", permission: "read", tag, summary: "Sites, by name (retired last)" },
    async (c) => c.json(await listSites(serviceCtx(c))),
  );
  api.route(
    { method: "GET", path: "/sites/:id", permission: "read", tag, summary: "Get a site", params: idParams },
    async (c, { params }) => c.json(await getSite(serviceCtx(c), params.id)),
  );
  api.route(
    {
      method: "POST",
      path: "/sites",
      permission: "admin",
      tag,
      summary: "Create a site: name, IANA time zone, contact, notes",
      body: createSiteInput,
      audit: "site.create",
      success: { status: 201, description: "The new site" },
    },
    async (c, { body }) => {
      const site = await createSite(serviceCtx(c), body);
      auditTarget(c, site.id, { name: site.name });
      c.set("auditSite", site.id);
      return c.json(site, 201);
    },
  );
  api.route(
    {
      method: "PATCH",
      path: "/sites/:id",
      permission: "admin",
      tag,
      summary: "Rename a site or change its time zone, contact or notes",
      params: idParams,
      body: updateSiteInput,
      audit: "site.update",
    },
    async (c, { params, body }) => {
      auditTarget(c, params.id, { fields: Object.keys(body) });
      return c.json(await updateSite(serviceCtx(c), params.id, body));
    },
  );
  api.route(
    {
      method: "POST",
      path: "/sites/:id/retire",
      permission: "admin",
      tag,
      summary: "Retire a site: it keeps its history and takes nothing new; refused while an agent is there",
      params: idParams,
      audit: "site.retire",
    },
    async (c, { params }) => c.json(await retireSite(serviceCtx(c), params.id)),
  );
  api.route(
    {
      method: "PUT",
      path: "/users/:id/site-roles",
      permission: "admin",
      tag,
      summary: "Scope a user to some sites (operator or read-only at each); an empty list unscopes them",
      params: idParams,
      body: siteRolesInput,
      audit: "user.site-roles",
    },
    async (c, { params, body }) => {
      auditTarget(c, params.id, { sites: body.sites });
      return c.json(await setSiteRoles(serviceCtx(c), params.id, body));
    },
  );
  api.route(
    {
      method: "POST",
      path: "/tapes/:id/move",
      permission: "operate",
      tag,
      summary: "Record that a tape was carried to another site (it leaves its changer slot here)",
      params: idParams,
      body: moveTapesInput,
      audit: "tape.move",
    },
    async (c, { params, body }) => {
      auditTarget(c, params.id, { toSiteId: body.toSiteId });
      return c.json(await moveTapes(serviceCtx(c), { tapeId: params.id }, body, principalOf(c).username));
    },
  );
  api.route(
    {
      method: "POST",
      path: "/media-sets/:id/move",
      permission: "operate",
      tag,
      summary: "Record that every tape of a media set was carried to another site",
      params: z.object({ id: z.coerce.number().int().positive() }),
      body: moveTapesInput,
      audit: "media-set.move",
    },
    async (c, { params, body }) => {
      auditTarget(c, params.id, { toSiteId: body.toSiteId });
      return c.json(await moveTapes(serviceCtx(c), { mediaSetId: params.id }, body, principalOf(c).username));
    },
  );
}
