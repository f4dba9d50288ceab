import { isNull } from "drizzle-orm";
import { apiKeys } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type PageRequest, pageWhere, toPage } from "../shared/pagination.ts";
import { toPublicApiKey } from "./to-public-api-key.ts";

export async function listApiKeys(ctx: ServiceCtx, page: PageRequest) {
  const rows = await ctx.db.query.apiKeys.findMany(
    pageWhere(apiKeys.id, page, "asc", isNull(apiKeys.revokedAt)),
  );
  const result = toPage(rows, page);
  return { ...result, items: result.items.map(toPublicApiKey) };
}
