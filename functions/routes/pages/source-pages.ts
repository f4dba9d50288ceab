import { createSource, createSourceInput } from "../../services/sources/create-source.ts";
import { updateSource, updateSourceInput } from "../../services/sources/update-source.ts";
import { serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { formFields, list, ok, parseForm } from "./form.ts";
import type { PageRouter } from "./router.ts";

/** The source form's fields as the service takes them (new source and edit alike). */
const sourceForm = (f: Record<string, string>) => ({
  name: f.name,
  kind: f.kind,
  agentId: f.agentId ?? null,
  paths: list(f.paths),
  exclude: list(f.exclude),
});

/** The source forms (listed on the jobs page). */
export function registerSourcePages(pages: PageRouter): void {
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
