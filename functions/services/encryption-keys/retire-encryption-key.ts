import { eq } from "drizzle-orm";
import { encryptionKeys } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { getEncryptionKey } from "./get-encryption-key.ts";
import { describeDependents, keyDependents } from "./key-dependents.ts";
import { toPublicKey } from "./to-public-key.ts";

/**
 * A retired key writes no new set. Refused while a pool or job would still write with it, or a
 * retained set is encrypted with it (its tapes are kept: the key must stay usable and visible).
 */
export async function retireEncryptionKey(ctx: ServiceCtx, id: number) {
  const key = await getEncryptionKey(ctx, id);
  if (key.retiredAt) return toPublicKey(key);
  const needs = await keyDependents(ctx, key);
  if (needs.sets.length + needs.pools.length + needs.jobs.length > 0)
    throw conflict(
      `Key ${key.name} (${key.fingerprint}) is still needed by ${describeDependents(needs)}`,
      needs,
    );
  const [row] = await ctx.db
    .update(encryptionKeys)
    .set({ retiredAt: ctx.now() })
    .where(eq(encryptionKeys.id, id))
    .returning();
  return toPublicKey(row ?? key);
}
