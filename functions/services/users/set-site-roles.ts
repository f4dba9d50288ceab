import { eq } from "drizzle-orm";
import { z } from "zod";
import { userSiteRoles, users } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { activeSite } from "../sites/active-site.ts";

export const siteRolesInput = z.object({
  /** The user's role at each of their sites; empty: unscoped again (their role holds everywhere). */
  sites: z
    .array(z.object({ siteId: z.number().int().positive(), role: z.enum(["operator", "read-only"]) }))
    .max(1000),
});

/** Makes a user site-scoped (or unscoped with an empty list); it holds from their next request. */
export async function setSiteRoles(ctx: ServiceCtx, userId: number, input: z.output<typeof siteRolesInput>) {
  const user = getOrThrow(
    await ctx.db.query.users.findFirst({ where: eq(users.id, userId) }),
    "User",
    userId,
  );
  if (user.role === "admin" && input.sites.length > 0)
    throw conflict(`${user.username} is an admin, and admins hold every site; give them another role first`);
  for (const s of input.sites) await activeSite(ctx, s.siteId);
  await ctx.db.delete(userSiteRoles).where(eq(userSiteRoles.userId, userId));
  if (input.sites.length > 0)
    await ctx.db.insert(userSiteRoles).values(input.sites.map((s) => ({ userId, ...s })));
  return { userId, sites: input.sites };
}
