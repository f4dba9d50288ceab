import { users } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type PageRequest, pageWhere, toPage } from "../shared/pagination.ts";
import { toPublicUser } from "./to-public-user.ts";

export async function listUsers(ctx: ServiceCtx, page: PageRequest) {
  const rows = await ctx.db.query.users.findMany(pageWhere(users.id, page, "asc"));
  const result = toPage(rows, page);
  return { ...result, items: result.items.map(toPublicUser) };
}
