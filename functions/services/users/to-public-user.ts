import type { users } from "../../db/schema/index.ts";

type UserRow = typeof users.$inferSelect;

export function toPublicUser(user: UserRow) {
  const { passwordHash: _secret, ...rest } = user;
  return rest;
}
