import { eq } from "drizzle-orm";
import { users } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { toPublicUser } from "./to-public-user.ts";

export async function getUser(ctx: ServiceCtx, id: number) {
  return toPublicUser(
    getOrThrow(await ctx.db.query.users.findFirst({ where: eq(users.id, id) }), "User", id),
  );
}
