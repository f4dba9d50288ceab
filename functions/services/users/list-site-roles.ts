import { userSiteRoles } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/** Every user's role at each of their sites (a user with none holds their role everywhere). */
export async function listSiteRoles(ctx: ServiceCtx) {
  return ctx.db.select().from(userSiteRoles);
}
