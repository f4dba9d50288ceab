import { renderDocument } from "../../../views/html.ts";
import { SourcesPage } from "../../../views/pages/sources.tsx";
import { listAgents } from "../../services/agents/list-agents.ts";
import { assertAtSite } from "../../services/sites/assert-at-site.ts";
import { listSites } from "../../services/sites/list-sites.ts";
import { siteFilter } from "../../services/sites/site-scope.ts";
import { createSource, createSourceInput } from "../../services/sources/create-source.ts";
import { listSources } from "../../services/sources/list-sources.ts";
import { updateSource, updateSourceInput } from "../../services/sources/update-source.ts";
import { serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { can, formFields, list, ok, parseForm, siteChoice, siteField } from "./form.ts";
import type { PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

/** The source form's fields as the service takes them (new source and edit alike). */
const sourceForm = (f: Record<string, string>) => ({
  name: f.name,
  kind: f.kind,
  agentId: f.agentId ?? null,
  paths: list(f.paths),
  exclude: list(f.exclude),
});

/** A source form names a site and an agent: both are checked (the one site check), and must agree. */
export const SOURCE_SITE = [
  { of: "site", body: "siteId" },
  { of: "agent", body: "agentId" },
] as const;

/** The sources page and its forms. */
export function registerSourcePages(pages: PageRouter): void {
  pages.route(
    { method: "GET", path: "/sources", permission: "read", summary: "Sources", query: siteFilter },
    async (c, { query }) => {
      const ctx = serviceCtx(c);
      const [sources, agents, sites, choice] = await Promise.all([
        listSources(ctx, { limit: 500 }, query),
        listAgents(ctx),
        listSites(ctx),
        siteChoice(c),
      ]);
      return c.html(
        renderDocument(
          SourcesPage({
            layout: await layoutFor(c),
            canOperate: can(c, "operate"),
            canAdmin: can(c, "admin"),
            sources: sources.items,
            agents: agents.items,
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
      method: "POST",
      path: "/sources",
      permission: "operate",
      summary: "Create a source",
      audit: "source.create",
      site: [...SOURCE_SITE],
    },
    async (c) => {
      const f = await formFields(c);
      const input = parseForm(createSourceInput, sourceForm(f));
      await assertAtSite(serviceCtx(c), siteField(f.siteId), { of: "agent", id: f.agentId, noun: "source" });
      const source = await createSource(serviceCtx(c), input);
      c.header("HX-Refresh", "true");
      return ok(c, `Source ${source.name} created`, 201);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/sources/:id",
      params: idParams,
      permission: "operate",
      summary: "Edit a source",
      audit: "source.update",
      site: [...SOURCE_SITE],
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const input = parseForm(updateSourceInput, sourceForm(f));
      await assertAtSite(serviceCtx(c), siteField(f.siteId), { of: "agent", id: f.agentId, noun: "source" });
      const source = await updateSource(serviceCtx(c), params.id, input);
      c.header("HX-Refresh", "true");
      return ok(c, `Source ${source.name} saved`);
    },
  );
}
