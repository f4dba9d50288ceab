import { z } from "zod";
import type { ServiceCtx } from "../../deps.ts";
import type { Permission } from "../../security/permissions.ts";
import type { Page, PageRequest } from "../../services/shared/pagination.ts";
import { auditTarget, serviceCtx } from "./context.ts";
import { type ApiRouter, idParams, pageQuery } from "./router.ts";
import type { SiteRef } from "./site-check.ts";

interface Crud<
  Row extends { id: number },
  Create extends z.ZodType,
  Update extends z.ZodType,
  Filter extends z.ZodObject,
> {
  /** Collection path, e.g. "/pools"; the item path is `${path}/:id`. */
  path: string;
  /** Singular noun for summaries and audit actions, e.g. "pool". */
  noun: string;
  tag: string;
  read: Permission;
  write: Permission;
  filter?: Filter;
  /** Body fields of create and update naming an object at a site (a pool's siteId, a job's sourceId). */
  site?: SiteRef[];
  list: (ctx: ServiceCtx, page: PageRequest, filter: z.output<Filter>) => Promise<Page<Row>>;
  get: (ctx: ServiceCtx, id: number) => Promise<Row>;
  createInput: Create;
  create: (ctx: ServiceCtx, input: z.output<Create>) => Promise<Row>;
  updateInput: Update;
  update: (ctx: ServiceCtx, id: number, input: z.output<Update>) => Promise<Row>;
  remove: (ctx: ServiceCtx, id: number) => Promise<Row>;
}

/** The five CRUD routes of a plain catalog resource, all declared (and so permission-checked) alike. */
export function crudRoutes<
  Row extends { id: number },
  C extends z.ZodType,
  U extends z.ZodType,
  F extends z.ZodObject,
>(api: ApiRouter, def: Crud<Row, C, U, F>): void {
  const { path, noun, tag } = def;
  const query = def.filter ? pageQuery.extend(def.filter.shape) : pageQuery;
  api.route(
    { method: "GET", path, permission: def.read, tag, summary: `List ${noun}s (paginated)`, query },
    async (c, { query }) => {
      const { limit, cursor, ...filter } = query as z.output<typeof pageQuery> & Record<string, unknown>;
      return c.json(await def.list(serviceCtx(c), { limit, cursor }, filter as z.output<F>));
    },
  );
  api.route(
    {
      method: "GET",
      path: `${path}/:id`,
      permission: def.read,
      tag,
      summary: `Get one ${noun}`,
      params: idParams,
    },
    async (c, { params }) => c.json(await def.get(serviceCtx(c), params.id)),
  );
  api.route(
    {
      method: "POST",
      path,
      permission: def.write,
      tag,
      summary: `Create a ${noun}`,
      body: def.createInput,
      audit: `${noun}.create`,
      ...(def.site ? { site: def.site } : {}),
      success: { status: 201, description: `The new ${noun}` },
    },
    async (c, { body }) => {
      const row = await def.create(serviceCtx(c), body as z.output<C>);
      auditTarget(c, row.id);
      return c.json(row, 201);
    },
  );
  api.route(
    {
      method: "PATCH",
      path: `${path}/:id`,
      permission: def.write,
      tag,
      summary: `Change fields of a ${noun}`,
      params: idParams,
      body: def.updateInput,
      audit: `${noun}.update`,
      ...(def.site ? { site: def.site } : {}),
    },
    async (c, { params, body }) => {
      auditTarget(c, params.id, { fields: Object.keys(body as object) });
      return c.json(await def.update(serviceCtx(c), params.id, body as z.output<U>));
    },
  );
  api.route(
    {
      method: "DELETE",
      path: `${path}/:id`,
      permission: def.write,
      tag,
      summary: `Delete a ${noun}`,
      params: idParams,
      audit: `${noun}.delete`,
      success: { status: 204, description: "Deleted" },
    },
    async (c, { params }) => {
      auditTarget(c, params.id);
      await def.remove(serviceCtx(c), params.id);
      return c.body(null, 204);
    },
  );
}

export const emptyFilter = z.object({});
