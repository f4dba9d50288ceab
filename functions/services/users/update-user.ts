import { eq } from "drizzle-orm";
import { z } from "zod";
import { ROLES, users } from "../../db/schema/index.ts";
import type { PasswordHasher, ServiceCtx } from "../../deps.ts";
import { hashPassword } from "../../security/passwords.ts";
import { revokeUserSessions } from "../auth/revoke-user-sessions.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { assertAnotherAdmin } from "./assert-another-admin.ts";
import { password } from "./create-user.ts";
import { toPublicUser } from "./to-public-user.ts";

export const updateUserInput = z
  .object({ password, role: z.enum(ROLES), email: z.email().max(254).nullable(), disabled: z.boolean() })
  .partial()
  .refine((v) => Object.keys(v).length > 0, "give at least one field to change");

export async function updateUser(
  ctx: ServiceCtx,
  id: number,
  input: z.output<typeof updateUserInput>,
  bcryptCost: number,
  passwords?: PasswordHasher,
) {
  const user = getOrThrow(await ctx.db.query.users.findFirst({ where: eq(users.id, id) }), "User", id);
  const losesAdmin =
    user.role === "admin" && ((input.role && input.role !== "admin") || input.disabled === true);
  if (losesAdmin) await assertAnotherAdmin(ctx, id);
  const [row] = await ctx.db
    .update(users)
    .set({
      ...(input.role ? { role: input.role } : {}),
      ...(input.email !== undefined ? { email: input.email } : {}),
      ...(input.disabled !== undefined ? { disabled: input.disabled } : {}),
      ...(input.password ? { passwordHash: await hashPassword(input.password, bcryptCost, passwords) } : {}),
      updatedAt: ctx.now(),
    })
    .where(eq(users.id, id))
    .returning();
  // A new password, a lower role or a disabled account ends every open session of the user.
  if (input.password || input.disabled || (input.role && input.role !== user.role))
    await revokeUserSessions(ctx, id);
  return toPublicUser(getOrThrow(row, "User", id));
}
