import { eq } from "drizzle-orm";
import { encryptionKeys } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

export async function getEncryptionKey(ctx: ServiceCtx, id: number) {
  return getOrThrow(
    await ctx.db.query.encryptionKeys.findFirst({ where: eq(encryptionKeys.id, id) }),
    "Encryption key",
    id,
  );
}
