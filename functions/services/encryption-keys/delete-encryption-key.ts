import { eq } from "drizzle-orm";
import { encryptionKeys } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { getEncryptionKey } from "./get-encryption-key.ts";
import { describeDependents, keyDependents } from "./key-dependents.ts";
import { toPublicKey } from "./to-public-key.ts";

/**
 * Deleting a key makes its sets unreadable for good: only a retired key with no retained set
 * may go (export it first if its tapes might ever come back).
 */
export async function deleteEncryptionKey(ctx: ServiceCtx, id: number) {
  const key = await getEncryptionKey(ctx, id);
  const needs = await keyDependents(ctx, key);
  if (needs.sets.length + needs.pools.length + needs.jobs.length > 0)
    throw conflict(
      `Key ${key.name} (${key.fingerprint}) cannot be deleted: it is needed by ${describeDependents(needs)}`,
      needs,
    );
  if (!key.retiredAt) throw conflict(`Retire key ${key.name} before deleting it`);
  await ctx.db.delete(encryptionKeys).where(eq(encryptionKeys.id, id));
  return toPublicKey(key);
}
