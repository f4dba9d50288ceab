import { eq } from "drizzle-orm";
import { users } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { assertAnotherAdmin } from "./assert-another-admin.ts";
import { toPublicUser } from "./to-public-user.ts";

export async function deleteUser(ctx: ServiceCtx, id: number, actingUserId: number) {
  const user = getOrThrow(await ctx.db.query.users.findFirst({ where: eq(users.id, id) }), "User", id);
  if (user.id === actingUserId) throw conflict("You cannot delete your own account; ask another admin");
  if (user.role === "admin") await assertAnotherAdmin(ctx, id);
  await ctx.db.delete(users).where(eq(users.id, id));
  return toPublicUser(user);
}
