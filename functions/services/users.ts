import { and, count, eq, ne } from "drizzle-orm";
import { z } from "zod";
import { ROLES, type Role, users } from "../db/schema/index.ts";
import type { ServiceCtx } from "../deps.ts";
import { AppError, conflict } from "../errors.ts";
import { hashPassword, MIN_PASSWORD_LENGTH } from "../security/passwords.ts";
import { revokeUserSessions } from "./auth/sessions.ts";
import { getOrThrow, type PageRequest, pageWhere, toPage } from "./shared.ts";

type UserRow = typeof users.$inferSelect;

export function toPublicUser(user: UserRow) {
  const { passwordHash: _secret, ...rest } = user;
  return rest;
}

const username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,63}$/,
    "use 1-64 of a-z, 0-9, '.', '_', '-' starting with a letter or digit",
  );
const password = z
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

export const updateUserInput = z
  .object({ password, role: z.enum(ROLES), email: z.email().max(254).nullable(), disabled: z.boolean() })
  .partial()
  .refine((v) => Object.keys(v).length > 0, "give at least one field to change");

export async function listUsers(ctx: ServiceCtx, page: PageRequest) {
  const rows = await ctx.db.query.users.findMany(pageWhere(users.id, page, "asc"));
  const result = toPage(rows, page);
  return { ...result, items: result.items.map(toPublicUser) };
}

export async function getUser(ctx: ServiceCtx, id: number) {
  return toPublicUser(
    getOrThrow(await ctx.db.query.users.findFirst({ where: eq(users.id, id) }), "User", id),
  );
}

export async function createUser(
  ctx: ServiceCtx,
  input: z.output<typeof createUserInput>,
  bcryptCost: number,
) {
  const existing = await ctx.db.query.users.findFirst({ where: eq(users.username, input.username) });
  if (existing) throw conflict(`User ${input.username} already exists`);
  const now = ctx.now();
  const [row] = await ctx.db
    .insert(users)
    .values({
      username: input.username,
      passwordHash: await hashPassword(input.password, bcryptCost),
      role: input.role,
      email: input.email ?? null,
      disabled: input.disabled,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return toPublicUser(getOrThrow(row, "User", input.username));
}

export async function updateUser(
  ctx: ServiceCtx,
  id: number,
  input: z.output<typeof updateUserInput>,
  bcryptCost: number,
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
      ...(input.password ? { passwordHash: await hashPassword(input.password, bcryptCost) } : {}),
      updatedAt: ctx.now(),
    })
    .where(eq(users.id, id))
    .returning();
  // A new password, a lower role or a disabled account ends every open session of the user.
  if (input.password || input.disabled || (input.role && input.role !== user.role))
    await revokeUserSessions(ctx, id);
  return toPublicUser(getOrThrow(row, "User", id));
}

export async function deleteUser(ctx: ServiceCtx, id: number, actingUserId: number) {
  const user = getOrThrow(await ctx.db.query.users.findFirst({ where: eq(users.id, id) }), "User", id);
  if (user.id === actingUserId) throw conflict("You cannot delete your own account; ask another admin");
  if (user.role === "admin") await assertAnotherAdmin(ctx, id);
  await ctx.db.delete(users).where(eq(users.id, id));
  return toPublicUser(user);
}

async function assertAnotherAdmin(ctx: ServiceCtx, exceptId: number): Promise<void> {
  const [row] = await ctx.db
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.role, "admin" satisfies Role), eq(users.disabled, false), ne(users.id, exceptId)));
  if (!row || row.n === 0)
    throw new AppError("conflict", "This is the last active admin; make another admin first");
}
