import { eq } from "drizzle-orm";
import { sites } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { checkPlacement } from "./active-site.ts";
import { siteOf } from "./site-of.ts";

/**
 * A form that names a site and the object a new source or job takes its site from (its agent, its
 * source) must name one place: the object has to be at the chosen site. No site chosen: nothing
 * to agree, which a site-scoped caller may not choose (checkPlacement).
 */
export async function assertAtSite(
  ctx: ServiceCtx,
  siteId: number | null | undefined,
  object: { of: "agent" | "source"; id: string | number | null | undefined; noun: string },
): Promise<void> {
  await checkPlacement(ctx, siteId, object.noun);
  if (siteId == null) return;
  const nameOf = async (id: number | null) =>
    id === null
      ? "no site"
      : ((await ctx.db.query.sites.findFirst({ where: eq(sites.id, id) }))?.name ?? `site ${id}`);
  if (object.id == null)
    throw new AppError(
      "validation_failed",
      `Choose the ${object.of} of the ${object.noun} at ${await nameOf(siteId)}`,
    );
  const at = await siteOf(ctx, object.of, object.id);
  if (at === undefined || at === siteId) return;
  throw new AppError(
    "validation_failed",
    `The ${object.of} is at ${await nameOf(at)}, not at ${await nameOf(siteId)}: choose one at the site, or the site it is at`,
  );
}
