import { and, asc, isNull, sql } from "drizzle-orm";
import { sites } from "../../db/schema/index.ts";
import type { ServiceCtx, SiteRole } from "../../deps.ts";
import { roleAllows } from "../../security/permissions.ts";

/** The sites a create or edit form offers, and whether one must be chosen. */
export interface SiteChoice {
  sites: { id: number; name: string }[];
  /** A site-scoped user acts at their sites only: "no site" is not theirs to choose. */
  required: boolean;
}

/**
 * Where a caller may put a new tape, pool, source or job: the active sites where they hold the
 * operator role (every active site for an unscoped user). The form lists these; the server still
 * checks the chosen one with the site check.
 */
export async function sitesToActAt(ctx: ServiceCtx, siteRoles: SiteRole[] | undefined): Promise<SiteChoice> {
  const operable = operableSites(siteRoles);
  if (operable?.length === 0) return { sites: [], required: true };
  const rows = await ctx.db
    .select({ id: sites.id, name: sites.name })
    .from(sites)
    .where(
      and(
        isNull(sites.retiredAt),
        operable ? sql`${sites.id} in (select value from json_each(${JSON.stringify(operable)}))` : undefined,
      ),
    )
    .orderBy(asc(sites.name))
    .limit(1000);
  return { sites: rows, required: siteRoles !== undefined };
}

const operableSites = (siteRoles: SiteRole[] | undefined) =>
  siteRoles?.filter((r) => roleAllows(r.role, "operate")).map((r) => r.siteId);

/**
 * The context a form's choices are listed through: a site-scoped caller's lists then hold only what
 * they may use (objects at their operator sites; pools and keys bound to those sites or to none),
 * not what they may merely read. The site check still decides what is sent.
 */
export function actingCtx(ctx: ServiceCtx, siteRoles: SiteRole[] | undefined): ServiceCtx {
  const operable = operableSites(siteRoles);
  return operable ? { ...ctx, sites: operable } : ctx;
}
