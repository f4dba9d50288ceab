import { encryptionKeys } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { toPublicKey } from "./to-public-key.ts";

export async function listEncryptionKeys(ctx: ServiceCtx) {
  const rows = await ctx.db.query.encryptionKeys.findMany({ orderBy: encryptionKeys.id });
  return { items: rows.map(toPublicKey), nextCursor: null };
}
