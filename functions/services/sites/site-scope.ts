import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import type { ServiceCtx } from "../../deps.ts";

/** The `site` filter every list and the dashboard take (a site id). */
export const siteFilter = z.object({ site: z.coerce.number().int().positive().optional() });

/**
 * The rows of a list a caller may see, and of the site they asked for: `where` is the row's site
 * (a column or a correlated expression). A site-scoped caller (ctx.sites) sees only their sites'
 * rows; a row at no site is hub-wide and shown to unscoped callers only.
 */
export function siteWhere(
  ctx: ServiceCtx,
  where: SQLiteColumn | SQL,
  site: number | undefined,
): SQL | undefined {
  const visible = ctx.sites;
  if (site !== undefined) {
    if (visible && !visible.includes(site)) return sql`0`;
    return sql`${where} = ${site}`;
  }
  if (!visible) return undefined;
  if (visible.length === 0) return sql`0`;
  return sql`${where} in (${sql.join(
    visible.map((id) => sql`${id}`),
    sql`, `,
  )})`;
}

/** Whether a caller may see an object at `site` (null: at no site). */
export function siteVisible(ctx: ServiceCtx, site: number | null | undefined): boolean {
  return !ctx.sites || (site != null && ctx.sites.includes(site));
}
