import { isNull, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import type { ServiceCtx } from "../../deps.ts";
import { idsAtSites, type SiteObject } from "./site-of.ts";

/** The `site` filter every list and the dashboard take (a site id). */
export const siteFilter = z.object({ site: z.coerce.number().int().positive().optional() });
export type SiteFilter = z.output<typeof siteFilter>;

/**
 * The rows of a list a caller may see, and of the site they asked for. `at` is the row's site
 * column, or the kind and id column of rows whose site comes through others (a job's through its
 * source's agent). A site-scoped caller (ctx.sites) sees only their sites' rows; a row at no site
 * is hub-wide and shown to unscoped callers only.
 */
export function siteWhere(
  ctx: ServiceCtx,
  at: { column: SQLiteColumn } | { kind: SiteObject; id: SQLiteColumn },
  site: number | undefined,
): SQL | undefined {
  const visible = ctx.sites;
  let wanted: readonly number[] | undefined = visible;
  if (site !== undefined) wanted = visible && !visible.includes(site) ? [] : [site];
  if (!wanted) return undefined;
  if (wanted.length === 0) return sql`0`;
  const list = sql.join(
    wanted.map((id) => sql`${id}`),
    sql`, `,
  );
  return "column" in at ? sql`${at.column} in (${list})` : sql`${at.id} in (${idsAtSites(at.kind, list)})`;
}

/**
 * As siteWhere, for objects that a site may be bound to and that serve every site when not (pools,
 * encryption keys): a scoped caller sees their sites' rows and the unbound ones.
 */
export function siteWhereOrUnbound(ctx: ServiceCtx, column: SQLiteColumn): SQL | undefined {
  const at = siteWhere(ctx, { column }, undefined);
  return at ? or(at, isNull(column)) : undefined;
}

/** Whether a caller may see an object at `site` (null: at no site). */
export function siteVisible(ctx: ServiceCtx, site: number | null | undefined): boolean {
  return !ctx.sites || (site != null && ctx.sites.includes(site));
}
