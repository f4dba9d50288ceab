import { encryptionKeys } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { siteWhereOrUnbound } from "../sites/site-scope.ts";
import { toPublicKey } from "./to-public-key.ts";

/** The keys a caller may see and write with: their sites' and the unbound ones. */
export async function listEncryptionKeys(ctx: ServiceCtx) {
  const rows = await ctx.db.query.encryptionKeys.findMany({
    where: siteWhereOrUnbound(ctx, encryptionKeys.siteId),
    orderBy: encryptionKeys.id,
  });
  return { items: rows.map(toPublicKey), nextCursor: null };
}
