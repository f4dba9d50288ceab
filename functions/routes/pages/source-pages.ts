import { renderDocument } from "../../../views/html.ts";
import { SourcesPage } from "../../../views/pages/sources.tsx";
import { listAgents } from "../../services/agents/list-agents.ts";
import { createSource, createSourceInput } from "../../services/sources/create-source.ts";
import { listSources } from "../../services/sources/list-sources.ts";
import { updateSource, updateSourceInput } from "../../services/sources/update-source.ts";
import { serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { can, formFields, list, ok, parseForm } from "./form.ts";
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

/** The sources page and its forms. */
export function registerSourcePages(pages: PageRouter): void {
  pages.route({ method: "GET", path: "/sources", permission: "read", summary: "Sources" }, async (c) => {
    const ctx = serviceCtx(c);
    const [sources, agents] = await Promise.all([listSources(ctx, { limit: 500 }), listAgents(ctx)]);
    return c.html(
      renderDocument(
        SourcesPage({
          layout: await layoutFor(c),
          canOperate: can(c, "operate"),
          canAdmin: can(c, "admin"),
          sources: sources.items,
          agents: agents.items,
        }),
      ),
    );
  });
  pages.route(
    {
      method: "POST",
      path: "/sources",
      permission: "operate",
      summary: "Create a source",
      audit: "source.create",
    },
    async (c) => {
      const f = await formFields(c);
      const source = await createSource(serviceCtx(c), parseForm(createSourceInput, sourceForm(f)));
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
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const source = await updateSource(
        serviceCtx(c),
        params.id,
        parseForm(updateSourceInput, sourceForm(f)),
      );
      c.header("HX-Refresh", "true");
      return ok(c, `Source ${source.name} saved`);
    },
  );
}
