import { encryptionKeys } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { toPublicKey } from "./to-public-key.ts";
import { visibleKeys } from "./visible-keys.ts";

/** The keys a caller may see and write with: their sites' and the unbound ones. */
export async function listEncryptionKeys(ctx: ServiceCtx) {
  const rows = await ctx.db.query.encryptionKeys.findMany({
    where: visibleKeys(ctx),
    orderBy: encryptionKeys.id,
  });
  return { items: rows.map(toPublicKey), nextCursor: null };
}
