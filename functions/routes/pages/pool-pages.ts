import { renderDocument } from "../../../views/html.ts";
import { PoolsPage } from "../../../views/pages/pools.tsx";
import { RetentionPage } from "../../../views/pages/retention.tsx";
import { markMediaSet, markMediaSetInput } from "../../services/media-sets/mark-media-set.ts";
import { createPool, createPoolInput } from "../../services/pools/create-pool.ts";
import { listPoolOverview } from "../../services/pools/pool-overview.ts";
import { updatePool, updatePoolInput } from "../../services/pools/update-pool.ts";
import { retentionCalendar } from "../../services/retention/retention-calendar.ts";
import { listSites } from "../../services/sites/list-sites.ts";
import { siteFilter } from "../../services/sites/site-scope.ts";
import { principalOf, serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { can, formFields, num, ok, parseForm, siteChoice, siteField } from "./form.ts";
import type { PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

/** The pool form: a name, and either "keep forever" or "reusable N days after its last write". */
const poolForm = (f: Record<string, string>) => ({
  name: f.name,
  description: f.description ?? null,
  retentionDays: num(f.retentionDays),
  retention: f.retention === undefined ? undefined : f.retention === "keep" ? "keep" : "timespan",
  allocation: f.allocation,
  allocationCalendar: f.allocationCalendar || null,
  generation: f.generation || null,
  barcodePrefix: f.barcodePrefix || null,
  preflightLeadMinutes: num(f.preflightLeadMinutes),
  offsiteRotation: f.offsiteRotation || undefined,
  offsiteReturnDays: f.offsiteReturnDays === undefined ? undefined : num(f.offsiteReturnDays) || null,
  siteId: siteField(f.siteId),
});

/** The site a pool form names (bind or unbind), checked like the API's. */
const POOL_SITE = [{ of: "site", body: "siteId" }] as const;

/** The pools page: every pool with its capacity and tapes, and the pool forms. */
export function registerPoolPages(pages: PageRouter): void {
  pages.route(
    {
      method: "GET",
      path: "/pools",
      permission: "read",
      summary: "Pools, their tapes and capacity",
      query: siteFilter,
    },
    async (c, { query }) => {
      const ctx = serviceCtx(c);
      const [pools, sites, choice] = await Promise.all([
        listPoolOverview(ctx, query),
        listSites(ctx),
        siteChoice(c),
      ]);
      return c.html(
        renderDocument(
          PoolsPage({
            layout: await layoutFor(c),
            canOperate: can(c, "operate"),
            pools,
            sites: sites.items,
            site: query.site ?? null,
            siteChoice: choice,
          }),
        ),
      );
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/retention",
      permission: "read",
      summary: "When each pool's tapes become reusable",
    },
    async (c) =>
      c.html(
        renderDocument(
          RetentionPage({ layout: await layoutFor(c), pools: await retentionCalendar(serviceCtx(c)) }),
        ),
      ),
  );
  pages.route(
    {
      method: "POST",
      path: "/pools",
      permission: "operate",
      summary: "Create a pool",
      audit: "pool.create",
      site: [...POOL_SITE],
    },
    async (c) => {
      const f = await formFields(c);
      const pool = await createPool(serviceCtx(c), parseForm(createPoolInput, poolForm(f)));
      c.header("HX-Refresh", "true");
      return ok(c, `Pool ${pool.name} created`, 201);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/pools/:id",
      params: idParams,
      permission: "operate",
      summary: "Edit a pool",
      audit: "pool.update",
      site: [...POOL_SITE],
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const pool = await updatePool(serviceCtx(c), params.id, parseForm(updatePoolInput, poolForm(f)));
      c.header("HX-Refresh", "true");
      return ok(c, `Pool ${pool.name} saved`);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/media-sets/:id/location",
      params: idParams,
      permission: "operate",
      summary: "Mark a media set's tapes offsite, exported or returned",
      audit: "media-set.location",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const principal = principalOf(c);
      const done = await markMediaSet(
        serviceCtx(c),
        params.id,
        parseForm(markMediaSetInput, { to: f.to, location: f.location || undefined }),
        { name: principal.username, userId: principal.userId ?? null },
      );
      c.header("HX-Refresh", "true");
      return ok(c, `Media set #${done.mediaSetId}: ${done.tapes.join(", ") || "no tape"} ${done.to}`);
    },
  );
}
