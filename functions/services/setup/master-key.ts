import { eq, isNotNull } from "drizzle-orm";
import { encryptionKeys, notificationChannels, sourceSecrets } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { timingSafeEqual } from "../../security/crypto.ts";
import { masterKeyCheck, unwrapKey, wrapKey } from "../../security/key-wrap.ts";
import { dataKeyPurpose } from "../encryption-keys/data-key-purpose.ts";
import { channelSecretPurpose } from "../settings/notification-channel-input.ts";
import { pveSecretPurpose } from "../sources/pve-secret-purpose.ts";

/** Everything in the catalog that the master key wraps, with the AAD it is wrapped under. */
async function wrappedValues(ctx: ServiceCtx, limit?: number) {
  const keys = await ctx.db
    .select({ id: encryptionKeys.id, wrapped: encryptionKeys.wrappedKey, fp: encryptionKeys.fingerprint })
    .from(encryptionKeys)
    .limit(limit ?? -1);
  const channels = await ctx.db
    .select({
      id: notificationChannels.id,
      wrapped: notificationChannels.secretConfig,
      kind: notificationChannels.kind,
    })
    .from(notificationChannels)
    .where(isNotNull(notificationChannels.secretConfig))
    .limit(limit ?? -1);
  const pve = await ctx.db
    .select({ id: sourceSecrets.sourceId, wrapped: sourceSecrets.wrapped })
    .from(sourceSecrets)
    .limit(limit ?? -1);
  return [
    ...keys.map((k) => ({
      table: "key" as const,
      id: k.id,
      wrapped: k.wrapped,
      purpose: dataKeyPurpose(k.fp),
    })),
    ...channels.map((c) => ({
      table: "channel" as const,
      id: c.id,
      wrapped: c.wrapped as string,
      purpose: channelSecretPurpose(c.kind),
    })),
    ...pve.map((p) => ({
      table: "source" as const,
      id: p.id,
      wrapped: p.wrapped,
      purpose: pveSecretPurpose(p.id),
    })),
  ];
}

/**
 * Whether `key` is the master key of this catalog: by the stored check when there is one, else
 * (a catalog from before the check) by unwrapping one wrapped value; an empty catalog fits any key.
 */
export async function masterKeyFits(
  ctx: ServiceCtx,
  key: Uint8Array,
  check: string | undefined,
): Promise<boolean> {
  if (check) return timingSafeEqual(await masterKeyCheck(key), check);
  const [sample] = await wrappedValues(ctx, 1);
  if (!sample) return true;
  try {
    await unwrapKey(key, sample.wrapped, sample.purpose);
    return true;
  } catch {
    return false;
  }
}

/** Whether anything in the catalog is wrapped by a master key, i.e. whether a new key would lose it. */
export async function holdsWrappedValues(ctx: ServiceCtx): Promise<boolean> {
  return (await wrappedValues(ctx, 1)).length > 0;
}

/**
 * The updates that re-wrap every wrapped value from the old master key to the new one, for the
 * caller's batch (with the new check), so a rotation is all or nothing.
 */
export async function rewrapStatements(ctx: ServiceCtx, from: Uint8Array, to: Uint8Array) {
  const statements = [];
  for (const value of await wrappedValues(ctx)) {
    const rewrapped = await wrapKey(to, await unwrapKey(from, value.wrapped, value.purpose), value.purpose);
    statements.push(
      value.table === "key"
        ? ctx.db.update(encryptionKeys).set({ wrappedKey: rewrapped }).where(eq(encryptionKeys.id, value.id))
        : value.table === "source"
          ? ctx.db
              .update(sourceSecrets)
              .set({ wrapped: rewrapped })
              .where(eq(sourceSecrets.sourceId, value.id))
          : ctx.db
              .update(notificationChannels)
              .set({ secretConfig: rewrapped })
              .where(eq(notificationChannels.id, value.id)),
    );
  }
  return statements;
}
