import { eq } from "drizzle-orm";
import { z } from "zod";
import { ROLES, users } from "../../db/schema/index.ts";
import type { PasswordHasher, ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { hashPassword, MIN_PASSWORD_LENGTH } from "../../security/passwords.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { toPublicUser } from "./to-public-user.ts";

const username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,63}$/,
    "use 1-64 of a-z, 0-9, '.', '_', '-' starting with a letter or digit",
  );

export const password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(1024, "must be at most 1024 characters");

export const createUserInput = z.object({
  username,
  password,
  role: z.enum(ROLES),
  email: z.email().max(254).nullish(),
  disabled: z.boolean().default(false),
});

export async function createUser(
  ctx: ServiceCtx,
  input: z.output<typeof createUserInput>,
  bcryptCost: number,
  passwords?: PasswordHasher,
) {
  const existing = await ctx.db.query.users.findFirst({ where: eq(users.username, input.username) });
  if (existing) throw conflict(`User ${input.username} already exists`);
  const now = ctx.now();
  const [row] = await ctx.db
    .insert(users)
    .values({
      username: input.username,
      passwordHash: await hashPassword(input.password, bcryptCost, passwords),
      role: input.role,
      email: input.email ?? null,
      disabled: input.disabled,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return toPublicUser(getOrThrow(row, "User", input.username));
}
