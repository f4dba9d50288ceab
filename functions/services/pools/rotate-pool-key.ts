import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { encryptionKeys, pools } from "../../db/schema/index.ts";
import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { createEncryptionKey } from "../encryption-keys/create-encryption-key.ts";
import { getEncryptionKey } from "../encryption-keys/get-encryption-key.ts";
import { checkKeyWritesAt } from "../encryption-keys/key-writes-at.ts";
import { toPublicKey } from "../encryption-keys/to-public-key.ts";
import { displayName } from "../shared/input-schemas.ts";
import { getPool } from "./get-pool.ts";

export const rotatePoolKeyInput = z.object({
  /** Adopt this existing key (e.g. one just imported); without it a new random key is made. */
  keyId: z.number().int().positive().optional(),
  /** The new key's name; default "<pool> <date>". */
  name: displayName().optional(),
});

/**
 * The pool's current key, which every set written to the pool from now on is encrypted with.
 * The previous key stays (its sets still restore) until retired. A key bound to another site (or
 * any bound key, for a pool bound to no site) is refused.
 */
export async function rotatePoolKey(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  poolId: number,
  input: z.output<typeof rotatePoolKeyInput>,
) {
  const pool = await getPool(ctx, poolId);
  const previous = pool.encryptionKeyId ? await getEncryptionKey(ctx, pool.encryptionKeyId) : null;
  let key: ReturnType<typeof toPublicKey>;
  if (input.keyId !== undefined) {
    key = toPublicKey(await checkKeyWritesAt(ctx, input.keyId, pool.siteId, `pool ${pool.name}`));
    if (key.retiredAt) throw conflict(`Key ${key.name} is retired and writes no new set`);
  } else {
    const name = input.name ?? (await defaultKeyName(ctx, pool.name));
    // A new key is bound where the pool is: a site's pool gets a key of that site.
    key = await createEncryptionKey(ctx, secrets, { name, siteId: pool.siteId });
  }
  await ctx.db
    .update(pools)
    .set({ encryptionKeyId: key.id, updatedAt: ctx.now() })
    .where(eq(pools.id, poolId));
  return { pool: { id: pool.id, name: pool.name }, key, previous: previous ? toPublicKey(previous) : null };
}

/**
 * "<pool> <UTC second>", numbered when that name is taken: two rotations in one second (a script,
 * or a retry) each get a key instead of the second being refused as a duplicate name.
 */
async function defaultKeyName(ctx: ServiceCtx, poolName: string): Promise<string> {
  const base = `${poolName} ${ctx.now().toISOString().slice(0, 19).replace("T", " ")}`;
  const escaped = base.replace(/[\\%_]/g, (c) => `\\${c}`);
  const taken = new Set(
    (
      await ctx.db
        .select({ name: encryptionKeys.name })
        .from(encryptionKeys)
        .where(sql`${encryptionKeys.name} like ${`${escaped}%`} escape '\\'`)
    ).map((k) => k.name),
  );
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base} #${n}`)) return `${base} #${n}`;
}
